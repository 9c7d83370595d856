/**
 * A minimal server-sent-events reader over fetch, for tests: it yields each event as it arrives
 * and stops when the caller aborts.
 */
export interface SseEvent {
  readonly id?: string
  readonly event?: string
  readonly data: string
}

export interface SseConnection {
  readonly status: number
  readonly headers: Headers
  /** The next event; comments (heartbeats) are skipped. */
  readonly next: () => Promise<SseEvent>
  readonly comments: Array<string>
  readonly close: () => void
}

export const connect = async (
  url: string,
  headers: Record<string, string> = {}
): Promise<SseConnection> => {
  const abort = new AbortController()
  const response = await fetch(url, { headers, signal: abort.signal })
  const comments: Array<string> = []
  const queue: Array<SseEvent> = []
  const waiting: Array<(e: SseEvent) => void> = []
  let failed: unknown
  const failures: Array<(e: unknown) => void> = []
  const push = (event: SseEvent) => {
    const waiter = waiting.shift()
    if (waiter) {
      failures.shift()
      waiter(event)
    } else queue.push(event)
  }
  if (response.body !== null) {
    void (async () => {
      const decoder = new TextDecoder()
      let buffer = ""
      try {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          buffer += decoder.decode(chunk, { stream: true })
          let end: number
          while ((end = buffer.indexOf("\n\n")) !== -1) {
            const block = buffer.slice(0, end)
            buffer = buffer.slice(end + 2)
            let id: string | undefined
            let event: string | undefined
            const data: Array<string> = []
            for (const line of block.split("\n")) {
              if (line.startsWith(":")) comments.push(line.slice(1).trim())
              else if (line.startsWith("id: ")) id = line.slice(4)
              else if (line.startsWith("event: ")) event = line.slice(7)
              else if (line.startsWith("data: ")) data.push(line.slice(6))
            }
            if (data.length > 0) {
              push({
                ...(id === undefined ? {} : { id }),
                ...(event === undefined ? {} : { event }),
                data: data.join("\n")
              })
            }
          }
        }
        throw new Error("the stream ended")
      } catch (error) {
        failed = error
        for (const fail of failures.splice(0)) fail(error)
        waiting.splice(0)
      }
    })()
  }
  return {
    status: response.status,
    headers: response.headers,
    comments,
    next: () => {
      const ready = queue.shift()
      if (ready) return Promise.resolve(ready)
      if (failed !== undefined) return Promise.reject(failed)
      return new Promise((resolve, reject) => {
        waiting.push(resolve)
        failures.push(reject)
      })
    },
    close: () => abort.abort()
  }
}
