/**
 * `WsEventSource`: the `EventSource` interface over the shared WebSocket. `new WsEventSource(url)`
 * subscribes to the bridged `sse:<path>` channel of `url`; every stream of a page rides one socket.
 * When the flag says `sse`, the socket keeps failing, or the gateway has no route for the URL, the
 * same object reads the URL over real SSE instead, and comes back to the socket when it can. A switch
 * resumes by `Last-Event-ID`; while both transports run, events are matched by id, so none is lost
 * or repeated.
 */
import { systemClock, type Clock, type TimerHandle } from '../clock.js';
import { absoluteUrl, adapterContext, type AdapterContext, type WsAdapterOptions } from './adapter-options.js';
import { openSseLeg, openWsLeg, type Leg, type LegOptions } from './event-source-legs.js';
import type { SseEvent } from './sse-over-fetch.js';

/** The second argument of `new WsEventSource(url, init)`: `EventSource`'s, plus the `eventsource` polyfill's `headers`. */
export interface WsEventSourceInit {
  /** Send cookies cross-origin on the SSE fallback (`credentials: 'include'`); over the socket the gateway forwards the connection's. */
  withCredentials?: boolean;
  /** Request headers for the stream (the `eventsource` polyfill's option), sent upstream by the gateway or on the SSE fallback. */
  headers?: Record<string, string>;
}

/** Options of {@link WsEventSource} besides the adapters' common ones. */
export interface WsEventSourceOptions extends WsAdapterOptions {
  /** Reconnection time until the stream sets one with `retry:`, in ms. Default 3,000 (as browsers). */
  retryMs?: number;
  /** The longest time two transports both run during a switch, waiting for their events to meet, in ms. Default 10,000. */
  handoverMs?: number;
}

type ListenerOptions = boolean | { capture?: boolean; once?: boolean; passive?: boolean; signal?: AbortSignal };
type AnyListener = ((event: Event) => unknown) | { handleEvent(event: Event): unknown };

/**
 * The `EventSource` surface without the implementation's private state: what `this` is in the
 * handlers, so that a `WsEventSource` stays assignable to lib.dom's `EventSource`.
 */
export interface EventSourceLike extends EventTarget {
  readonly url: string;
  readonly withCredentials: boolean;
  readonly readyState: number;
  readonly CONNECTING: 0;
  readonly OPEN: 1;
  readonly CLOSED: 2;
  close(): void;
}

/** The named events of a {@link WsEventSource}, as lib.dom's `EventSourceEventMap`. */
export interface WsEventSourceEventMap {
  error: Event;
  message: MessageEvent;
  open: Event;
}

/** Default of `sseIdleTimeoutMs`: the bridge's own idle timeout for upstream streams. */
const DEFAULT_SSE_IDLE_TIMEOUT_MS = 45_000;

export class WsEventSource extends EventTarget implements EventSourceLike {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  readonly CONNECTING = 0 as const;
  readonly OPEN = 1 as const;
  readonly CLOSED = 2 as const;
  /** The stream's URL, made absolute as `EventSource` does. */
  readonly url: string;
  /** `init.withCredentials`. */
  readonly withCredentials: boolean;
  /** Called for `open` events, after the listeners added before it was set (as an event handler attribute). */
  onopen: ((this: EventSourceLike, event: Event) => unknown) | null = null;
  /** Called for events named `message` (events without an `event:` name). */
  onmessage: ((this: EventSourceLike, event: MessageEvent) => unknown) | null = null;
  /** Called when the connection drops (readyState CONNECTING) or fails for good (CLOSED). */
  onerror: ((this: EventSourceLike, event: Event) => unknown) | null = null;

  readonly #context: AdapterContext;
  readonly #options: WsEventSourceOptions;
  readonly #clock: Clock;
  readonly #origin: string;
  readonly #headers: Record<string, string> | undefined;
  #readyState: number = WsEventSource.CONNECTING;
  #lastEventId = '';
  #retryMs: number;
  #current: Leg | undefined;
  #currentOpen = false;
  /** The leg being replaced, kept until both legs delivered a common event (or `handoverMs`). */
  #previous: Leg | undefined;
  /** Ids delivered since a switch began, to drop the copy the other leg delivers. */
  #handoverIds: Set<string> | undefined;
  #handoverTimer: TimerHandle | undefined;
  #noRoute = false;
  #release: Array<() => void> = [];

  /**
   * Opens the stream at `url`, as `new EventSource(url, init)`.
   * @throws DOMException `SyntaxError` when `url` is relative and there is no page or `baseUrl` to resolve it against.
   */
  constructor(url: string | URL, init: WsEventSourceInit = {}, options: WsEventSourceOptions = {}) {
    super();
    const resolved = absoluteUrl(url, options.baseUrl);
    if (resolved === undefined) throw new DOMException(`WsEventSource: cannot resolve the URL "${String(url)}": pass an absolute URL or the option baseUrl`, 'SyntaxError');
    this.url = resolved;
    this.#origin = new URL(resolved).origin;
    this.withCredentials = init.withCredentials ?? false;
    this.#headers = init.headers;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#retryMs = options.retryMs ?? 3_000;
    this.#context = adapterContext(options);
    for (const type of ['open', 'message', 'error'] as const) {
      super.addEventListener(type, (event) => {
        const handler = type === 'open' ? this.onopen : type === 'message' ? this.onmessage : this.onerror;
        handler?.call(this, event as MessageEvent);
      });
    }
    void this.#start();
  }

  /** `CONNECTING` (0), `OPEN` (1) or `CLOSED` (2). */
  get readyState(): number {
    return this.#readyState;
  }

  /** Not in `EventSource`: which transport carries the stream now (`undefined` before the first connection). */
  get transport(): 'ws' | 'sse' | undefined {
    return this.#current?.transport;
  }

  /** Stops the stream for good (readyState CLOSED); no event fires afterwards. */
  close(): void {
    this.#readyState = WsEventSource.CLOSED;
    this.#endHandover();
    this.#current?.close();
    this.#current = undefined;
    for (const release of this.#release.splice(0)) release();
  }

  override addEventListener<K extends keyof WsEventSourceEventMap>(type: K, listener: (this: WsEventSource, event: WsEventSourceEventMap[K]) => unknown, options?: ListenerOptions): void;
  override addEventListener(type: string, listener: (this: WsEventSource, event: MessageEvent) => unknown, options?: ListenerOptions): void;
  override addEventListener(type: string, listener: AnyListener | null, options?: ListenerOptions): void;
  override addEventListener(type: string, listener: unknown, options?: ListenerOptions): void {
    if (listener) super.addEventListener(type, listener as AnyListener as (event: Event) => void, options);
  }

  override removeEventListener<K extends keyof WsEventSourceEventMap>(type: K, listener: (this: WsEventSource, event: WsEventSourceEventMap[K]) => unknown, options?: boolean | { capture?: boolean }): void;
  override removeEventListener(type: string, listener: (this: WsEventSource, event: MessageEvent) => unknown, options?: boolean | { capture?: boolean }): void;
  override removeEventListener(type: string, listener: AnyListener | null, options?: boolean | { capture?: boolean }): void;
  override removeEventListener(type: string, listener: unknown, options?: boolean | { capture?: boolean }): void {
    if (listener) super.removeEventListener(type, listener as AnyListener as (event: Event) => void, options);
  }

  async #start(): Promise<void> {
    const selector = this.#context.selector;
    if (selector) {
      const hold = selector.hold();
      this.#release.push(hold.release, selector.onChange(() => this.#switchTo(this.#wanted())));
      await hold.ready;
    }
    this.#switchTo(this.#wanted());
  }

  #wanted(): 'ws' | 'sse' {
    if (this.#context.mode !== 'auto') return this.#context.mode;
    return this.#noRoute ? 'sse' : (this.#context.selector?.transport ?? 'ws');
  }

  #switchTo(transport: 'ws' | 'sse'): void {
    if (this.#readyState === WsEventSource.CLOSED || this.#current?.transport === transport) return;
    this.#endHandover();
    const old = this.#current;
    const oldWasDelivering = this.#currentOpen && this.#readyState === WsEventSource.OPEN;
    this.#currentOpen = false;
    this.#current = this.#openLeg(transport);
    if (!old) return;
    if (!oldWasDelivering || this.#lastEventId === '') {
      old.close();
      return;
    }
    this.#previous = old;
    this.#handoverIds = new Set();
    this.#handoverTimer = this.#clock.setTimeout(() => this.#endHandover(), this.#options.handoverMs ?? 10_000);
  }

  #openLeg(transport: 'ws' | 'sse'): Leg {
    let leg: Leg | undefined;
    const options: LegOptions = {
      url: this.url,
      headers: this.#headers,
      withCredentials: this.withCredentials,
      lastEventId: () => this.#lastEventId,
      retryMs: () => this.#retryMs,
      setRetryMs: (retryMs) => {
        this.#retryMs = retryMs;
      },
      idleTimeoutMs: this.#options.sseIdleTimeoutMs ?? DEFAULT_SSE_IDLE_TIMEOUT_MS,
      clock: this.#clock,
      handlers: {
        onOpen: () => leg && this.#onOpen(leg),
        onEvent: (event) => leg && this.#onEvent(leg, event),
        onDrop: () => leg && this.#onDrop(leg),
        onFail: (reason) => leg && this.#onFail(leg, reason),
        onNoRoute: () => {
          if (leg !== this.#current) return;
          this.#noRoute = true;
          this.#switchTo('sse');
        },
      },
    };
    const client = this.#context.client;
    leg = transport === 'ws' && client ? openWsLeg(client, options) : openSseLeg(this.#context.fetch, options);
    return leg;
  }

  #onOpen(leg: Leg): void {
    if (leg !== this.#current) return;
    this.#currentOpen = true;
    if (this.#readyState === WsEventSource.OPEN) return;
    this.#readyState = WsEventSource.OPEN;
    this.dispatchEvent(new Event('open'));
  }

  #onEvent(leg: Leg, event: SseEvent): void {
    if (leg !== this.#current && leg !== this.#previous) return;
    if (this.#handoverIds && event.id !== undefined) {
      if (this.#handoverIds.has(event.id)) {
        // Both legs delivered this event: they have met, the old one is no longer needed.
        this.#closePrevious();
        return;
      }
      if (!this.#previous) this.#endHandover();
      else this.#handoverIds.add(event.id);
    }
    if (event.id !== undefined) this.#lastEventId = event.id;
    this.dispatchEvent(new MessageEvent(event.type, { data: event.data, lastEventId: this.#lastEventId, origin: this.#origin }));
  }

  #onDrop(leg: Leg): void {
    if (leg === this.#previous) {
      this.#closePrevious();
      if (this.#currentOpen) return;
    } else if (leg === this.#current) {
      this.#currentOpen = false;
      if (this.#previous) return;
    } else return;
    if (this.#readyState === WsEventSource.CLOSED) return;
    this.#readyState = WsEventSource.CONNECTING;
    this.dispatchEvent(new Event('error'));
  }

  #onFail(leg: Leg, reason: Error): void {
    if (leg === this.#previous) {
      this.#closePrevious();
      return;
    }
    if (leg !== this.#current) return;
    if (this.#previous) {
      // The new transport cannot serve this stream: stay on the one that does.
      leg.close();
      this.#current = this.#previous;
      this.#currentOpen = true;
      this.#previous = undefined;
      this.#endHandover();
      return;
    }
    this.close();
    this.dispatchEvent(Object.assign(new Event('error'), { cause: reason }));
  }

  #closePrevious(): void {
    this.#previous?.close();
    this.#previous = undefined;
  }

  #endHandover(): void {
    this.#closePrevious();
    this.#handoverIds = undefined;
    if (this.#handoverTimer !== undefined) this.#clock.clearTimeout(this.#handoverTimer);
    this.#handoverTimer = undefined;
  }
}
