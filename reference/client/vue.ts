/**
 * `wsmig/vue`: `useWsEventSource`, vueuse's `useEventSource` over a {@link WsEventSource} — the same
 * arguments and the same reactive return (`eventSource, event, data, status, error, close, open,
 * lastEventId`), so a component swaps one import and its stream rides the page's shared socket (with
 * the SSE fallback of the adapter). `vue` (3.3 or later) is an optional peer dependency.
 */
import { getCurrentScope, onScopeDispose, ref, shallowRef, toValue, watch, type MaybeRefOrGetter, type Ref, type ShallowRef } from 'vue';
import { systemClock } from './clock.js';
import { WsEventSource, type WsEventSourceOptions } from './adapters/ws-event-source.js';

/** The connection status, as vueuse reports it. */
export type WsEventSourceStatus = 'OPEN' | 'CONNECTING' | 'CLOSED';

/** vueuse's `useEventSource` options, plus the adapter's (`client`, `transport`, `baseUrl`, …). */
export interface UseWsEventSourceOptions extends WsEventSourceOptions {
  /** `EventSource`'s `withCredentials`. Default `false`. */
  withCredentials?: boolean;
  /** Open at once. Default `true`. */
  immediate?: boolean;
  /** Open again when the URL changes. Default `true`. */
  autoConnect?: boolean;
  /**
   * Open a new stream after one failed for good (CLOSED): `true`, or `{ retries, delay, onFailed }`
   * (`retries`: attempts, or a function saying whether to try again; `delay` in ms, default 1,000).
   */
  autoReconnect?: boolean | { retries?: number | (() => boolean); delay?: number; onFailed?: () => void };
}

/** What {@link useWsEventSource} returns: vueuse's `UseEventSourceReturn`. */
export interface UseWsEventSourceReturn<Events extends string[], Data = any> {
  /** The current stream, `null` when closed. */
  eventSource: Ref<WsEventSource | null>;
  /** The name of the last named event (one of `events`), `null` for `message` events. */
  event: ShallowRef<Events[number] | null>;
  /** The last event's data (`null` for a named event with empty data, as vueuse). */
  data: ShallowRef<Data | null>;
  /** `CLOSED` after any `error` event, as vueuse reports it (the stream may be reconnecting), `OPEN` once open again. */
  status: ShallowRef<WsEventSourceStatus>;
  /** The last `error` event, `null` once open again. */
  error: ShallowRef<Event | null>;
  /** Closes the stream (no automatic reconnect). */
  close: () => void;
  /** Opens the stream again (closing the current one). */
  open: () => void;
  /** The `lastEventId` of the last `message` event. */
  lastEventId: ShallowRef<string | null>;
}

/**
 * vueuse's `useEventSource(url, events, options)` over the WebSocket: listens to `message` and to
 * the named `events`, and closes when the calling component's scope is disposed. Opens nothing
 * during server-side rendering (no `window`).
 */
export function useWsEventSource<Events extends string[], Data = any>(
  url: MaybeRefOrGetter<string | URL | undefined>,
  events: Events = [] as unknown as Events,
  options: UseWsEventSourceOptions = {},
): UseWsEventSourceReturn<Events, Data> {
  const eventSource = ref<WsEventSource | null>(null) as Ref<WsEventSource | null>;
  const event = shallowRef<Events[number] | null>(null);
  const data = shallowRef<Data | null>(null);
  const status = shallowRef<WsEventSourceStatus>('CONNECTING');
  const error = shallowRef<Event | null>(null);
  const lastEventId = shallowRef<string | null>(null);
  const { withCredentials = false, immediate = true, autoConnect = true, autoReconnect, ...adapterOptions } = options;
  const clock = adapterOptions.clock ?? systemClock;
  const inBrowser = typeof (globalThis as { window?: unknown }).window !== 'undefined';
  let explicitlyClosed = false;
  let retried = 0;
  let retryTimer: unknown;

  const close = (): void => {
    clock.clearTimeout(retryTimer);
    if (!eventSource.value) return;
    eventSource.value.close();
    eventSource.value = null;
    status.value = 'CLOSED';
    explicitlyClosed = true;
  };

  const init = (): void => {
    const target = toValue(url);
    if (explicitlyClosed || target === undefined) return;
    const source = new WsEventSource(target, { withCredentials }, adapterOptions);
    status.value = 'CONNECTING';
    eventSource.value = source;
    source.onopen = () => {
      status.value = 'OPEN';
      error.value = null;
    };
    source.onerror = (failure) => {
      status.value = 'CLOSED';
      error.value = failure;
      if (source.readyState !== WsEventSource.CLOSED || explicitlyClosed || !autoReconnect) return;
      const { retries = -1, delay = 1_000, onFailed } = autoReconnect === true ? {} : autoReconnect;
      retried += 1;
      const again = typeof retries === 'function' ? retries() : retries < 0 || retried < retries;
      if (again) retryTimer = clock.setTimeout(init, delay);
      else onFailed?.();
    };
    source.onmessage = (message) => {
      event.value = null;
      data.value = message.data as Data;
      lastEventId.value = message.lastEventId;
    };
    for (const name of events) {
      source.addEventListener(name, (message) => {
        event.value = name;
        data.value = (message.data as Data) || null;
      });
    }
  };

  const open = (): void => {
    if (!inBrowser) return;
    close();
    explicitlyClosed = false;
    retried = 0;
    init();
  };

  if (immediate) open();
  if (autoConnect) watch(() => toValue(url), open);
  if (getCurrentScope()) onScopeDispose(close);
  return { eventSource, event, data, status, error, close, open, lastEventId };
}
