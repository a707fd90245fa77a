import { createParser, type EventSourceMessage } from 'eventsource-parser'

type FetchLike = typeof globalThis.fetch

// The caller decides how requests go out (auth headers, retries): this module only parses.
export async function completeStream(url: string, body: unknown, onMessage: (message: EventSourceMessage) => void, fetch: FetchLike = globalThis.fetch) {
  const response = await fetch(url, { method: 'POST', body: JSON.stringify(body) })
  const parser = createParser({ onEvent: onMessage })
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader()
  for (;;) {
    const { done, value } = await reader.read()
    if (done) break
    parser.feed(value)
  }
}
