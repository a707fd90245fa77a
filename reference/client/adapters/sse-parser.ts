/**
 * The `text/event-stream` parser the SSE fallback reads with: WHATWG HTML §9.2.6 "Interpreting an
 * event stream", on decoded text fed in chunks of any size. Owned rather than imported because a
 * browser bundle pays for every byte: `eventsource-parser` (which the tests check this against)
 * weighed 1.2 KB gzipped in it, this 0.3 KB (issue 13).
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */

/** One dispatched event, as `eventsource-parser` gives it: `id` and `event` are this event's own fields, if it had them. */
export interface ParsedSseEvent {
  id: string | undefined;
  /** The `event:` field; `undefined` when absent or empty (a `message`). */
  event: string | undefined;
  data: string;
}

export interface SseParserHandlers {
  onEvent(event: ParsedSseEvent): void;
  /** A `retry:` field of ASCII digits: the reconnection time, in ms. */
  onRetry?(retryMs: number): void;
}

/**
 * Returns the function to feed the stream's text to, chunk by chunk. Lines end with CRLF, LF or CR
 * (a CR ending one chunk and an LF starting the next are one line break); an event is dispatched
 * at a blank line when it had a `data:` field; comments and unknown fields are ignored; a partial
 * line or event at the end of the stream is never dispatched. The caller strips a BOM
 * (`TextDecoder` does).
 */
export function createSseParser(handlers: SseParserHandlers): (chunk: string) => void {
  /** The start of a line whose end has not arrived yet. */
  let partial = '';
  let afterCarriageReturn = false;
  /** `undefined` until the event's first `data:` line: an event without one is not dispatched. */
  let data: string | undefined;
  let event: string | undefined;
  let id: string | undefined;

  const line = (text: string): void => {
    if (text === '') {
      if (data !== undefined) handlers.onEvent({ id, event, data });
      data = event = id = undefined;
      return;
    }
    const colon = text.indexOf(':');
    if (colon === 0) return;
    const field = colon < 0 ? text : text.slice(0, colon);
    const value = colon < 0 ? '' : text.slice(text[colon + 1] === ' ' ? colon + 2 : colon + 1);
    if (field === 'data') data = data === undefined ? value : `${data}\n${value}`;
    else if (field === 'event') event = value || undefined;
    else if (field === 'id' && !value.includes('\0')) id = value;
    else if (field === 'retry' && /^\d+$/.test(value)) handlers.onRetry?.(Number(value));
  };

  return (chunk) => {
    if (chunk === '') return;
    if (afterCarriageReturn && chunk[0] === '\n') chunk = chunk.slice(1);
    afterCarriageReturn = false;
    // A long line arriving in many small chunks is only split once its end has come.
    if (!/[\r\n]/.test(chunk)) {
      partial += chunk;
      return;
    }
    const lines = (partial + chunk).split(/\r\n|\r|\n/);
    partial = lines.pop() as string;
    afterCarriageReturn = chunk.endsWith('\r');
    for (const text of lines) line(text);
  };
}
