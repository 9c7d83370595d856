/**
 * A TCP proxy on a free loopback port that forwards to a broker, for fault tests: it can drop
 * every connection (what a broker closing its sockets looks like to a client), refuse new ones (a
 * broker that is down), or stop passing the broker's bytes on (a connection that went half open).
 */
import type { Server, Socket } from "node:net"
import { connect, createServer } from "node:net"

/** A proxy for a test. */
export interface Proxy {
  readonly port: number
  /** Connections accepted so far, refused ones included. */
  readonly accepted: () => number
  /** Connections open now. */
  readonly open: () => number
  /** Destroys both sockets of every connection open now. */
  readonly drop: () => void
  /** Until `pass`, closes new connections at once. */
  readonly refuse: () => void
  /**
   * Until `pass`, discards what the broker sends, on connections open now and on new ones; a
   * connection stalled once stays stalled, since its frames are lost.
   */
  readonly stall: () => void
  /** Forwards new connections again. */
  readonly pass: () => void
  /** Resolves once no connection is open. */
  readonly idle: () => Promise<void>
  readonly close: () => Promise<void>
}

interface Pair {
  readonly client: Socket
  readonly upstream: Socket
  stalled: boolean
}

/** Starts a proxy to `host:port`. */
export const startProxy = async (target: { host: string; port: number }): Promise<Proxy> => {
  const pairs = new Set<Pair>()
  const idleWaiters = new Set<() => void>()
  let accepted = 0
  let mode: "pass" | "refuse" | "stall" = "pass"

  const forget = (pair: Pair) => {
    if (!pairs.delete(pair)) return
    pair.client.destroy()
    pair.upstream.destroy()
    if (pairs.size === 0) {
      for (const wake of idleWaiters) wake()
      idleWaiters.clear()
    }
  }

  const server: Server = createServer((client) => {
    accepted++
    if (mode === "refuse") {
      client.destroy()
      return
    }
    const upstream = connect(target.port, target.host)
    const pair: Pair = { client, upstream, stalled: mode === "stall" }
    pairs.add(pair)
    client.on("data", (chunk) => upstream.write(chunk))
    upstream.on("data", (chunk) => {
      if (!pair.stalled) client.write(chunk)
    })
    for (const socket of [client, upstream]) {
      socket.on("error", () => forget(pair))
      socket.on("close", () => forget(pair))
    }
  })

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => resolve())
  })
  const address = server.address()
  if (address === null || typeof address === "string") throw new Error("the proxy has no port")

  return {
    port: address.port,
    accepted: () => accepted,
    open: () => pairs.size,
    drop: () => {
      for (const pair of [...pairs]) forget(pair)
    },
    refuse: () => {
      mode = "refuse"
    },
    stall: () => {
      mode = "stall"
      for (const pair of pairs) pair.stalled = true
    },
    pass: () => {
      mode = "pass"
    },
    idle: () =>
      pairs.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => {
        idleWaiters.add(resolve)
      }),
    close: () => {
      for (const pair of [...pairs]) forget(pair)
      return new Promise<void>((resolve) => server.close(() => resolve()))
    }
  }
}
