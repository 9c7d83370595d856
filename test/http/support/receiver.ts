/**
 * A webhook receiver on loopback whose answers a test scripts: each request is recorded, and a
 * `respond` function decides what it gets (a status, a hang, or nothing at all because the
 * receiver is closed).
 */
import * as Http from "node:http"
import type * as Net from "node:net"

export interface Received {
  readonly headers: Http.IncomingHttpHeaders
  readonly body: string
  readonly at: number
}

export type Answer = number | "hang"

export interface Receiver {
  readonly url: string
  readonly port: number
  readonly received: Array<Received>
  respond: (
    request: Received,
    index: number
  ) => Answer | { status: number; headers: Record<string, string> }
  /** Stops listening (connections are refused) until `open` is called. */
  readonly close: () => Promise<void>
  readonly open: () => Promise<void>
}

export const startReceiver = async (path = "/hook"): Promise<Receiver> => {
  const sockets = new Set<Net.Socket>()
  let server: Http.Server
  let port = 0
  const receiver: Receiver = {
    url: "",
    port: 0,
    received: [],
    respond: () => 200,
    close: () =>
      new Promise((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      }),
    open: () => listen()
  }
  const listen = () =>
    new Promise<void>((resolve) => {
      server = Http.createServer((req, res) => {
        let body = ""
        req.setEncoding("utf8")
        req.on("data", (c: string) => (body += c))
        req.on("end", () => {
          const received = { headers: req.headers, body, at: Date.now() }
          receiver.received.push(received)
          const answer = receiver.respond(received, receiver.received.length - 1)
          if (answer === "hang") return
          const { status, headers } = typeof answer === "number"
            ? { status: answer, headers: {} }
            : answer
          res.writeHead(status, headers)
          res.end("{}")
        })
      })
      server.on("connection", (s) => {
        sockets.add(s)
        s.on("close", () => sockets.delete(s))
      })
      server.listen(port, "127.0.0.1", () => {
        port = (server.address() as Net.AddressInfo).port
        Object.assign(receiver, { port, url: `http://127.0.0.1:${port}${path}` })
        resolve()
      })
    })
  await listen()
  return receiver
}
