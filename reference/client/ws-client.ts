/**
 * `WSClient`: the seed's WebSocket client (§2.1), built to survive what real networks do.
 * Capped, fully jittered backoff; the protocol's close-code policy; drain hints; requests that
 * always settle; a bounded offline queue that reports every drop; subscriptions that resume from
 * their last `seq`; and an application heartbeat that detects a dead server.
 * Runs unchanged in browsers and Node (the Node entry supplies `ws`).
 */
import {
  SYSTEM_CHANNEL,
  envelopeProblem,
  encodeFrame,
  reconnectPolicyFor,
  type CloseCode,
  type DrainPayload,
  type ReconnectPolicy,
  type WSMessage,
} from '../protocol/index.js';
import { reconnectDelayFor } from './backoff.js';
import { systemClock, type Clock, type TimerHandle } from './clock.js';
import { TypedEmitter, type Listener } from './emitter.js';
import { TicketRequestError, defaultTicketUrl, fetchTicket, withTicketQuery, wsUrlProblem } from './endpoints.js';
import { Heartbeat } from './heartbeat.js';
import { callableFetch, withBearer } from './http.js';
import { WSRequestError, asError, requestErrorOf } from './request-error.js';
import { RequestTracker, type QueueOverflowEvent, type QueueOverflowPolicy } from './request-tracker.js';
import { SubscriptionRegistry, type MessageHandler, type ResyncEvent, type SubscribeOptions } from './subscription-registry.js';
import { OPEN_STATE, acceptsHeaders, defaultWebSocket, type WebSocketConstructorLike, type WebSocketLike } from './websocket-like.js';

/** A token, or a function returning the current one (called before every connection attempt). */
export type TokenProvider = string | (() => string | Promise<string>);

/** A function returning a fresh one-time connection ticket (called before every connection attempt). */
export type TicketProvider = () => string | Promise<string>;

/** What one connection attempt authenticates with: the token (header, Node) and/or a one-time ticket (URL). */
interface AttemptCredentials {
  token?: string | undefined;
  ticket?: string | undefined;
}

/** The seed's `WSOptions`, plus what a client needs to behave well in production. */
export interface WSOptions {
  /** WebSocket URL, e.g. `ws://localhost:3000/ws` (the seed's `WS_ENDPOINT`). */
  url: string;
  /** Reconnect after an unexpected close (per the close-code policy). Default `true`. */
  reconnect?: boolean;
  /** Consecutive failed reconnect attempts before giving up (state `closed`, `give-up` event). Default 10. */
  maxReconnectAttempts?: number;
  /** Base backoff delay in ms: the ceiling of the first, jittered, retry. Default 500. */
  reconnectDelay?: number;
  /** Ceiling of any backoff delay in ms. Default 30,000. */
  maxReconnectDelay?: number;
  /** The attempt counter resets only after a connection stayed open this long, in ms. Default 5,000. */
  minStableMs?: number;
  /** Application ping interval in ms; no frame within `heartbeatInterval + timeout` → dead connection. Default 20,000; 0 disables. */
  heartbeatInterval?: number;
  /** Default request timeout in ms (also the heartbeat grace). Default 10,000. */
  timeout?: number;
  /** How long one connection attempt may take before it is abandoned, in ms. Default: `timeout`. */
  connectTimeout?: number;
  /** How many requests may wait for a connection. Default 100. */
  queueSize?: number;
  /** What happens when the offline queue is full. Default `reject-new`. */
  queueOverflow?: QueueOverflowPolicy;
  /**
   * Bearer token. Node (`ws`): the `Authorization` header. Browsers, which cannot set headers on an
   * upgrade: exchanged before every attempt for a one-time ticket (`POST` {@link ticketUrl}), sent as
   * `?ticket=`; the token itself never goes in a URL.
   */
  token?: TokenProvider;
  /**
   * Browsers: where a ticket is asked for (`POST`, JSON, `Authorization: Bearer <token>` and, same
   * origin, the page's cookies → `{ ticket }`). Default: `<http base of url>/api/ws-ticket` when a
   * `token` is given. Given without a token, the ticket is asked for on the page's cookies alone.
   */
  ticketUrl?: string;
  /** A fresh one-time ticket for every connection attempt (e.g. from your own backend), sent as `?ticket=`; takes precedence over `ticketUrl` (and, in browsers, the token). */
  ticket?: TicketProvider;
  /** `fetch` for ticket requests. Default: the global one. */
  fetch?: typeof fetch;
  /**
   * Who this client is for the flag's percentage rollout: `SyncManager` and the drop-in adapters send
   * it to `/api/config`, so the same user keeps the same transport. Default: the browser session's id
   * (`sessionStorage`), else one drawn per page load. A token with an identity is bucketed by that
   * identity instead (the server decides).
   */
  stickinessId?: string;
  /** Connect in the constructor, as the seed's client does. Default `true`. */
  autoConnect?: boolean;
  /** WebSocket implementation. Default: `ws` with the Node entry, the global `WebSocket` in browsers. */
  WebSocket?: WebSocketConstructorLike;
  /** Clock and timers (tests inject a fake one). */
  clock?: Clock;
  /** Uniform random source in [0, 1) for jitter. Default `Math.random`. */
  random?: () => number;
}

/** Where the client stands. `reconnecting` covers both the backoff wait and the reconnect attempt. */
export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

/** Payload of the `open` event. */
export interface WSOpenEvent {
  url: string;
  /** Consecutive reconnect attempts it took (0 for a first connection). */
  reconnectAttempts: number;
}

/** Payload of the `close` event. */
export interface WSCloseEvent {
  code: number;
  reason: string;
  /** Whether the client will try to reconnect (per `reconnect`, the close-code policy and the attempt budget). */
  willReconnect: boolean;
}

/** Payload of the `reconnecting` event, emitted when a reconnect is scheduled. */
export interface WSReconnectingEvent {
  /** 1 for the first reconnect attempt after a stable connection. */
  attempt: number;
  delayMs: number;
  /** `drain`: the server asked to come back after `retryAfterMs`; `backoff`: the jittered backoff. */
  cause: 'backoff' | 'drain';
}

/** Payload of the `state` event. */
export interface WSStateEvent {
  state: ConnectionState;
  previous: ConnectionState;
}

/** Payload of the `give-up` event: the client stopped reconnecting on its own. */
export interface WSGiveUpEvent {
  cause: 'max-attempts' | 'close-code' | 'reauthenticate' | 'reconnect-disabled' | 'no-websocket';
  /** Reconnect attempts made. */
  attempts: number;
  /** The last close code. */
  code: number;
  reason: string;
}

/** The events of a {@link WSClient}. */
export interface WSClientEvents {
  open: WSOpenEvent;
  close: WSCloseEvent;
  reconnecting: WSReconnectingEvent;
  error: Error;
  state: WSStateEvent;
  resync: ResyncEvent;
  drain: DrainPayload;
  'queue-overflow': QueueOverflowEvent;
  'give-up': WSGiveUpEvent;
}

/** Options of {@link WSClient.request}. */
export interface RequestOptions {
  /** Timeout in ms for this request, queue time included. Default: `WSOptions.timeout`. */
  timeout?: number;
  /** Channel of the request frame. Default: the type's prefix (`sync:start` → `sync`), else `rpc`. */
  channel?: string;
}

/** The options with their defaults applied; `url`, `token`, `ticketUrl`, `ticket`, `stickinessId` and `WebSocket` as given. */
interface ResolvedOptions extends WSOptions {
  reconnect: boolean;
  maxReconnectAttempts: number;
  reconnectDelayMs: number;
  maxReconnectDelayMs: number;
  minStableMs: number;
  heartbeatIntervalMs: number;
  timeoutMs: number;
  connectTimeoutMs: number;
  fetch: typeof fetch;
  clock: Clock;
  random: () => number;
}

/** Close codes the client sets itself, written out so that bundles need not carry the `CloseCode` table (as error codes and message types are). */
const NORMAL_CLOSURE: typeof CloseCode.normal = 1000;
const ABNORMAL_CLOSURE: typeof CloseCode.abnormal = 1006;

/** The longest extra wait added to a drain's `retryAfterMs`, in ms. */
const MAX_DRAIN_JITTER_MS = 1_000;

let clientCount = 0;

export class WSClient {
  readonly #options: ResolvedOptions;
  readonly #events = new TypedEmitter<WSClientEvents>();
  readonly #requests: RequestTracker;
  readonly #subscriptions: SubscriptionRegistry;
  readonly #heartbeat: Heartbeat | undefined;
  readonly #idPrefix: string;
  #nextId = 0;

  #state: ConnectionState = 'idle';
  #socket: WebSocketLike | undefined;
  #attempts = 0;
  #slowBackoff = false;
  #closedByApplication = false;
  /** Bumped for every connection attempt and by close(): late callbacks of older attempts are ignored. */
  #generation = 0;
  #lastToken: string | undefined;
  /** The current attempt connects with a ticket: a 401 at its upgrade means a spent or late ticket, so the next attempt gets a new one. */
  #ticketAttempt = false;
  #drainRetryAfterMs: number | undefined;
  /** The HTTP status of a refused upgrade, when the implementation reports one (`ws` does). */
  #refusedUpgradeStatus: number | undefined;
  #reconnectTimer: TimerHandle | undefined;
  #connectTimer: TimerHandle | undefined;
  #stableTimer: TimerHandle | undefined;

  /**
   * Creates a client and, unless `autoConnect` is false, starts connecting.
   * @throws TypeError when `url` is not a ws:// or wss:// URL.
   */
  constructor(options: WSOptions) {
    const problem = wsUrlProblem(options?.url);
    if (problem !== undefined) throw new TypeError(`WSClient: ${problem}`);
    const timeoutMs = positiveOr(options.timeout, 10_000);
    this.#options = {
      ...options,
      reconnect: options.reconnect ?? true,
      maxReconnectAttempts: Math.max(0, options.maxReconnectAttempts ?? 10),
      reconnectDelayMs: Math.max(0, options.reconnectDelay ?? 500),
      maxReconnectDelayMs: Math.max(0, options.maxReconnectDelay ?? 30_000),
      minStableMs: Math.max(0, options.minStableMs ?? 5_000),
      heartbeatIntervalMs: Math.max(0, options.heartbeatInterval ?? 20_000),
      timeoutMs,
      connectTimeoutMs: positiveOr(options.connectTimeout, timeoutMs),
      fetch: callableFetch(options.fetch),
      clock: options.clock ?? systemClock,
      random: options.random ?? Math.random,
    };
    clientCount += 1;
    this.#idPrefix = `c${clientCount.toString(36)}${Math.floor(this.#options.random() * 36 ** 4).toString(36)}`;
    this.#requests = new RequestTracker(this.#options.clock, {
      queueSize: options.queueSize ?? 100,
      overflow: options.queueOverflow ?? 'reject-new',
      onOverflow: (event) => this.#events.emit('queue-overflow', event),
    });
    this.#subscriptions = new SubscriptionRegistry({
      nextId: (prefix) => this.#newId(prefix),
      onResync: (event) => this.#events.emit('resync', event),
      onError: (error) => this.#events.emit('error', error),
    });
    if (this.#options.heartbeatIntervalMs > 0) {
      this.#heartbeat = new Heartbeat(this.#options.clock, {
        intervalMs: this.#options.heartbeatIntervalMs,
        deadAfterMs: this.#options.heartbeatIntervalMs + timeoutMs,
        sendPing: () => this.#sendIfOpen(encodeFrame({ id: this.#newId('p'), channel: SYSTEM_CHANNEL, type: 'ping', payload: null })),
        onDead: (silentForMs) => this.#abandonSocket(ABNORMAL_CLOSURE, `no frame for ${silentForMs} ms: connection presumed dead`),
      });
    }
    if (options.autoConnect ?? true) this.connect();
  }

  /** The URL this client connects to. */
  get url(): string {
    return this.#options.url;
  }

  /** The token (or provider) the client connects with; `SyncManager` uses it for the legacy HTTP endpoints. */
  get token(): TokenProvider | undefined {
    return this.#options.token;
  }

  /** The `stickinessId` option: the id `/api/config` buckets this client by (absent: the session's, see {@link WSOptions.stickinessId}). */
  get stickinessId(): string | undefined {
    return this.#options.stickinessId;
  }

  /** Where the connection stands. */
  get state(): ConnectionState {
    return this.#state;
  }

  /** Consecutive reconnect attempts since the connection was last stable (the seed's §3.2 logs it). */
  get reconnectAttempts(): number {
    return this.#attempts;
  }

  /**
   * Connects (or reconnects after `close()` or a give-up, with a fresh attempt budget).
   * While waiting to reconnect, connects at once instead of waiting out the delay. Otherwise a no-op.
   */
  connect(): void {
    if (this.#state === 'open' || this.#state === 'connecting') return;
    if (this.#state === 'reconnecting') {
      if (this.#reconnectTimer === undefined) return;
      this.#reconnectTimer = this.#clearTimer(this.#reconnectTimer);
      this.#openSocket();
      return;
    }
    this.#closedByApplication = false;
    this.#attempts = 0;
    this.#slowBackoff = false;
    this.#setState('connecting');
    this.#openSocket();
  }

  /**
   * Closes the connection for good: no reconnect; every request, in flight or queued, rejects with
   * `CLIENT_CLOSED`. Subscriptions are kept and resume if `connect()` is called again.
   */
  close(code: number = NORMAL_CLOSURE, reason = 'client closed'): void {
    if (this.#closedByApplication && this.#state === 'closed') return;
    this.#closedByApplication = true;
    this.#generation += 1;
    this.#stopConnectionTimers();
    this.#reconnectTimer = this.#clearTimer(this.#reconnectTimer);
    const socket = this.#socket;
    this.#socket = undefined;
    if (socket) closeQuietly(socket, code, reason);
    this.#requests.failAll('CLIENT_CLOSED', 'the client was closed by the application', false);
    const wasClosed = this.#state === 'closed';
    this.#setState('closed');
    if (!wasClosed) this.#events.emit('close', { code, reason, willReconnect: false });
  }

  /**
   * Sends a request and resolves with the reply's payload. Never hangs: rejects with a
   * {@link WSRequestError} on an `error` reply (the server's code), `TIMEOUT`, `DISCONNECTED`
   * (in flight when the connection closed; it may have been processed), `QUEUE_OVERFLOW`, or
   * `CLIENT_CLOSED`. While not connected the request waits in the bounded offline queue.
   */
  request<T = unknown>(type: string, payload: unknown = null, options: RequestOptions = {}): Promise<T> {
    if (this.#state === 'closed') {
      const code = this.#closedByApplication ? 'CLIENT_CLOSED' : 'DISCONNECTED';
      const message = this.#closedByApplication ? 'the client was closed by the application' : 'the client stopped reconnecting; call connect() to try again';
      return Promise.reject(new WSRequestError(code, message, { retryable: !this.#closedByApplication, requestType: type }));
    }
    const channel = options.channel ?? defaultChannelFor(type);
    const timeoutMs = positiveOr(options.timeout, this.#options.timeoutMs);
    return this.#requests.submit<T>({ id: this.#newId('r'), channel, type, payload: payload ?? null }, timeoutMs, this.#sendIfOpen);
  }

  /**
   * Delivers a channel's events to `handler`, each once and in `seq` order; returns the function that
   * unsubscribes. Works before connecting; after every reconnect the channel resumes from its last
   * `seq`, or a `resync` (option `onResync` and the client's `resync` event) says what was lost.
   * A refused subscribe goes to `onError` (else the client's `error` event); bridged `sse:` channels
   * take `lastEventId` and `headers`, sent in every (re)subscribe.
   */
  subscribe(channel: string, handler: MessageHandler, options: SubscribeOptions = {}): () => void {
    return this.#subscriptions.add(channel, handler, options, this.#sendIfOpen);
  }

  /** Adds an event listener; returns the function that removes it. */
  on<K extends keyof WSClientEvents>(event: K, listener: Listener<WSClientEvents, K>): () => void {
    return this.#events.on(event, listener);
  }

  /** Removes an event listener. */
  off<K extends keyof WSClientEvents>(event: K, listener: Listener<WSClientEvents, K>): void {
    this.#events.off(event, listener);
  }

  readonly #sendIfOpen = (frame: string): boolean => {
    const socket = this.#socket;
    if (this.#state !== 'open' || !socket || socket.readyState !== OPEN_STATE) return false;
    try {
      socket.send(frame);
      return true;
    } catch (error) {
      this.#events.emit('error', asError(error));
      return false;
    }
  };

  #newId(prefix: string): string {
    this.#nextId += 1;
    return `${this.#idPrefix}-${prefix}${this.#nextId.toString(36)}`;
  }

  #setState(next: ConnectionState): void {
    const previous = this.#state;
    if (previous === next) return;
    this.#state = next;
    this.#events.emit('state', { state: next, previous });
  }

  #openSocket(): void {
    const generation = ++this.#generation;
    this.#refusedUpgradeStatus = undefined;
    this.#ticketAttempt = false;
    const Implementation = this.#options.WebSocket ?? defaultWebSocket();
    if (!Implementation) {
      this.#events.emit('error', new Error('no WebSocket implementation: pass the WebSocket option (in Node, wsmig/client brings ws)'));
      this.#finish(ABNORMAL_CLOSURE, 'no WebSocket implementation', 'no-websocket');
      return;
    }
    let pending: AttemptCredentials | Promise<AttemptCredentials>;
    try {
      pending = this.#credentialsFor(Implementation, generation);
    } catch (error) {
      this.#connectFailed(generation, error);
      return;
    }
    if (!isThenable(pending)) {
      this.#createSocket(generation, Implementation, pending);
      return;
    }
    Promise.resolve(pending).then(
      (credentials) => {
        if (generation === this.#generation) this.#createSocket(generation, Implementation, credentials);
      },
      (error: unknown) => this.#connectFailed(generation, error),
    );
  }

  /**
   * What this attempt authenticates with. Node (`ws`, headers possible) with a token: the token, in
   * the `Authorization` header. Otherwise a `ticket` provider's ticket; otherwise, in a browser with
   * a token or a `ticketUrl`, a ticket asked for with the token. Never the token in the URL.
   */
  #credentialsFor(Implementation: WebSocketConstructorLike, generation: number): AttemptCredentials | Promise<AttemptCredentials> {
    const { token, ticket, ticketUrl } = this.#options;
    const headers = acceptsHeaders(Implementation);
    if (headers && token !== undefined) return thenMaybe(currentToken(token), (value) => ({ token: value }));
    if (ticket !== undefined) return Promise.resolve().then(ticket).then((value) => ({ ticket: value }));
    if (headers || (token === undefined && ticketUrl === undefined)) return {};
    return Promise.resolve(token === undefined ? undefined : currentToken(token)).then(async (value) => ({ token: value, ticket: await this.#requestTicket(value, generation) }));
  }

  /** Asks `ticketUrl` for a ticket; a refusal's HTTP status steers the reconnect policy (401 reauthenticate, 403 stop). */
  async #requestTicket(token: string | undefined, generation: number): Promise<string> {
    const abort = new AbortController();
    const timer = this.#options.clock.setTimeout(() => abort.abort(), this.#options.connectTimeoutMs);
    try {
      return await fetchTicket(this.#options.fetch, this.#options.ticketUrl ?? defaultTicketUrl(this.#options.url), token, abort.signal);
    } catch (error) {
      if (error instanceof TicketRequestError && generation === this.#generation) this.#refusedUpgradeStatus = error.status;
      if (token !== undefined && generation === this.#generation) this.#lastToken = token;
      throw error;
    } finally {
      this.#options.clock.clearTimeout(timer);
    }
  }

  #createSocket(generation: number, Implementation: WebSocketConstructorLike, credentials: AttemptCredentials): void {
    const { token, ticket } = credentials;
    let socket: WebSocketLike;
    try {
      const url = ticket === undefined ? this.#options.url : withTicketQuery(this.#options.url, ticket);
      socket = acceptsHeaders(Implementation) ? new Implementation(url, [], { headers: withBearer({}, ticket === undefined ? token : undefined) }) : new Implementation(url);
    } catch (error) {
      this.#connectFailed(generation, error);
      return;
    }
    this.#socket = socket;
    this.#ticketAttempt = ticket !== undefined;
    this.#lastToken = token;
    socket.addEventListener('open', () => {
      if (socket === this.#socket) this.#onOpen();
    });
    socket.addEventListener('message', (event) => {
      if (socket === this.#socket) this.#onMessage(event.data);
    });
    socket.addEventListener('error', (event) => {
      if (socket === this.#socket) this.#onSocketError(event);
    });
    socket.addEventListener('close', (event) => {
      if (socket !== this.#socket) return;
      this.#socket = undefined;
      this.#onClose(event.code, event.reason);
    });
    this.#connectTimer = this.#options.clock.setTimeout(() => {
      this.#connectTimer = undefined;
      if (socket === this.#socket && this.#state !== 'open') this.#abandonSocket(ABNORMAL_CLOSURE, `connect timeout after ${this.#options.connectTimeoutMs} ms`);
    }, this.#options.connectTimeoutMs);
  }

  #connectFailed(generation: number, error: unknown): void {
    if (generation !== this.#generation) return;
    this.#events.emit('error', new Error(`could not start a connection: ${asError(error).message}`, { cause: error }));
    this.#onClose(ABNORMAL_CLOSURE, 'could not start a connection');
  }

  #onOpen(): void {
    this.#connectTimer = this.#clearTimer(this.#connectTimer);
    const attempts = this.#attempts;
    this.#drainRetryAfterMs = undefined;
    this.#setState('open');
    this.#heartbeat?.start();
    this.#stableTimer = this.#options.clock.setTimeout(() => {
      this.#stableTimer = undefined;
      this.#attempts = 0;
      this.#slowBackoff = false;
    }, this.#options.minStableMs);
    this.#subscriptions.resubscribeAll(this.#sendIfOpen);
    this.#requests.flush(this.#sendIfOpen);
    this.#events.emit('open', { url: this.#options.url, reconnectAttempts: attempts });
  }

  #onMessage(data: unknown): void {
    this.#heartbeat?.noteFrame();
    if (typeof data !== 'string') {
      this.#events.emit('error', new Error('ignored a binary frame: the protocol uses JSON text frames only'));
      return;
    }
    let message: WSMessage;
    try {
      message = JSON.parse(data) as WSMessage;
      const problem = envelopeProblem(message);
      if (problem !== undefined) throw new Error(problem);
    } catch (error) {
      this.#events.emit('error', new Error(`ignored an invalid frame: ${asError(error).message}`));
      return;
    }
    switch (message.type) {
      case 'pong':
        return;
      case 'drain':
        this.#onDrain(message as WSMessage<DrainPayload>);
        return;
      case 'reply':
      case 'error':
        if (this.#requests.settle(message) || this.#subscriptions.settle(message)) return;
        if (message.type === 'error') this.#events.emit('error', requestErrorOf(message, 'unknown'));
        return;
      case 'resync':
        this.#subscriptions.resync(message);
        return;
      default:
        this.#subscriptions.deliver(message);
    }
  }

  #onDrain(message: WSMessage<DrainPayload>): void {
    const retryAfterMs = message.payload?.retryAfterMs;
    if (Number.isFinite(retryAfterMs) && retryAfterMs >= 0) this.#drainRetryAfterMs = retryAfterMs;
    this.#events.emit('drain', message.payload);
  }

  #onSocketError(event: { message?: string; error?: unknown }): void {
    const error = asError(event.error ?? (event.message || 'WebSocket error'));
    const status = /Unexpected server response: (\d{3})/.exec(error.message);
    if (status) this.#refusedUpgradeStatus = Number(status[1]);
    this.#events.emit('error', error);
  }

  /** Gives up on the current socket without waiting for a closing handshake that may never come. */
  #abandonSocket(code: number, reason: string): void {
    const socket = this.#socket;
    if (!socket) return;
    this.#socket = undefined;
    try {
      if (socket.terminate) socket.terminate();
      else socket.close();
    } catch {
      // The socket is being discarded either way.
    }
    this.#onClose(code, reason);
  }

  #onClose(code: number, reason: string): void {
    this.#stopConnectionTimers();
    this.#requests.failInFlight('DISCONNECTED', `the connection closed (${code}${reason ? ` ${reason}` : ''}) before a reply; the request may have been processed`, true);
    if (this.#closedByApplication) return;
    const policy = this.#policyFor(code);
    if (!this.#options.reconnect) return this.#reportClose(code, reason, 'reconnect-disabled');
    if (policy === 'stop') return this.#reportClose(code, reason, 'close-code');
    if (policy === 'reauthenticate') return this.#reauthenticate(code, reason);
    if (policy === 'reconnect-slow') this.#slowBackoff = true;
    this.#reportClose(code, reason, this.#attemptsLeft() ? undefined : 'max-attempts');
  }

  /** Emits `close`, then reconnects, or gives up for `giveUp` when there is one. */
  #reportClose(code: number, reason: string, giveUp: WSGiveUpEvent['cause'] | undefined): void {
    this.#events.emit('close', { code, reason, willReconnect: giveUp === undefined });
    if (giveUp === undefined) this.#scheduleReconnect();
    else this.#finish(code, reason, giveUp);
  }

  #attemptsLeft(): boolean {
    return this.#attempts < this.#options.maxReconnectAttempts;
  }

  #policyFor(code: number): ReconnectPolicy {
    const status = this.#refusedUpgradeStatus;
    if (status === undefined) return reconnectPolicyFor(code);
    if (status === 401) return this.#ticketAttempt ? 'reconnect' : 'reauthenticate';
    if (status === 429 || status === 503) return 'reconnect-slow';
    if (status === 400 || status === 403 || status === 404) return 'stop';
    return 'reconnect';
  }

  /** Reconnects after an authentication close only when the token provider has a new token. */
  #reauthenticate(code: number, reason: string): void {
    const provider = this.#options.token;
    // A ticket provider makes new credentials for every attempt.
    if (provider === undefined && this.#options.ticket !== undefined && this.#attemptsLeft()) return this.#reportClose(code, reason, undefined);
    if (typeof provider !== 'function') return this.#reportClose(code, reason, 'reauthenticate');
    const generation = this.#generation;
    const previous = this.#lastToken;
    Promise.resolve()
      .then(() => provider())
      .catch(() => undefined)
      .then((token) => {
        if (generation !== this.#generation || this.#closedByApplication) return;
        const fresh = typeof token === 'string' && token.length > 0 && token !== previous;
        this.#reportClose(code, reason, !fresh ? 'reauthenticate' : this.#attemptsLeft() ? undefined : 'max-attempts');
      });
  }

  #scheduleReconnect(): void {
    this.#attempts += 1;
    const attempt = this.#attempts;
    let delayMs: number;
    let cause: WSReconnectingEvent['cause'];
    if (this.#drainRetryAfterMs !== undefined) {
      const jitterCeilingMs = Math.min(this.#options.reconnectDelayMs, MAX_DRAIN_JITTER_MS);
      delayMs = Math.floor(this.#drainRetryAfterMs + this.#options.random() * jitterCeilingMs);
      cause = 'drain';
      this.#drainRetryAfterMs = undefined;
    } else {
      delayMs = reconnectDelayFor(attempt - 1, {
        baseDelayMs: this.#options.reconnectDelayMs,
        maxDelayMs: this.#options.maxReconnectDelayMs,
        random: this.#options.random,
        slow: this.#slowBackoff,
      });
      cause = 'backoff';
    }
    this.#setState('reconnecting');
    this.#events.emit('reconnecting', { attempt, delayMs, cause });
    this.#reconnectTimer = this.#options.clock.setTimeout(() => {
      this.#reconnectTimer = undefined;
      this.#openSocket();
    }, delayMs);
  }

  /** Stops for good without the application asking: queued requests fail at once instead of timing out. */
  #finish(code: number, reason: string, cause: WSGiveUpEvent['cause']): void {
    this.#requests.failAll('DISCONNECTED', `the client stopped reconnecting (${cause}, last close ${code}${reason ? ` ${reason}` : ''})`, true);
    this.#setState('closed');
    this.#events.emit('give-up', { cause, attempts: this.#attempts, code, reason });
  }

  #stopConnectionTimers(): void {
    this.#heartbeat?.stop();
    this.#connectTimer = this.#clearTimer(this.#connectTimer);
    this.#stableTimer = this.#clearTimer(this.#stableTimer);
  }

  /** Cancels `timer`; returns `undefined`, to store in its place. */
  #clearTimer(timer: TimerHandle | undefined): undefined {
    if (timer !== undefined) this.#options.clock.clearTimeout(timer);
    return undefined;
  }
}

/** `sync:start` → `sync`; a type without a prefix → `rpc`. */
function defaultChannelFor(type: string): string {
  const colon = type.indexOf(':');
  return colon > 0 ? type.slice(0, colon) : 'rpc';
}

/** The token now: the string, or what the provider returns. */
function currentToken(token: TokenProvider): string | Promise<string> {
  return typeof token === 'function' ? token() : token;
}

/** `map(value)`, after the promise when `value` is one, at once otherwise (a plain token connects synchronously). */
function thenMaybe<T, U>(value: T | PromiseLike<T>, map: (value: T) => U): U | Promise<U> {
  return isThenable(value) ? Promise.resolve(value).then(map) : map(value);
}

function isThenable<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}

function positiveOr(value: number | undefined, fallback: number): number {
  return Number.isFinite(value) && (value as number) > 0 ? (value as number) : fallback;
}

/** Closes a socket; browsers reject codes outside 1000 and 3000–4999, so fall back to a plain close. */
function closeQuietly(socket: WebSocketLike, code: number, reason: string): void {
  try {
    socket.close(code, reason);
  } catch {
    try {
      socket.close();
    } catch {
      // Already closing.
    }
  }
}
