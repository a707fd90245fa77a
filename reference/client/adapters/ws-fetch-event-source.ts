/**
 * `wsFetchEventSource(input, init)`: `fetchEventSource` of `@microsoft/fetch-event-source` — the
 * same signature, callbacks and retry loop — with each request made by {@link wsFetch}, so the
 * stream rides the shared socket (and falls back to real SSE under the same call).
 */
import { systemClock } from '../clock.js';
import { adapterContext, type WsAdapterOptions } from './adapter-options.js';
import { readSseEvents } from './sse-over-fetch.js';
import { wsFetch } from './ws-fetch.js';

/** `text/event-stream`, as `@microsoft/fetch-event-source` exports it. */
export const EventStreamContentType = 'text/event-stream';

/** A message as `@microsoft/fetch-event-source` gives it to `onmessage`. */
export interface EventSourceMessage {
  /** The event's `id:` field, `''` when it had none. */
  id: string;
  /** The event's name, `''` when it had none (`message`). */
  event: string;
  data: string;
  /** The `retry:` field; this adapter applies it to the reconnection interval and leaves this `undefined`. */
  retry?: number;
}

/** The options of `fetchEventSource`, unchanged: `fetch`'s `RequestInit` plus the callbacks. */
export interface WsFetchEventSourceInit extends RequestInit {
  /** Request headers; `last-event-id` is added on retries. */
  headers?: Record<string, string>;
  /** Called with the response; throw to reject it (then `onerror` decides). Default: require `text/event-stream`. */
  onopen?: (response: Response) => Promise<void>;
  onmessage?: (ev: EventSourceMessage) => void;
  /** The response ended. Throw to retry (through `onerror`). */
  onclose?: () => void;
  /** Return a retry interval in ms (or nothing for the current one); throw to stop: the promise rejects with it. */
  onerror?: (err: any) => number | null | undefined | void;
  /** Keep the stream open while the document is hidden. Default: close on hide, reopen (with `last-event-id`) on show. */
  openWhenHidden?: boolean;
  /** `fetch` for the SSE fallback. */
  fetch?: typeof fetch;
}

const DEFAULT_RETRY_MS = 1_000;

interface DocumentLike {
  hidden: boolean;
  addEventListener(type: 'visibilitychange', listener: () => void): void;
  removeEventListener(type: 'visibilitychange', listener: () => void): void;
}

/**
 * Streams `input` like `fetchEventSource(input, init)`: resolves after `onclose` (the response ended)
 * or when `init.signal` aborts; rejects with what `onerror` throws. Each attempt goes over the socket
 * or, when it is unavailable, over real SSE. A GET stream also moves between the two as the
 * transport changes, resuming with `last-event-id`; a POST finishes where it started (sending it
 * again could repeat its effect), and its next attempt takes the current transport.
 * @param options which client carries it and how the transport is chosen (see {@link WsAdapterOptions}).
 */
export function wsFetchEventSource(input: string | URL | Request, init: WsFetchEventSourceInit, options: WsAdapterOptions = {}): Promise<void> {
  const { signal: inputSignal, headers: inputHeaders, onopen: inputOnOpen, onmessage, onclose, onerror, openWhenHidden, fetch: inputFetch, ...rest } = init;
  const clock = options.clock ?? systemClock;
  const adapterOptions: WsAdapterOptions = inputFetch ? { ...options, fetch: inputFetch } : options;
  const context = adapterContext(adapterOptions);
  const method = (rest.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
  return new Promise<void>((resolve, reject) => {
    const headers: Record<string, string> = { ...inputHeaders };
    if (!headers['accept']) headers['accept'] = EventStreamContentType;
    const onopen = inputOnOpen ?? defaultOnOpen;
    const doc = (globalThis as { document?: DocumentLike }).document;
    let current: AbortController | undefined;
    let retryMs = DEFAULT_RETRY_MS;
    let retryTimer: unknown;
    const restart = (): void => {
      clock.clearTimeout(retryTimer);
      current?.abort();
      void create();
    };
    const onVisibilityChange = (): void => {
      current?.abort();
      if (!doc?.hidden) void create();
    };
    const hold = context.selector?.hold();
    const offSwitch = method === 'GET' ? context.selector?.onChange(() => current && !current.signal.aborted && restart()) : undefined;
    if (!openWhenHidden) doc?.addEventListener('visibilitychange', onVisibilityChange);
    const dispose = (): void => {
      doc?.removeEventListener('visibilitychange', onVisibilityChange);
      clock.clearTimeout(retryTimer);
      current?.abort();
      offSwitch?.();
      hold?.release();
    };
    inputSignal?.addEventListener('abort', () => {
      dispose();
      resolve();
    });

    async function create(): Promise<void> {
      const controller = new AbortController();
      current = controller;
      try {
        const response = await wsFetch(input, { ...rest, headers, signal: controller.signal }, adapterOptions);
        await onopen(response);
        if (!response.body) throw new TypeError('the response has no body');
        await readSseEvents(response.body, {
          onEvent: (event) => {
            if (event.id) headers['last-event-id'] = event.id;
            else if (event.id === '') delete headers['last-event-id'];
            // Same fields in the same order as the original's messages.
            onmessage?.({ data: event.data, event: event.type === 'message' ? '' : event.type, id: event.id ?? '', retry: undefined });
          },
          onRetry: (interval) => {
            retryMs = interval;
          },
        });
        onclose?.();
        dispose();
        resolve();
      } catch (error) {
        if (controller.signal.aborted) return;
        try {
          const interval = onerror?.(error) ?? retryMs;
          clock.clearTimeout(retryTimer);
          retryTimer = clock.setTimeout(() => void create(), interval);
        } catch (fatal) {
          dispose();
          reject(fatal);
        }
      }
    }

    if (inputSignal?.aborted) {
      dispose();
      resolve();
      return;
    }
    void (hold?.ready ?? Promise.resolve()).then(() => {
      if (!inputSignal?.aborted) void create();
    });
  });
}

function defaultOnOpen(response: Response): Promise<void> {
  const contentType = response.headers.get('content-type');
  if (!contentType?.startsWith(EventStreamContentType)) {
    return Promise.reject(new Error(`Expected content-type to be ${EventStreamContentType}, Actual: ${contentType}`));
  }
  return Promise.resolve();
}
