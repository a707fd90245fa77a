/**
 * Small adapters that let code written against the legacy SSE endpoints keep its shape on
 * WebSocket: start (or follow) a chat's sync, call legacy-style callbacks with the very same
 * payloads, and hand back something with `close()` — what an `EventSource`, a fetch stream or a
 * project wrapper gave before. The `sse-to-ws` codemod writes calls to these; they use only the
 * public SyncManager API (`startSync`, `track`).
 *
 * @example
 * const source = runSync(getSharedSyncManager(), { chatId: 42 }, {
 *   onProgress: (event) => render(event.progress),
 *   onComplete: () => source.close(),
 * });
 * await source.done;
 */
import type { ChatId, SyncCompleteEvent, SyncErrorEvent, SyncOptions, SyncProgressEvent, SyncStartReply } from '../protocol/sync.js';

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
  /** Settles after `onComplete` or `onError` ran, or when the handle is closed or its signal aborts. Never rejects. */
  readonly done: Promise<void>;
}

/** The part of `SyncManager` the adapters use (any SyncManager fits). */
export interface SyncTracker {
  startSync(chatId: ChatId, options?: SyncOptions): Promise<SyncStartReply>;
  track(chatId: ChatId, handlers: SyncCallbacks): () => void;
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
export function runSync(manager: SyncTracker, params: SyncStartParams, callbacks: SyncCallbacks, options: SyncCallbacksOptions = {}): SyncCallbacksHandle {
  const handle = followCallbacks(manager, params.chatId, callbacks, options);
  if (!handle.settled()) {
    manager.startSync(params.chatId, params.options).catch((error: unknown) => {
      handle.fail({ chatId: params.chatId, runId: '', processed: 0, error: errorBodyOf(error) });
    });
  }
  return handle.public;
}

/**
 * Delivers the chat's sync events to the callbacks without starting a sync, until a run completes
 * or fails. Replaces an `EventSource` on `/api/sync/:chatId/events` (without `start`).
 */
export function watchSync(manager: SyncTracker, chatId: ChatId, callbacks: SyncCallbacks, options: SyncCallbacksOptions = {}): SyncCallbacksHandle {
  return followCallbacks(manager, chatId, callbacks, options).public;
}

interface FollowState {
  public: SyncCallbacksHandle;
  settled(): boolean;
  fail(event: SyncErrorEvent): void;
}

function followCallbacks(manager: SyncTracker, chatId: ChatId, callbacks: SyncCallbacks, options: SyncCallbacksOptions): FollowState {
  let settled = false;
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((resolve) => {
    resolveDone = resolve;
  });
  const finish = (): boolean => {
    if (settled) return false;
    settled = true;
    untrack();
    options.signal?.removeEventListener('abort', close);
    return true;
  };
  const settleWith = <E>(callback: ((event: E) => void) | undefined, event: E): void => {
    if (!finish()) return;
    try {
      callback?.(event);
    } finally {
      resolveDone();
    }
  };
  function close(): void {
    if (finish()) resolveDone();
  }
  const untrack = manager.track(chatId, {
    onProgress: (event) => {
      if (!settled) callbacks.onProgress?.(event);
    },
    onComplete: (event) => settleWith(callbacks.onComplete?.bind(callbacks), event),
    onError: (event) => settleWith(callbacks.onError?.bind(callbacks), event),
  });
  if (options.signal?.aborted) close();
  else options.signal?.addEventListener('abort', close, { once: true });
  return {
    public: { close, done },
    settled: () => settled,
    fail: (event) => settleWith(callbacks.onError?.bind(callbacks), event),
  };
}

function errorBodyOf(error: unknown): SyncErrorEvent['error'] {
  const typed = error as { code?: unknown; message?: unknown; retryable?: unknown };
  return {
    code: typeof typed?.code === 'string' ? typed.code : 'INTERNAL',
    message: typeof typed?.message === 'string' ? typed.message : String(error),
    retryable: typeof typed?.retryable === 'boolean' ? typed.retryable : true,
  };
}
