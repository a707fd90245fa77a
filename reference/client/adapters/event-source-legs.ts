/**
 * The two ways a `WsEventSource` reads its stream — a *leg*: over the WebSocket (a subscription to
 * the bridged `sse:<path>` channel) or over real SSE (`fetch`). Each leg reconnects by itself and
 * reports what an `EventSource` would show: open, events, a drop (it is reconnecting), or a failure
 * that ends the stream (a non-200 answer, the end of the stream, an upstream that failed for good).
 */
import { sseChannelForUrl } from '../../protocol/index.js';
import type { Clock, TimerHandle } from '../clock.js';
import type { WSClient } from '../ws-client.js';
import { followBridgedChannel } from './bridged-channel.js';
import { fetchSse, idleWatchdog, isEventStream, readSseEvents, type IdleWatchdog, type SseEvent } from './sse-over-fetch.js';

/** What a leg reports. */
export interface LegHandlers {
  onOpen(): void;
  onEvent(event: SseEvent): void;
  /** The connection dropped; the leg is reconnecting (an `EventSource` fires `error` and goes CONNECTING). */
  onDrop(): void;
  /** The stream is over for good: a non-200 answer, `204`/`sse:end`, an upstream failed for good. */
  onFail(reason: Error): void;
  /** WebSocket leg only: the gateway relays no such route (`NO_ROUTE`); the stream should use SSE. */
  onNoRoute(): void;
}

/** What both legs need. */
export interface LegOptions {
  /** The stream's absolute URL (SSE leg) or its path and query (WebSocket leg). */
  url: string;
  /** Request headers (the `eventsource` polyfill's `headers`). */
  headers: Record<string, string> | undefined;
  withCredentials: boolean;
  /** The id of the last event delivered: where a (re)connection resumes. */
  lastEventId(): string;
  /** The reconnection time, in ms (set by `retry:`). */
  retryMs(): number;
  setRetryMs(retryMs: number): void;
  /** SSE leg: a stream (or a request waiting for its answer) silent this long is aborted and reconnected with `Last-Event-ID`, in ms; 0 waits forever. */
  idleTimeoutMs: number;
  clock: Clock;
  handlers: LegHandlers;
}

/** A running leg. */
export interface Leg {
  readonly transport: 'ws' | 'sse';
  /** Stops it; no handler is called afterwards. */
  close(): void;
}

/** Reads the stream over the WebSocket, through the gateway's SSE bridge. */
export function openWsLeg(client: WSClient, options: LegOptions): Leg {
  const channel = sseChannelForUrl(options.url);
  let closed = false;
  let open = false;
  let retryTimer: TimerHandle | undefined;
  let unfollow: (() => void) | undefined;
  const { handlers } = options;
  const drop = (): void => {
    open = false;
    handlers.onDrop();
  };
  const subscribe = (): void => {
    const lastEventId = options.lastEventId();
    unfollow = followBridgedChannel(
      client,
      channel,
      {
        onSubscribed: () => {
          if (closed || open) return;
          open = true;
          handlers.onOpen();
        },
        onEvent: (event) => {
          if (!closed) handlers.onEvent(event);
        },
        onEnd: () => {
          if (!closed) handlers.onFail(new Error(`the stream at ${options.url} ended (the server answered 204)`));
        },
        onFailed: (error) => {
          if (!closed) handlers.onFail(error);
        },
        onRefused: (error) => {
          if (closed) return;
          if (error.code === 'NO_ROUTE') handlers.onNoRoute();
          else if (error.retryable) {
            // Like a network error for an EventSource: report it, wait the reconnection time, try again.
            drop();
            retryTimer = options.clock.setTimeout(subscribe, options.retryMs());
          } else handlers.onFail(error);
        },
      },
      { ...(lastEventId ? { lastEventId } : {}), ...(options.headers ? { headers: options.headers } : {}) },
    );
  };
  const offClose = client.on('close', drop);
  subscribe();
  return {
    transport: 'ws',
    close() {
      if (closed) return;
      closed = true;
      offClose();
      if (retryTimer !== undefined) options.clock.clearTimeout(retryTimer);
      unfollow?.();
    },
  };
}

/**
 * Reads the stream over real SSE with `fetch`, resuming with `Last-Event-ID` after every drop; a
 * stream silent for `idleTimeoutMs` (half-open: no event, no keep-alive) counts as a drop.
 */
export function openSseLeg(fetchImpl: typeof fetch, options: LegOptions): Leg {
  let closed = false;
  let abort: AbortController | undefined;
  let watchdog: IdleWatchdog | undefined;
  let retryTimer: TimerHandle | undefined;
  const { handlers } = options;
  const connect = async (): Promise<void> => {
    const attempt = new AbortController();
    abort = attempt;
    const attemptWatchdog = idleWatchdog(options.clock, options.idleTimeoutMs, () => attempt.abort(new Error(`${options.url} was silent for ${options.idleTimeoutMs} ms`)));
    watchdog = attemptWatchdog;
    try {
      const response = await fetchSse(fetchImpl, {
        url: options.url,
        ...(options.headers ? { headers: options.headers } : {}),
        credentials: options.withCredentials ? 'include' : 'same-origin',
        lastEventId: options.lastEventId(),
        signal: attempt.signal,
      });
      if (closed) return;
      if (response.status !== 200 || !isEventStream(response) || !response.body) {
        await response.body?.cancel();
        handlers.onFail(new Error(`${options.url} answered HTTP ${response.status} ${response.headers.get('content-type') ?? ''}`.trim()));
        closed = true;
        return;
      }
      handlers.onOpen();
      await readSseEvents(response.body, {
        onEvent: (event) => {
          if (!closed) handlers.onEvent(event);
        },
        onRetry: (retryMs) => options.setRetryMs(retryMs),
        onBytes: attemptWatchdog.kick,
      });
    } catch {
      // A network error, a broken or silent stream: reconnect below, as EventSource does.
    } finally {
      attemptWatchdog.stop();
    }
    if (closed) return;
    handlers.onDrop();
    retryTimer = options.clock.setTimeout(() => void connect(), options.retryMs());
  };
  void connect();
  return {
    transport: 'sse',
    close() {
      if (closed) return;
      closed = true;
      abort?.abort();
      watchdog?.stop();
      if (retryTimer !== undefined) options.clock.clearTimeout(retryTimer);
    },
  };
}
