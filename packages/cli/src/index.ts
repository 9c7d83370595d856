/**
 * The `ctx` command line, as modules for tools that embed or test it.
 *
 * @since 0.1.0
 */
export * as Argv from "./Argv.js"
export * as AssetOptions from "./AssetOptions.js"
export * as Cli from "./Cli.js"
export * as Delivery from "./Delivery.js"
export * as Errors from "./Errors.js"
export * as Failure from "./Failure.js"
export * as GlobalOptions from "./GlobalOptions.js"
export * as Help from "./Help.js"
export * as Keys from "./Keys.js"
export * as Output from "./Output.js"
export * as Progress from "./Progress.js"
export * as ReadCommands from "./ReadCommands.js"
export * as Render from "./Render.js"
export * as Replay from "./Replay.js"
export * as Search from "./Search.js"
export * as Serve from "./Serve.js"
export * as ServeConfig from "./ServeConfig.js"
export * as Session from "./Session.js"
export * as Store from "./Store.js"
export * as Transform from "./Transform.js"
export * as Watch from "./Watch.js"
export * as Webhooks from "./Webhooks.js"
export * as WriteCommands from "./WriteCommands.js"
