/**
 * `SyncManager`: the seed's sync manager (§2.2) over a {@link WSClient}, with graceful degradation
 * to the legacy SSE endpoints (§1.1) behind the same API and events.
 *
 * Guarantees, per chat: `progress` events arrive in order and each once, followed by exactly one
 * `complete` or `error` — across reconnects, server restarts (the run is started again when the
 * server lost it) and switches between WebSocket and SSE (they share one seq space per channel).
 */
import {
  chatIdProblem,
  syncChannel,
  type ChatId,
  type ResyncPayload,
  type SyncCompleteEvent,
  type SyncErrorEvent,
  type SyncOptions,
  type SyncProgressEvent,
  type SyncStartReply,
  type SyncStatusReply,
} from '../protocol/index.js';
import { systemClock, type Clock } from './clock.js';
import { TypedEmitter, type Listener } from './emitter.js';
import { httpUrlFromWsUrl } from './endpoints.js';
import { callableFetch } from './http.js';
import { WSRequestError, asError, isWSRequestError } from './request-error.js';
import { SseSyncStream, type SseRetryOptions, type SseSyncEvent } from './sse-sync-stream.js';
import { ActiveSyncMap, ChatSyncTracker, type ActiveSync } from './sync-tracker.js';
import { TransportConfigPoller, type SyncTransport, type TransportConfig } from './transport-config.js';
import type { TokenProvider, WSClient } from './ws-client.js';

/** How `SyncManager` picks its transport. */
export type TransportMode = 'auto' | 'ws' | 'sse';

/** Options of {@link SyncManager}. */
export interface SyncManagerOptions {
  /** HTTP base of the server (legacy SSE and `/api/config`). Default: derived from the client's URL (`ws://h/ws` → `http://h`). */
  httpUrl?: string;
  /**
   * `auto` (default): follow the server's flag (`/api/config`) and fall back to SSE when the
   * WebSocket gives up; `ws`: WebSocket only; `sse`: legacy SSE only.
   */
  transport?: TransportMode;
  /** `fetch` implementation. Default: the global one. */
  fetch?: typeof fetch;
  /** How often `auto` re-reads `/api/config`, in ms. Default 15,000. */
  configPollMs?: number;
  /** Bearer token for the HTTP endpoints (`/api/config` too: its identity is bucketed first). Default: the WSClient's own token (provider). */
  token?: TokenProvider;
  /** Who this manager is for the flag's percentage rollout, sent to `/api/config`. Default: the WSClient's `stickinessId`. */
  stickinessId?: string;
  /** Clock and timers (tests inject a fake one). */
  clock?: Clock;
  /** Random source in [0, 1) for the SSE retry jitter. Default `Math.random`. */
  random?: () => number;
  /** How a broken SSE stream is retried. Default: base 500 ms, max 30 s, 10 attempts. */
  sseRetry?: Partial<SseRetryOptions>;
  /**
   * An SSE stream silent this long (no event, no keep-alive comment) is taken for half-open, aborted
   * and resumed with `Last-Event-ID`, in ms; 0 waits forever. Default 30,000: twice the reference
   * server's keep-alive interval (`sseKeepAliveMs`, 15 s); keep it at twice the server's.
   */
  sseIdleTimeoutMs?: number;
  /**
   * Finished chats remembered in `activeSyncs` (and their ended runs, to recognise late events);
   * beyond, the one finished longest ago is forgotten. Running syncs are always kept. Default 1,000.
   */
  maxFinishedSyncs?: number;
}

/** Payload of the `transport` event. */
export interface TransportSwitchEvent {
  transport: SyncTransport;
  previous: SyncTransport;
  /** `config`: the server's flag; `ws-gave-up`: the WebSocket exhausted its attempts; `ws-recovered`: it connected again. */
  reason: 'config' | 'ws-gave-up' | 'ws-recovered';
}

/** The events of a {@link SyncManager}. */
export interface SyncManagerEvents {
  progress: SyncProgressEvent;
  complete: SyncCompleteEvent;
  error: SyncErrorEvent;
  transport: TransportSwitchEvent;
}

/** Handlers for one chat, see {@link SyncManager.track}. */
export interface SyncHandlers {
  onProgress?(event: SyncProgressEvent): void;
  onComplete?(event: SyncCompleteEvent): void;
  onError?(event: SyncErrorEvent): void;
}

/** Attempts at `sync:start` over WebSocket when the outcome is retryable (it is idempotent). */
const MAX_START_ATTEMPTS = 5;
const CONFIG_TIMEOUT_MS = 5_000;
/** Ended runs remembered per chat to recognise their late events; older ones are long gone from any replay. */
const ENDED_RUNS_KEPT_PER_CHAT = 16;
const DEFAULT_SSE_IDLE_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_FINISHED_SYNCS = 1_000;

interface PendingStart {
  resolve(reply: SyncStartReply): void;
  reject(error: unknown): void;
}

export class SyncManager {
  /**
   * The seed's `activeSyncs`: each chat's last known `{ status, progress, error }`, finished ones
   * included (at most `maxFinishedSyncs` of those). Keys are normalized: `42` and `"42"` are one chat.
   */
  readonly activeSyncs: Map<ChatId, ActiveSync>;

  readonly #ws: WSClient;
  readonly #mode: TransportMode;
  readonly #httpUrl: string;
  readonly #fetch: typeof fetch;
  readonly #token: TokenProvider | undefined;
  readonly #clock: Clock;
  readonly #random: () => number;
  readonly #sseRetry: SseRetryOptions;
  readonly #sseIdleTimeoutMs: number;
  readonly #maxFinishedSyncs: number;
  readonly #events = new TypedEmitter<SyncManagerEvents>();
  readonly #trackers = new Map<string, ChatSyncTracker>();
  /** How each active chat currently receives its events. */
  readonly #links = new Map<string, () => void>();
  /** Runs that ended, per chat (the chat used longest ago first): late events from them are never delivered again. */
  readonly #endedRunIds = new Map<string, Set<string>>();
  /** SSE starts waiting for their first event, which names the run. */
  readonly #pendingSseStarts = new Map<string, PendingStart>();
  readonly #unlistenWs: Array<() => void> = [];
  readonly #poller: TransportConfigPoller | undefined;
  readonly #ready: Promise<void>;
  #transport: SyncTransport;
  #flag: SyncTransport | undefined;
  #wsGaveUp = false;
  #closed = false;

  constructor(ws: WSClient, options: SyncManagerOptions = {}) {
    this.#ws = ws;
    this.#mode = options.transport ?? 'auto';
    this.#httpUrl = (options.httpUrl ?? httpUrlFromWsUrl(ws.url)).replace(/\/$/, '');
    this.#fetch = callableFetch(options.fetch);
    this.#token = options.token ?? ws.token;
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#sseRetry = { baseDelayMs: 500, maxDelayMs: 30_000, maxAttempts: 10, ...options.sseRetry };
    this.#sseIdleTimeoutMs = options.sseIdleTimeoutMs ?? DEFAULT_SSE_IDLE_TIMEOUT_MS;
    this.#maxFinishedSyncs = options.maxFinishedSyncs ?? DEFAULT_MAX_FINISHED_SYNCS;
    this.activeSyncs = new ActiveSyncMap(this.#maxFinishedSyncs);
    this.#transport = this.#mode === 'sse' ? 'sse' : 'ws';
    if (this.#mode !== 'auto') {
      this.#ready = Promise.resolve();
      return;
    }
    this.#poller = new TransportConfigPoller({
      fetch: this.#fetch,
      httpUrl: this.#httpUrl,
      clock: this.#clock,
      intervalMs: options.configPollMs ?? 15_000,
      timeoutMs: CONFIG_TIMEOUT_MS,
      stickinessId: options.stickinessId ?? ws.stickinessId,
      token: this.#token,
      onConfig: (config) => this.#applyConfig(config),
    });
    this.#unlistenWs.push(
      ws.on('give-up', () => {
        this.#wsGaveUp = true;
        this.#evaluateTransport('ws-gave-up');
      }),
      ws.on('open', () => {
        this.#wsGaveUp = false;
        this.#evaluateTransport('ws-recovered');
      }),
    );
    // The first read decides the transport of the first sync; if it fails, WebSocket it is.
    this.#ready = this.#poller.pollNow().then(() => undefined);
    this.#poller.start();
  }

  /** The transport syncs run over now. */
  get transport(): SyncTransport {
    return this.#transport;
  }

  /**
   * Starts a chat's sync (the seed's `startSync`): subscribes to `sync:<chatId>` first, so no early
   * event is missed, then sends `sync:start` (idempotent: a sync already running is joined).
   * Over SSE it posts to the legacy endpoint and resolves when the first event names the run.
   * Follow it with `on('progress' | 'complete' | 'error')` or {@link track}.
   */
  async startSync(chatId: ChatId, options: SyncOptions = {}): Promise<SyncStartReply> {
    const problem = chatIdProblem(chatId);
    if (problem !== undefined) throw new TypeError(`startSync: ${problem}`);
    this.#assertOpen('sync:start');
    await this.#ready;
    this.#assertOpen('sync:start');
    const key = String(chatId);
    const running = this.#trackers.get(key);
    if (running) {
      // Joining a sync this manager already follows: a failure here does not end it.
      if (this.#transport === 'sse') return { chatId, status: 'running', runId: running.latestRunId };
      return this.#ensureRunning(running);
    }
    const tracker = new ChatSyncTracker(chatId, options, this.#clock.now(), this.#endedRunIdsOf(key));
    this.#trackers.set(key, tracker);
    this.#publishState(tracker);
    if (this.#transport === 'ws') this.#link(tracker);
    try {
      return await this.#ensureRunning(tracker);
    } catch (error) {
      this.#fail(tracker, error);
      throw error;
    }
  }

  /**
   * Cancels a chat's sync (`sync:cancel`, over the WebSocket: the legacy API has no cancel).
   * The server then ends the run with a `CANCELLED` error event, delivered as `error`.
   */
  async cancelSync(chatId: ChatId): Promise<{ chatId: ChatId; cancelled: boolean }> {
    const reply = await this.#ws.request<{ chatId: ChatId; cancelled: boolean }>('sync:cancel', { chatId });
    const tracker = this.#trackers.get(String(chatId));
    if (tracker && !reply.cancelled) {
      tracker.cancel();
      this.#finish(tracker);
    }
    return reply;
  }

  /** The server's record of a chat's sync (`sync:status`, over the WebSocket). */
  getStatus(chatId: ChatId): Promise<SyncStatusReply> {
    return this.#ws.request<SyncStatusReply>('sync:status', { chatId });
  }

  /** Adds a listener for every chat's events, or for `transport` switches; returns the remover. */
  on<K extends keyof SyncManagerEvents>(event: K, listener: Listener<SyncManagerEvents, K>): () => void {
    return this.#events.on(event, listener);
  }

  /** Removes a listener. */
  off<K extends keyof SyncManagerEvents>(event: K, listener: Listener<SyncManagerEvents, K>): void {
    this.#events.off(event, listener);
  }

  /** Calls `handlers` for one chat's events only; returns the function that stops. */
  track(chatId: ChatId, handlers: SyncHandlers): () => void {
    const key = String(chatId);
    const removers = [
      this.on('progress', (event) => {
        if (String(event.chatId) === key) handlers.onProgress?.(event);
      }),
      this.on('complete', (event) => {
        if (String(event.chatId) === key) handlers.onComplete?.(event);
      }),
      this.on('error', (event) => {
        if (String(event.chatId) === key) handlers.onError?.(event);
      }),
    ];
    return () => {
      for (const remove of removers) remove();
    };
  }

  /** Stops following every chat and polling the config. The {@link WSClient} stays as it is (it is the caller's). */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#poller?.stop();
    for (const unlisten of this.#unlistenWs) unlisten();
    for (const key of [...this.#links.keys()]) this.#unlink(key);
    const closedError = new WSRequestError('CLIENT_CLOSED', 'the SyncManager was closed', { retryable: false, requestType: 'sync:start' });
    for (const pending of this.#pendingSseStarts.values()) pending.reject(closedError);
    this.#pendingSseStarts.clear();
    this.#trackers.clear();
    this.#events.removeAll();
  }

  // --- transport selection ----------------------------------------------------------------

  #applyConfig(config: TransportConfig): void {
    if (this.#closed) return;
    this.#flag = config.transport;
    this.#evaluateTransport('config');
  }

  #evaluateTransport(reason: TransportSwitchEvent['reason']): void {
    if (this.#closed || this.#mode !== 'auto') return;
    if (this.#flag === 'sse') {
      this.#switchTo('sse', 'config');
      return;
    }
    if (this.#wsGaveUp) {
      this.#switchTo('sse', 'ws-gave-up');
      // The flag wants WebSocket: try it once per poll; its `open` brings the syncs back.
      if (reason === 'config' && this.#ws.state === 'closed') this.#ws.connect();
      return;
    }
    if (this.#transport === 'ws') return;
    if (this.#ws.state === 'open') this.#switchTo('ws', reason);
    else if (this.#ws.state === 'idle') this.#ws.connect();
  }

  #switchTo(next: SyncTransport, reason: TransportSwitchEvent['reason']): void {
    const previous = this.#transport;
    if (previous === next) return;
    this.#transport = next;
    for (const tracker of this.#trackers.values()) this.#link(tracker);
    if (next === 'ws') {
      // An SSE start may not have reached the server: start over WebSocket (idempotent) to be sure.
      for (const [key, pending] of [...this.#pendingSseStarts]) {
        const tracker = this.#trackers.get(key);
        if (!tracker) continue;
        this.#pendingSseStarts.delete(key);
        this.#ensureRunning(tracker).then(pending.resolve, (error: unknown) => {
          pending.reject(error);
          this.#fail(tracker, error);
        });
      }
    }
    this.#events.emit('transport', { transport: next, previous, reason });
  }

  // --- following a chat ---------------------------------------------------------------------

  /** Follows a chat on the current transport from where its stream stands; `start` posts over SSE first. */
  #link(tracker: ChatSyncTracker, start = false): void {
    const key = String(tracker.chatId);
    this.#unlink(key);
    if (this.#transport === 'ws') {
      const unsubscribe = this.#ws.subscribe(syncChannel(tracker.chatId), (message) => this.#onEvent(tracker, message.type, message.payload, message.seq, message.epoch), {
        ...(tracker.position.lastSeq === undefined ? {} : { fromSeq: tracker.position.lastSeq }),
        ...(tracker.position.epoch === undefined ? {} : { epoch: tracker.position.epoch }),
        onResync: (payload) => this.#onResync(tracker, payload),
        onSubscribed: (reply) => {
          if (tracker.position.lastSeq === undefined) tracker.notePosition(reply.seq, reply.epoch);
        },
      });
      this.#links.set(key, unsubscribe);
      return;
    }
    const stream = new SseSyncStream({
      httpUrl: this.#httpUrl,
      chatId: tracker.chatId,
      start: start ? tracker.options : undefined,
      fetch: this.#fetch,
      token: () => this.#currentToken(),
      clock: this.#clock,
      random: this.#random,
      retry: this.#sseRetry,
      idleTimeoutMs: this.#sseIdleTimeoutMs,
      position: () => tracker.position,
      onEvent: (event: SseSyncEvent) => {
        if (event.type === 'resync') {
          const payload = event.payload as ResyncPayload;
          this.#onResync(tracker, { ...payload, epoch: payload.epoch ?? event.epoch ?? '', seq: payload.seq ?? event.seq ?? 0 });
        } else {
          this.#onEvent(tracker, event.type, event.payload, event.seq, event.epoch);
        }
      },
      onFailure: (error) => this.#fail(tracker, error),
      onEnd: () => this.#onStreamEnd(tracker),
    });
    this.#links.set(key, () => stream.close());
  }

  #unlink(key: string): void {
    const unlink = this.#links.get(key);
    if (!unlink) return;
    this.#links.delete(key);
    unlink();
  }

  #onEvent(tracker: ChatSyncTracker, type: string, payload: unknown, seq: number | undefined, epoch: string | undefined): void {
    if (this.#trackers.get(String(tracker.chatId)) !== tracker) return;
    tracker.notePosition(seq, epoch);
    switch (type) {
      case 'sync:progress': {
        const event = payload as SyncProgressEvent;
        this.#settleSseStart(tracker, event.runId);
        this.#deliverProgress(tracker, tracker.acceptProgress(event));
        return;
      }
      case 'sync:complete': {
        const event = payload as SyncCompleteEvent;
        this.#settleSseStart(tracker, event.runId);
        this.#deliverComplete(tracker, tracker.acceptComplete(event));
        return;
      }
      case 'sync:error': {
        const event = payload as SyncErrorEvent;
        this.#settleSseStart(tracker, event.runId);
        this.#deliverError(tracker, tracker.acceptError(event));
        return;
      }
      default:
    }
  }

  /** The server could not replay what this chat missed; its snapshot says where the sync stands. */
  #onResync(tracker: ChatSyncTracker, payload: ResyncPayload): void {
    if (this.#trackers.get(String(tracker.chatId)) !== tracker) return;
    tracker.resetPosition(payload.seq, payload.epoch);
    const action = tracker.onSnapshot(payload.snapshot as SyncStatusReply | null, this.#clock.now());
    switch (action.kind) {
      case 'complete':
        this.#settleSseStart(tracker, action.complete.runId);
        this.#deliverProgress(tracker, action.progress);
        this.#deliverComplete(tracker, action.complete);
        return;
      case 'error':
        this.#settleSseStart(tracker, action.error.runId);
        this.#deliverError(tracker, action.error);
        return;
      case 'continue':
        // A restarted server may have resumed the run in its new epoch: read that epoch from its start.
        if (payload.reason === 'epoch-changed') {
          tracker.resetPosition(0, payload.epoch);
          this.#link(tracker);
        }
        // Over WebSocket, an idempotent start also revives a run the server orphaned without resuming it.
        if (this.#transport === 'ws') this.#ensureRunning(tracker).catch((error: unknown) => this.#fail(tracker, error));
        return;
      case 'restart':
        this.#ensureRunning(tracker).catch((error: unknown) => this.#fail(tracker, error));
        return;
      case 'none':
    }
  }

  /**
   * `204` on resume: the server has nothing after our resume point, yet we saw no end. Starting again
   * could run the sync twice, so this ends the logical sync with an error instead.
   */
  #onStreamEnd(tracker: ChatSyncTracker): void {
    if (tracker.done) return;
    this.#fail(tracker, new WSRequestError('NOT_FOUND', `the server has no further events for chat ${tracker.chatId} and none said how its sync ended; check getStatus()`, { retryable: false, requestType: 'sync:events' }));
  }

  /** Makes sure the server runs this chat's sync: `sync:start` is idempotent, and revives a lost run. */
  async #ensureRunning(tracker: ChatSyncTracker): Promise<SyncStartReply> {
    for (let attempt = 1; ; attempt += 1) {
      if (this.#transport === 'sse') return this.#startOverSse(tracker);
      try {
        const reply = await this.#ws.request<SyncStartReply>('sync:start', { chatId: tracker.chatId, options: tracker.options });
        tracker.noteRun(reply.runId);
        return { ...reply, chatId: tracker.chatId };
      } catch (error) {
        if (this.#closed || tracker.done) throw error;
        if (this.#transportNow() === 'sse') continue;
        if (!isWSRequestError(error) || !error.retryable || attempt >= MAX_START_ATTEMPTS) throw error;
        if (error.code === 'DRAINING') await this.#nextOpenOrSwitch();
      }
    }
  }

  /** The transport now (a method, so that checks after an `await` see switches made meanwhile). */
  #transportNow(): SyncTransport {
    return this.#transport;
  }

  #startOverSse(tracker: ChatSyncTracker): Promise<SyncStartReply> {
    const key = String(tracker.chatId);
    const previous = this.#pendingSseStarts.get(key);
    const started = new Promise<SyncStartReply>((resolve, reject) => {
      this.#pendingSseStarts.set(key, {
        resolve: (reply) => {
          previous?.resolve(reply);
          resolve(reply);
        },
        reject: (error) => {
          previous?.reject(error);
          reject(error);
        },
      });
    });
    this.#link(tracker, true);
    return started;
  }

  #settleSseStart(tracker: ChatSyncTracker, runId: string): void {
    const key = String(tracker.chatId);
    const pending = this.#pendingSseStarts.get(key);
    if (!pending) return;
    this.#pendingSseStarts.delete(key);
    pending.resolve({ chatId: tracker.chatId, status: 'started', runId });
  }

  /** Resolves on the client's next `open`, a transport switch, or after {@link CONFIG_TIMEOUT_MS}. */
  #nextOpenOrSwitch(): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        offOpen();
        offSwitch();
        this.#clock.clearTimeout(timer);
        resolve();
      };
      const offOpen = this.#ws.on('open', done);
      const offSwitch = this.#events.on('transport', done);
      const timer = this.#clock.setTimeout(done, CONFIG_TIMEOUT_MS);
    });
  }

  // --- delivery -------------------------------------------------------------------------------

  #deliverProgress(tracker: ChatSyncTracker, event: SyncProgressEvent | undefined): void {
    if (!event) return;
    this.#publishState(tracker);
    this.#events.emit('progress', event);
  }

  #deliverComplete(tracker: ChatSyncTracker, event: SyncCompleteEvent | undefined): void {
    if (!event) return;
    this.#finish(tracker);
    this.#events.emit('complete', event);
  }

  #deliverError(tracker: ChatSyncTracker, event: SyncErrorEvent | undefined): void {
    if (!event) return;
    this.#finish(tracker);
    this.#events.emit('error', event);
  }

  /**
   * Ends a chat's logical sync after a failure on the client's side (the server sent no error): the
   * `error` event is delivered, and a `startSync` still waiting rejects with the same error.
   */
  #fail(tracker: ChatSyncTracker, error: unknown): void {
    const key = String(tracker.chatId);
    if (this.#closed || this.#trackers.get(key) !== tracker) return;
    const typed = isWSRequestError(error)
      ? error
      : new WSRequestError('INTERNAL', asError(error).message, { retryable: true, requestType: 'sync:start', cause: error });
    const pending = this.#pendingSseStarts.get(key);
    this.#pendingSseStarts.delete(key);
    this.#deliverError(tracker, tracker.acceptError({ chatId: tracker.chatId, runId: tracker.latestRunId, error: typed.toBody(), processed: tracker.processed }));
    pending?.reject(typed);
  }

  #finish(tracker: ChatSyncTracker): void {
    const key = String(tracker.chatId);
    this.#publishState(tracker);
    if (this.#trackers.get(key) !== tracker) return;
    this.#trackers.delete(key);
    this.#unlink(key);
    const ended = this.#endedRunIdsOf(key);
    for (const runId of tracker.runIds) ended.add(runId);
    for (const oldest of ended) {
      if (ended.size <= ENDED_RUNS_KEPT_PER_CHAT) break;
      ended.delete(oldest);
    }
  }

  #publishState(tracker: ChatSyncTracker): void {
    this.activeSyncs.set(tracker.chatId, tracker.state);
  }

  /** The chat's ended runs, now its most recently used; the chat used longest ago is forgotten beyond `maxFinishedSyncs`. */
  #endedRunIdsOf(key: string): Set<string> {
    const ended = this.#endedRunIds.get(key) ?? new Set<string>();
    this.#endedRunIds.delete(key);
    this.#endedRunIds.set(key, ended);
    for (const oldest of this.#endedRunIds.keys()) {
      if (this.#endedRunIds.size <= this.#maxFinishedSyncs) break;
      if (oldest !== key && !this.#trackers.has(oldest)) this.#endedRunIds.delete(oldest);
    }
    return ended;
  }

  async #currentToken(): Promise<string | undefined> {
    const token = this.#token;
    return typeof token === 'function' ? token() : token;
  }

  #assertOpen(requestType: string): void {
    if (this.#closed) throw new WSRequestError('CLIENT_CLOSED', 'the SyncManager was closed', { retryable: false, requestType });
  }
}

