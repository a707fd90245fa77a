/**
 * Small adapters that let code written against the legacy SSE endpoints keep its shape on
 * WebSocket: start (or follow) a chat's sync, call legacy-style callbacks with the very same
 * payloads, and hand back something with `close()` — what an `EventSource`, a fetch stream or a
 * project wrapper gave before. The `sse-to-ws` codemod writes calls to these. They use only the
 * public client API (`SyncManager.startSync`/`track`, `WSClient.subscribe`), typed structurally so
 * that any SyncManager or WSClient fits.
 *
 * @example
 * const source = runSync(getSharedSyncManager(), { chatId: 42 }, {
 *   onProgress: (event) => render(event.progress),
 *   onComplete: () => source.close(),
 * });
 * await source.done;
 */
import { syncChannel, type ChatId, type SyncCompleteEvent, type SyncErrorEvent, type SyncOptions, type SyncProgressEvent, type SyncStartReply } from '../protocol/sync.js';

/** Callbacks in the shape legacy SSE code used: one per event, each receiving the event's JSON payload. */
export interface SyncCallbacks {
  onProgress?(event: SyncProgressEvent): void;
  onComplete?(event: SyncCompleteEvent): void;
  onError?(event: SyncErrorEvent): void;
}

/** What a legacy stream handle offered: stop listening, and know when the run is over. */
export interface SyncCallbacksHandle {
  /** Stops calling the callbacks. The sync itself goes on on the server (as closing an SSE stream did). */
  close(): void;
  /**
   * Resolves after `onComplete` or `onError` ran, or when the handle is closed or its signal aborts —
   * when the legacy stream would have ended. Rejects with the error a callback threw, as a legacy
   * stream read did. While nobody has asked for `done`, such an error is rethrown instead, so the
   * client reports it the way `EventTarget` reported an `EventSource` listener's error.
   */
  readonly done: Promise<void>;
}

/** The part of `SyncManager` {@link runSync} uses. */
export interface SyncStarter {
  startSync(chatId: ChatId, options?: SyncOptions): Promise<SyncStartReply>;
  track(chatId: ChatId, handlers: SyncCallbacks): () => void;
}

/** The part of `WSClient` {@link watchSync} uses. */
export interface ChannelSubscriber {
  subscribe(channel: string, handler: (message: { type: string; payload: unknown }) => void): () => void;
}

/** Parameters of the legacy `POST /commands/sync` body. Extra fields the old endpoint took are ignored. */
export interface SyncStartParams {
  chatId: ChatId;
  options?: SyncOptions;
  [extra: string]: unknown;
}

export interface SyncCallbacksOptions {
  /** Closes the handle when aborted (what an `AbortSignal` on the legacy fetch did). */
  signal?: AbortSignal;
}

/**
 * Starts the chat's sync — or joins the one running, as the legacy endpoint did — and delivers its
 * events to the callbacks until it completes or fails. Replaces a streamed `POST /commands/sync`
 * (fetch reader, fetchEventSource, eventsource-parser, a project wrapper) and an `EventSource` on
 * `/api/sync/:chatId/events?start=1`. A start request that fails is reported to `onError` with the
 * request's error code, as a failed stream was.
 */
export function runSync(manager: SyncStarter, params: SyncStartParams, callbacks: SyncCallbacks, options: SyncCallbacksOptions = {}): SyncCallbacksHandle {
  const follower = new CallbackFollower(callbacks, options);
  follower.attach(manager.track(params.chatId, follower.handlers));
  if (!follower.settled) {
    manager.startSync(params.chatId, params.options).catch((error: unknown) => {
      follower.handlers.onError({ chatId: params.chatId, runId: '', processed: 0, error: errorBodyOf(error) });
    });
  }
  return follower.handle;
}

/**
 * Delivers the chat's sync events (`sync:<chatId>`) to the callbacks without starting a sync, until
 * a run completes or fails. Replaces an `EventSource` on `/api/sync/:chatId/events` (without `start`).
 */
export function watchSync(client: ChannelSubscriber, chatId: ChatId, callbacks: SyncCallbacks, options: SyncCallbacksOptions = {}): SyncCallbacksHandle {
  const follower = new CallbackFollower(callbacks, options);
  follower.attach(
    client.subscribe(syncChannel(chatId), (message) => {
      if (message.type === 'sync:progress') follower.handlers.onProgress(message.payload as SyncProgressEvent);
      else if (message.type === 'sync:complete') follower.handlers.onComplete(message.payload as SyncCompleteEvent);
      else if (message.type === 'sync:error') follower.handlers.onError(message.payload as SyncErrorEvent);
    }),
  );
  return follower.handle;
}

/** Delivers events to the callbacks until the first `complete`/`error`, a close, an abort or a callback error. */
class CallbackFollower {
  settled = false;
  readonly handle: SyncCallbacksHandle;
  readonly handlers: Required<SyncCallbacks>;
  #detach: (() => void) | undefined;
  #resolve: () => void = () => undefined;
  #reject: (error: unknown) => void = () => undefined;
  readonly #callbacks: SyncCallbacks;
  readonly #signal: AbortSignal | undefined;
  readonly #onAbort = (): void => this.#finish(undefined);
  /** Whether the caller asked for `done` (then it, not the client, gets a callback's error). */
  readonly #done: { promise: Promise<void>; observed: boolean };

  constructor(callbacks: SyncCallbacks, options: SyncCallbacksOptions) {
    this.#callbacks = callbacks;
    this.#signal = options.signal;
    const promise = new Promise<void>((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    // A rejection nobody asked for is reported by rethrowing (see #call), not as an unhandled rejection.
    promise.catch(() => undefined);
    const done = { promise, observed: false };
    this.#done = done;
    this.handle = {
      close: () => this.#finish(undefined),
      get done() {
        done.observed = true;
        return done.promise;
      },
    };
    this.handlers = {
      onProgress: (event) => this.#call(() => this.#callbacks.onProgress?.(event), false),
      onComplete: (event) => this.#call(() => this.#callbacks.onComplete?.(event), true),
      onError: (event) => this.#call(() => this.#callbacks.onError?.(event), true),
    };
    if (this.#signal?.aborted) this.#finish(undefined);
    else this.#signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Takes the function that stops the event source; stops it at once when already settled. */
  attach(detach: () => void): void {
    if (this.settled) detach();
    else this.#detach = detach;
  }

  #call(callback: () => void, final: boolean): void {
    if (this.settled) return;
    if (final) this.#stop();
    try {
      callback();
    } catch (error) {
      this.#finish(error);
      if (!this.#done.observed) throw error;
    }
    if (final) this.#resolve();
  }

  #stop(): void {
    this.settled = true;
    this.#detach?.();
    this.#detach = undefined;
    this.#signal?.removeEventListener('abort', this.#onAbort);
  }

  #finish(error: unknown): void {
    if (!this.settled) this.#stop();
    if (error === undefined) this.#resolve();
    else this.#reject(error);
  }
}

function errorBodyOf(error: unknown): SyncErrorEvent['error'] {
  const typed = error as { code?: unknown; message?: unknown; retryable?: unknown } | null;
  return {
    code: typeof typed?.code === 'string' ? typed.code : 'INTERNAL',
    message: typeof typed?.message === 'string' ? typed.message : String(error),
    retryable: typeof typed?.retryable === 'boolean' ? typed.retryable : true,
  };
}
