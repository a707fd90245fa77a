/** Reads a `text/event-stream` response the way a fetch-based legacy client does, with eventsource-parser. */
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { parseEventId } from '../../../reference/protocol/index.js';

export interface SseRead {
  status: number;
  contentType: string | null;
  events: EventSourceMessage[];
  comments: string[];
  /** True when the server ended the stream (false when the reader stopped early). */
  ended: boolean;
}

/**
 * Reads events until the stream ends, or until `stopWhen` says so (then aborts the request, as a
 * client losing its connection would).
 */
export async function readSse(url: string, init: RequestInit = {}, stopWhen?: (events: EventSourceMessage[]) => boolean, timeoutMs = 15_000): Promise<SseRead> {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(new Error(`the SSE stream did not end within ${timeoutMs} ms`)), timeoutMs);
  const events: EventSourceMessage[] = [];
  const comments: string[] = [];
  const parser = createParser({ onEvent: (event) => events.push(event), onComment: (comment) => comments.push(comment) });
  try {
    const response = await fetch(url, { ...init, signal: abort.signal });
    const result: SseRead = { status: response.status, contentType: response.headers.get('content-type'), events, comments, ended: false };
    if (!response.body) return { ...result, ended: true };
    const decoder = new TextDecoder();
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return { ...result, ended: true };
      parser.feed(decoder.decode(value, { stream: true }));
      if (stopWhen?.(events)) {
        await reader.cancel();
        return result;
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

/** The seq of an `<epoch>-<seq>` event id (NaN when it has none). */
export function seqOf(event: EventSourceMessage): number {
  return parseEventId(event.id)?.seq ?? Number.NaN;
}
