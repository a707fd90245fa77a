/**
 * Real SSE over `fetch`, the one fallback implementation all three adapters share: the request
 * (with `Accept: text/event-stream` and `Last-Event-ID` to resume), and the reading of an SSE body
 * into events with `eventsource-parser`. Uses the platform's `fetch` (browsers and Node alike);
 * unlike `EventSource` it can send `Last-Event-ID` on the first request, so a switch from WebSocket
 * resumes where the socket stopped.
 */
import { createParser } from 'eventsource-parser';
import type { Clock, TimerHandle } from '../clock.js';

/** One SSE event as the adapters hand it on. */
export interface SseEvent {
  /** The event name; `message` when the stream gave none. */
  type: string;
  /** The data lines, joined with `\n`. */
  data: string;
  /** The `id:` field of this event, when it had one. */
  id: string | undefined;
}

/** A GET request for an SSE stream. */
export interface SseRequest {
  url: string;
  headers?: Record<string, string>;
  /** `include` for `withCredentials`. */
  credentials?: 'omit' | 'same-origin' | 'include';
  /** Sent as `Last-Event-ID` when not empty. */
  lastEventId?: string;
  signal: AbortSignal;
}

/** Requests an SSE stream; resolves with the response as it is (status and type are the caller's to judge). */
export function fetchSse(fetchImpl: typeof fetch, request: SseRequest): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'text/event-stream', ...request.headers };
  if (request.lastEventId) headers['Last-Event-ID'] = request.lastEventId;
  return fetchImpl(request.url, {
    headers,
    ...(request.credentials === undefined ? {} : { credentials: request.credentials }),
    signal: request.signal,
  });
}

/** Whether a response is an SSE stream (`text/event-stream`, any parameters). */
export function isEventStream(response: Response): boolean {
  return (response.headers.get('content-type') ?? '').split(';')[0]?.trim().toLowerCase() === 'text/event-stream';
}

/** What {@link readSseEvents} reports besides events. */
export interface SseReadHandlers {
  onEvent(event: SseEvent): void;
  /** Bytes arrived (an event, a comment such as a keep-alive, or part of one): the stream is alive. */
  onBytes?(): void;
  /** The stream set its reconnection time (`retry:`), in ms. */
  onRetry?(retryMs: number): void;
}

/**
 * Reads an SSE body to its end, calling `onEvent` per event (comments and keep-alives are not
 * events). Resolves when the body ends; rejects when reading fails (an abort, a network error).
 */
export async function readSseEvents(body: ReadableStream<Uint8Array>, handlers: SseReadHandlers): Promise<void> {
  const parser = createParser({
    onEvent: (message) => handlers.onEvent({ type: message.event || 'message', data: message.data, id: message.id }),
    onRetry: (retryMs) => handlers.onRetry?.(retryMs),
  });
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      handlers.onBytes?.();
      parser.feed(decoder.decode(value, { stream: true }));
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * Aborts a stream that stays silent: {@link IdleWatchdog.kick} at every chunk; after `idleTimeoutMs`
 * without one, `onIdle` runs. {@link IdleWatchdog.stop} is for good: a stopped watchdog is never
 * re-armed by a late chunk, so a closed stream keeps no timer (nor the process) alive.
 */
export interface IdleWatchdog {
  kick(): void;
  stop(): void;
}

/** Starts an {@link IdleWatchdog} on `clock` (nothing is watched when `idleTimeoutMs` is 0). */
export function idleWatchdog(clock: Clock, idleTimeoutMs: number, onIdle: () => void): IdleWatchdog {
  let timer: TimerHandle | undefined;
  let stopped = false;
  const clear = (): void => {
    if (timer !== undefined) clock.clearTimeout(timer);
    timer = undefined;
  };
  const kick = (): void => {
    if (stopped || idleTimeoutMs <= 0) return;
    clear();
    timer = clock.setTimeout(() => {
      timer = undefined;
      onIdle();
    }, idleTimeoutMs);
  };
  kick();
  return {
    kick,
    stop: () => {
      stopped = true;
      clear();
    },
  };
}

/** One event as SSE text: `id:`, `event:` (omitted for `message`), one `data:` line per data line, a blank line. */
export function serializeSseEvent(event: SseEvent): string {
  let text = '';
  if (event.id !== undefined) text += `id: ${event.id}\n`;
  if (event.type !== 'message') text += `event: ${event.type}\n`;
  for (const line of event.data.split(/\r\n|\r|\n/)) text += `data: ${line}\n`;
  return `${text}\n`;
}
