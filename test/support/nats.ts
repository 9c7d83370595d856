/**
 * JetStream servers for tests. `NATS_URL` names a server to use as it is; otherwise the
 * `nats-server` binary on PATH (or `NATS_SERVER_BIN`) is started on a free loopback port with a
 * temporary storage folder, and stopped afterwards; otherwise, where Docker answers, a container
 * is started with `@testcontainers/nats`. Servers started from the binary can be killed and
 * restarted on the same port and folder, for fault tests, and three can form a cluster.
 */
import { jetstreamManager } from "@nats-io/jetstream"
import { connect } from "@nats-io/transport-node"
import { type ChildProcess, execFile, spawn } from "node:child_process"
import { accessSync, constants, mkdtempSync, rmSync } from "node:fs"
import { createServer } from "node:net"
import { tmpdir } from "node:os"
import { delimiter, join } from "node:path"
import { afterAll, beforeAll } from "vitest"

/** A server for a test file. */
export interface NatsServer {
  readonly url: string
  readonly port: number
  /** The storage folder (`-sd`); empty for a server given by `NATS_URL`. */
  readonly dataDir: string
  /** True for a server given by `NATS_URL`: it cannot be killed or restarted from here. */
  readonly external: boolean
  /** False from the exit of a killed or stopped process until a restart. */
  readonly running: boolean
  /** Stops the server (SIGTERM, then SIGKILL) and removes its folder. */
  readonly stop: () => Promise<void>
  /** Sends a signal and returns at once; `restart` waits for the exit. */
  readonly kill: (signal?: NodeJS.Signals) => void
  /** Starts the server again on the same port and folder, once the last one has exited. */
  readonly restart: () => Promise<void>
}

/** One node of a cluster. */
export interface ClusterNode extends NatsServer {
  readonly name: string
  /** The HTTP monitoring port (`/jsz` tells the meta leader). */
  readonly monitorPort: number
}

/** Three servers on loopback that form one JetStream cluster. */
export interface NatsCluster {
  readonly nodes: ReadonlyArray<ClusterNode>
  /** Every node's url, for a client that should fail over between them. */
  readonly servers: ReadonlyArray<string>
  /** The node that leads a stream now, asked through any node that answers. */
  readonly leaderOf: (stream: string) => Promise<ClusterNode>
  /** Waits until a stream has a leader other than `not` (a node name), and returns it. */
  readonly awaitLeader: (stream: string, options?: { not?: string; timeoutMs?: number }) => Promise<
    ClusterNode
  >
  /**
   * Waits until a stream has a leader and every replica is current. A restarted node can set off
   * a new election, during which a replica answers stream info with its own, older state.
   */
  readonly awaitCaughtUp: (stream: string, timeoutMs?: number) => Promise<void>
  /**
   * Waits until every running node knows the same meta leader (itself running) and answers
   * JetStream requests. Creating a consumer can still time out for a few seconds after a node is
   * lost, until the cluster marks it offline: callers retry that.
   */
  readonly awaitJetStream: (timeoutMs?: number) => Promise<void>
  readonly stop: () => Promise<void>
}

/** True when tests get a server that they may kill and restart. */
export const controllable = process.env.NATS_URL === undefined || process.env.NATS_URL === ""

const READY_TIMEOUT_MS = 20_000
const STOP_TIMEOUT_MS = 5_000

const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Free loopback ports, all distinct: every listener stays open until all are known. */
export const freePorts = async (n: number): Promise<Array<number>> => {
  const servers = Array.from({ length: n }, () => createServer())
  const ports = await Promise.all(servers.map((server) =>
    new Promise<number>((resolve, reject) => {
      server.once("error", reject)
      server.listen(0, "127.0.0.1", () => {
        const address = server.address()
        if (address === null || typeof address === "string") reject(new Error("no port"))
        else resolve(address.port)
      })
    })
  ))
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
  return ports
}

const findBinary = (): string | undefined => {
  const explicit = process.env.NATS_SERVER_BIN
  if (explicit !== undefined && explicit !== "") return explicit
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    if (dir === "") continue
    const candidate = join(dir, "nats-server")
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      continue
    }
  }
  return undefined
}

const dockerAnswers = () =>
  new Promise<boolean>((resolve) => {
    execFile("docker", ["info"], { timeout: 10_000 }, (error) => resolve(error === null))
  })

const noServer = () =>
  new Error(
    "no NATS server for the tests: install nats-server (apt-get install nats-server, or a " +
      "release from https://github.com/nats-io/nats-server/releases), start Docker, or set " +
      "NATS_URL=nats://host:port to a server with JetStream enabled"
  )

/** The binary, or an error that says how to get a server. */
const binary = async (): Promise<string> => {
  const found = findBinary()
  if (found !== undefined) return found
  if (await dockerAnswers()) {
    throw new Error(
      "no nats-server binary on PATH: a cluster, and a server that fault tests kill, need it " +
        "(apt-get install nats-server); Docker serves only single servers here"
    )
  }
  throw noServer()
}

/** Children still running, killed if the test process leaves without stopping them. */
const running = new Set<ChildProcess>()
let exitHookInstalled = false
const installExitHook = () => {
  if (exitHookInstalled) return
  exitHookInstalled = true
  process.once("exit", () => {
    for (const child of running) child.kill("SIGKILL")
  })
}

/** Connects and asks for the account's JetStream info: the server is up with JetStream on. */
const jetStreamAnswers = async (url: string): Promise<void> => {
  const nc = await connect({ servers: url, timeout: 1000, reconnect: false })
  try {
    await jetstreamManager(nc, { timeout: 1000 })
  } finally {
    await nc.close()
  }
}

interface Process {
  readonly child: ChildProcess
  readonly exited: Promise<void>
  readonly log: Array<string>
  alive: boolean
}

const launch = (bin: string, args: ReadonlyArray<string>): Process => {
  installExitHook()
  const child = spawn(bin, args, { stdio: ["ignore", "ignore", "pipe"] })
  const log: Array<string> = []
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    log.push(...chunk.split("\n").filter((line) => line !== ""))
    if (log.length > 40) log.splice(0, log.length - 40)
  })
  running.add(child)
  const proc: Process = {
    child,
    log,
    alive: true,
    exited: new Promise<void>((resolve) => {
      const done = () => {
        proc.alive = false
        running.delete(child)
        resolve()
      }
      child.once("exit", done)
      child.once("error", (error) => {
        log.push(String(error))
        done()
      })
    })
  }
  return proc
}

/** Polls by connecting until JetStream answers; fails at once if the process exits. */
const awaitReady = async (proc: Process, url: string, timeoutMs = READY_TIMEOUT_MS) => {
  const deadline = Date.now() + timeoutMs
  let last: unknown
  while (Date.now() < deadline) {
    if (!proc.alive) {
      throw new Error(`nats-server exited before it was ready:\n${proc.log.join("\n")}`)
    }
    try {
      await jetStreamAnswers(url)
      return
    } catch (error) {
      last = error
      await pause(25)
    }
  }
  throw new Error(
    `nats-server at ${url} was not ready after ${timeoutMs} ms (${String(last)}):\n` +
      proc.log.join("\n")
  )
}

const terminate = async (proc: Process) => {
  if (!proc.alive) return
  proc.child.kill("SIGTERM")
  const stopped = await Promise.race([
    proc.exited.then(() => true),
    pause(STOP_TIMEOUT_MS).then(() => false)
  ])
  if (!stopped) {
    proc.child.kill("SIGKILL")
    await proc.exited
  }
}

/** A server process that can be killed and started again with the same arguments. */
const managed = (
  bin: string,
  args: ReadonlyArray<string>,
  port: number,
  dataDir: string,
  ready: (proc: Process, url: string) => Promise<void>
) => {
  const url = `nats://127.0.0.1:${port}`
  let proc = launch(bin, args)
  const server: NatsServer = {
    url,
    port,
    dataDir,
    external: false,
    get running() {
      return proc.alive
    },
    stop: async () => {
      await terminate(proc)
      rmSync(dataDir, { recursive: true, force: true })
    },
    kill: (signal = "SIGKILL") => {
      proc.child.kill(signal)
    },
    restart: async () => {
      await terminate(proc)
      proc = launch(bin, args)
      await ready(proc, url)
    }
  }
  return { server, started: () => ready(proc, url), abandon: () => terminate(proc) }
}

const externalServer = (url: string): NatsServer => {
  const port = Number(new URL(url.includes("://") ? url : `nats://${url}`).port || 4222)
  const refuse = () => {
    throw new Error(
      `NATS_URL (${url}) names a server these tests did not start; ` +
        "they cannot kill or restart it"
    )
  }
  return {
    url,
    port,
    dataDir: "",
    external: true,
    running: true,
    stop: async () => {},
    kill: refuse,
    restart: async () => refuse()
  }
}

/**
 * A JetStream server in a container. The container's port mapping changes when it restarts, so
 * it cannot be killed and restarted in place: fault tests need the binary.
 */
const containerServer = async (): Promise<NatsServer> => {
  const { NatsContainer } = await import("@testcontainers/nats")
  const container = await new NatsContainer("nats:2.10-alpine").withJetStream().start()
  const options = container.getConnectionOptions()
  const host = String([options.servers].flat()[0]).replace(/^nats:\/\//, "")
  const credentials = options.user === undefined
    ? ""
    : `${encodeURIComponent(options.user)}:${encodeURIComponent(options.pass ?? "")}@`
  const url = `nats://${credentials}${host}`
  const refuse = () => {
    throw new Error("a NATS server in a container cannot be killed or restarted by these tests")
  }
  let running = true
  return {
    url,
    port: Number(new URL(url).port),
    dataDir: "",
    external: true,
    get running() {
      return running
    },
    stop: async () => {
      running = false
      await container.stop()
    },
    kill: refuse,
    restart: async () => refuse()
  }
}

/** A JetStream server: `NATS_URL`'s, or a new one on a free port, or one in a container. */
export const startServer = async (): Promise<NatsServer> => {
  const given = process.env.NATS_URL
  if (given !== undefined && given !== "") return externalServer(given)
  if (findBinary() === undefined) {
    if (await dockerAnswers()) return containerServer()
    throw noServer()
  }
  const bin = await binary()
  // A port found free can be taken before the server binds it; another one is tried then.
  for (let attempt = 1;; attempt++) {
    const [port] = await freePorts(1)
    const dataDir = mkdtempSync(join(tmpdir(), "ctxlog-nats-"))
    const args = ["-js", "-a", "127.0.0.1", "-p", String(port), "-sd", dataDir]
    const { abandon, server, started } = managed(bin, args, port!, dataDir, awaitReady)
    try {
      await started()
      return server
    } catch (error) {
      await abandon()
      rmSync(dataDir, { recursive: true, force: true })
      if (attempt >= 3) throw error
    }
  }
}

/** The meta leader a node names on its monitoring port; none while there is no leader. */
const metaLeaderSeenBy = async (node: ClusterNode): Promise<string | undefined> => {
  const response = await fetch(`http://127.0.0.1:${node.monitorPort}/jsz`, {
    signal: AbortSignal.timeout(1000)
  })
  const jsz = await response.json() as { meta_cluster?: { leader?: string } }
  const leader = jsz.meta_cluster?.leader
  return leader === undefined || leader === "" ? undefined : leader
}

/** Nodes `n1`, `n2`, ... that route to each other, each with its own folder. */
export const startCluster = async (size = 3): Promise<NatsCluster> => {
  const bin = await binary()
  const ports = await freePorts(size * 3)
  const clientPort = (i: number) => ports[i]!
  const routePort = (i: number) => ports[size + i]!
  const monitorPort = (i: number) => ports[2 * size + i]!
  const nodes: Array<ClusterNode> = []
  const launched: Array<ReturnType<typeof managed>> = []
  // A node alone cannot elect a meta leader, so a node is ready once it accepts connections;
  // JetStream readiness is awaited for the whole cluster below.
  const connects = async (proc: Process, url: string) => {
    const deadline = Date.now() + READY_TIMEOUT_MS
    for (;;) {
      if (!proc.alive) throw new Error(`nats-server exited early:\n${proc.log.join("\n")}`)
      try {
        const nc = await connect({ servers: url, timeout: 1000, reconnect: false })
        await nc.close()
        return
      } catch (error) {
        if (Date.now() > deadline) throw error
        await pause(25)
      }
    }
  }
  for (let i = 0; i < size; i++) {
    const name = `n${i + 1}`
    const dataDir = mkdtempSync(join(tmpdir(), `ctxlog-nats-${name}-`))
    const routes = Array.from({ length: size }, (_, j) => j)
      .filter((j) => j !== i)
      .map((j) => `nats://127.0.0.1:${routePort(j)}`)
      .join(",")
    const args = [
      "-js",
      "-a",
      "127.0.0.1",
      "-p",
      String(clientPort(i)),
      "-m",
      String(monitorPort(i)),
      "-sd",
      dataDir,
      "--server_name",
      name,
      "--cluster_name",
      "c",
      "--cluster",
      `nats://127.0.0.1:${routePort(i)}`,
      "--routes",
      routes
    ]
    const m = managed(bin, args, clientPort(i), dataDir, connects)
    launched.push(m)
    // The node's own properties stay live (`running` is a getter), so it is extended in place.
    nodes.push(Object.defineProperties(m.server, {
      name: { value: name, enumerable: true },
      monitorPort: { value: monitorPort(i), enumerable: true }
    }) as ClusterNode)
  }

  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()))
  }

  const awaitJetStream = async (timeoutMs = READY_TIMEOUT_MS) => {
    const deadline = Date.now() + timeoutMs
    let last: unknown
    for (;;) {
      try {
        const up = nodes.filter((n) => n.running)
        const seen = await Promise.all(up.map(metaLeaderSeenBy))
        const leader = seen[0]
        if (
          leader === undefined || seen.some((l) => l !== leader) ||
          !up.some((n) => n.name === leader)
        ) {
          throw new Error(`no agreed meta leader yet (${JSON.stringify(seen)})`)
        }
        await Promise.all(up.map((n) => jetStreamAnswers(n.url)))
        return
      } catch (error) {
        last = error
        if (Date.now() > deadline) {
          throw new Error(`JetStream was not ready after ${timeoutMs} ms: ${String(last)}`)
        }
        await pause(50)
      }
    }
  }

  const streamLeader = async (stream: string): Promise<string | undefined> => {
    let last: unknown
    for (const node of nodes.filter((n) => n.running)) {
      try {
        const nc = await connect({ servers: node.url, timeout: 1000, reconnect: false })
        try {
          const jsm = await jetstreamManager(nc, { timeout: 2000, checkAPI: false })
          return (await jsm.streams.info(stream)).cluster?.leader
        } finally {
          await nc.close()
        }
      } catch (error) {
        last = error
      }
    }
    throw new Error(`no node answered for stream ${stream}: ${String(last)}`)
  }

  const nodeNamed = (name: string) => {
    const node = nodes.find((n) => n.name === name)
    if (node === undefined) {
      throw new Error(`the stream leader ${name} is not a node of this cluster`)
    }
    return node
  }

  const awaitLeader: NatsCluster["awaitLeader"] = async (stream, options = {}) => {
    const timeoutMs = options.timeoutMs ?? 30_000
    const deadline = Date.now() + timeoutMs
    for (;;) {
      const leader = await streamLeader(stream).catch(() => undefined)
      if (leader !== undefined && leader !== "" && leader !== options.not) {
        const node = nodeNamed(leader)
        if (node.running) return node
      }
      if (Date.now() > deadline) {
        const other = options.not === undefined ? "" : ` other than ${options.not}`
        throw new Error(`stream ${stream} has no leader${other} after ${timeoutMs} ms`)
      }
      await pause(100)
    }
  }

  const awaitCaughtUp = async (stream: string, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs
    let last = "no answer"
    for (;;) {
      for (const node of nodes.filter((n) => n.running)) {
        try {
          const nc = await connect({ servers: node.url, timeout: 1000, reconnect: false })
          try {
            const jsm = await jetstreamManager(nc, { timeout: 2000, checkAPI: false })
            const cluster = (await jsm.streams.info(stream)).cluster
            last = JSON.stringify(cluster)
            const replicas = cluster?.replicas ?? []
            if (
              cluster?.leader !== undefined && cluster.leader !== "" &&
              replicas.every((r) => r.current)
            ) return
          } finally {
            await nc.close()
          }
          break
        } catch (error) {
          last = String(error)
        }
      }
      if (Date.now() > deadline) {
        throw new Error(`stream ${stream} did not catch up after ${timeoutMs} ms: ${last}`)
      }
      await pause(100)
    }
  }

  try {
    await Promise.all(launched.map((m) => m.started()))
    await awaitJetStream()
  } catch (error) {
    await stop()
    throw error
  }

  return {
    nodes,
    servers: nodes.map((n) => n.url),
    leaderOf: async (stream) => {
      const leader = await streamLeader(stream)
      if (leader === undefined || leader === "") throw new Error(`stream ${stream} has no leader`)
      return nodeNamed(leader)
    },
    awaitLeader,
    awaitCaughtUp,
    awaitJetStream,
    stop
  }
}

/** A server for the test file: started before its tests, stopped after them. */
export const useNatsServer = (): { readonly current: NatsServer } => {
  let server: NatsServer | undefined
  beforeAll(async () => {
    server = await startServer()
  })
  afterAll(async () => {
    await server?.stop()
  })
  return {
    get current() {
      if (server === undefined) throw new Error("the NATS server starts in beforeAll")
      return server
    }
  }
}

/** A three-node cluster for the test file. */
export const useNatsCluster = (): { readonly current: NatsCluster } => {
  let cluster: NatsCluster | undefined
  beforeAll(async () => {
    cluster = await startCluster(3)
  })
  afterAll(async () => {
    await cluster?.stop()
  })
  return {
    get current() {
      if (cluster === undefined) throw new Error("the NATS cluster starts in beforeAll")
      return cluster
    }
  }
}

let unique = 0

/** A name no other test of this run uses, for streams and buckets on a shared server. */
export const uniqueName = (prefix: string): string =>
  `${prefix}${process.pid.toString(36)}${Date.now().toString(36)}${(++unique).toString(36)}`
