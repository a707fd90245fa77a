/**
 * One chat's logical sync, as the application sees it: from `startSync` to its one `complete` or
 * `error`. It decides which incoming events reach the application so that each is delivered exactly
 * once and in order — across reconnects, server restarts (a new run of the same sync) and transport
 * switches (WebSocket and SSE share one seq space). The rule: `processed` only grows within a
 * logical sync, so a progress event that does not advance it has already been delivered.
 */
import { chatIdFromText, type ErrorCode, type ChatId, type ErrorBody, type SyncCompleteEvent, type SyncErrorEvent, type SyncOptions, type SyncProgressEvent, type SyncStatusReply } from '../protocol/index.js';

/** Error code of the `sync:error` the reference server sends when a run is cancelled. */
export const SYNC_CANCELLED_CODE: typeof ErrorCode.cancelled = 'CANCELLED';

/** Status of a chat's sync as kept in `SyncManager.activeSyncs` (the seed's shape). */
export type ActiveSyncStatus = 'running' | 'completed' | 'failed' | 'cancelled';

/** An entry of `SyncManager.activeSyncs`: the seed's `{ status, progress, error? }`. */
export interface ActiveSync {
  status: ActiveSyncStatus;
  /** Percent done, 0–100. */
  progress: number;
  error?: string;
}

/** What to do after a `resync` snapshot. */
export type SnapshotAction =
  | { kind: 'continue' }
  | { kind: 'restart' }
  | { kind: 'complete'; progress: SyncProgressEvent | undefined; complete: SyncCompleteEvent }
  | { kind: 'error'; error: SyncErrorEvent }
  | { kind: 'none' };

/** Where this chat's event stream stands, shared by both transports. */
export interface StreamPosition {
  lastSeq: number | undefined;
  epoch: string | undefined;
}

export class ChatSyncTracker {
  /** The chat id as the application gave it (events are delivered with this value). */
  readonly chatId: ChatId;
  readonly options: SyncOptions;
  readonly startedAt: number;
  readonly position: StreamPosition = { lastSeq: undefined, epoch: undefined };
  /** Runs that ended in earlier logical syncs of this chat: their late events are stale. */
  readonly #staleRunIds: ReadonlySet<string>;
  readonly #runIds = new Set<string>();
  #lastProcessed = -1;
  #done = false;
  #state: ActiveSync = { status: 'running', progress: 0 };

  constructor(chatId: ChatId, options: SyncOptions, startedAt: number, staleRunIds: ReadonlySet<string> = new Set()) {
    this.chatId = chatId;
    this.options = options;
    this.startedAt = startedAt;
    this.#staleRunIds = staleRunIds;
  }

  /** Whether the application has had this sync's `complete` or `error` (or cancelled it). */
  get done(): boolean {
    return this.#done;
  }

  /** The seed's `{ status, progress, error }` for this sync. */
  get state(): ActiveSync {
    return { ...this.#state };
  }

  /** Every run this logical sync went through (more than one after the server lost a run). */
  get runIds(): ReadonlySet<string> {
    return this.#runIds;
  }

  /** Records the run a `sync:start` reply named. */
  noteRun(runId: string | null | undefined): void {
    if (runId && !this.#staleRunIds.has(runId)) this.#runIds.add(runId);
  }

  /** Messages processed as far as the application was told. */
  get processed(): number {
    return Math.max(0, this.#lastProcessed);
  }

  /** The newest run this logical sync went through, or `''` before the server named one. */
  get latestRunId(): string {
    return [...this.#runIds].pop() ?? '';
  }

  /** Moves the stream position (after a `resync`: live events continue after `seq` in `epoch`). */
  resetPosition(seq: number, epoch: string): void {
    this.position.lastSeq = seq;
    this.position.epoch = epoch;
  }

  /** Records the stream position of an event (whether or not it is delivered). */
  notePosition(seq: number | undefined, epoch: string | undefined): void {
    if (epoch !== undefined && epoch !== this.position.epoch) {
      this.position.epoch = epoch;
      this.position.lastSeq = seq;
      return;
    }
    if (seq !== undefined && (this.position.lastSeq === undefined || seq > this.position.lastSeq)) this.position.lastSeq = seq;
  }

  /** The progress event to deliver, or `undefined` when it was delivered already or is stale. */
  acceptProgress(event: SyncProgressEvent): SyncProgressEvent | undefined {
    if (this.#done || this.#isStale(event.runId) || !(event.processed > this.#lastProcessed)) return undefined;
    this.noteRun(event.runId);
    this.#lastProcessed = event.processed;
    this.#state = { status: 'running', progress: event.progress };
    return { ...event, chatId: this.chatId };
  }

  /** The complete event to deliver, or `undefined` when one was delivered already or it is stale. */
  acceptComplete(event: SyncCompleteEvent): SyncCompleteEvent | undefined {
    if (this.#done || this.#isStale(event.runId)) return undefined;
    this.noteRun(event.runId);
    this.#done = true;
    this.#lastProcessed = Math.max(this.#lastProcessed, event.processed);
    this.#state = { status: 'completed', progress: 100 };
    return { ...event, chatId: this.chatId };
  }

  /** The error event to deliver, or `undefined` when the sync already ended or it is stale. */
  acceptError(event: SyncErrorEvent): SyncErrorEvent | undefined {
    if (this.#done || this.#isStale(event.runId)) return undefined;
    this.noteRun(event.runId);
    this.#done = true;
    const status = event.error.code === SYNC_CANCELLED_CODE ? 'cancelled' : 'failed';
    this.#state = { status, progress: this.#state.progress, error: event.error.message };
    return { ...event, chatId: this.chatId };
  }

  /** Ends the sync locally (cancelled by the application): nothing more is delivered. */
  cancel(): void {
    if (this.#done) return;
    this.#done = true;
    this.#state = { status: 'cancelled', progress: this.#state.progress };
  }

  /**
   * Decides what a `resync` snapshot means: `running` → continue (the run goes on, possibly resumed
   * by a restarted server); `idle` or no snapshot → restart (the server lost the run);
   * `completed` → deliver the completion (and the last progress step) if not delivered yet;
   * `failed` or `cancelled` → deliver the error.
   */
  onSnapshot(snapshot: SyncStatusReply | null | undefined, now: number): SnapshotAction {
    if (this.#done) return { kind: 'none' };
    if (!snapshot || (snapshot.runId && this.#isStale(snapshot.runId))) return { kind: 'restart' };
    const runId = snapshot.runId ?? this.latestRunId;
    switch (snapshot.syncStatus) {
      case 'completed': {
        const progress = this.acceptProgress({ chatId: this.chatId, runId, progress: 100, processed: snapshot.processed, total: snapshot.total });
        const complete = this.acceptComplete({ chatId: this.chatId, runId, processed: snapshot.processed, total: snapshot.total, durationMs: Math.max(0, now - this.startedAt) });
        return complete ? { kind: 'complete', progress, complete } : { kind: 'none' };
      }
      case 'failed':
      case 'cancelled': {
        const error: ErrorBody = snapshot.error ?? { code: snapshot.syncStatus === 'cancelled' ? SYNC_CANCELLED_CODE : 'INTERNAL', message: `the sync ${snapshot.syncStatus === 'cancelled' ? 'was cancelled' : 'failed'} on the server`, retryable: false };
        const accepted = this.acceptError({ chatId: this.chatId, runId, error, processed: snapshot.processed });
        return accepted ? { kind: 'error', error: accepted } : { kind: 'none' };
      }
      case 'running':
        this.noteRun(snapshot.runId);
        return { kind: 'continue' };
      default:
        return { kind: 'restart' };
    }
  }

  #isStale(runId: string): boolean {
    return this.#staleRunIds.has(runId);
  }
}

/** The key `activeSyncs` files a chat under: `42` and `"42"` are one chat (a canonical integer is the number), as on the server. */
export function chatIdKey(chatId: ChatId): ChatId {
  return chatIdFromText(String(chatId));
}

/**
 * `SyncManager.activeSyncs`: a `Map` of each chat's `{ status, progress, error }` whose keys are
 * normalized (`get("42")` finds chat `42`), and which keeps at most `maxFinished` finished chats,
 * forgetting the one updated longest ago first. Running syncs are never forgotten.
 */
export class ActiveSyncMap extends Map<ChatId, ActiveSync> {
  readonly #maxFinished: number;
  /** Entries whose sync has ended (not `running`). */
  #finished = 0;

  constructor(maxFinished: number) {
    super();
    this.#maxFinished = maxFinished;
  }

  override get(chatId: ChatId): ActiveSync | undefined {
    return super.get(chatIdKey(chatId));
  }

  override has(chatId: ChatId): boolean {
    return super.has(chatIdKey(chatId));
  }

  override delete(chatId: ChatId): boolean {
    const key = chatIdKey(chatId);
    const previous = super.get(key);
    if (previous !== undefined && previous.status !== 'running') this.#finished -= 1;
    return super.delete(key);
  }

  override clear(): void {
    this.#finished = 0;
    super.clear();
  }

  /** Records a chat's state as its newest entry, then forgets the finished chats updated longest ago beyond the bound. */
  override set(chatId: ChatId, state: ActiveSync): this {
    this.delete(chatId);
    super.set(chatIdKey(chatId), state);
    if (state.status !== 'running') this.#finished += 1;
    if (this.#finished > this.#maxFinished) this.#trim();
    return this;
  }

  #trim(): void {
    for (const [key, state] of super.entries()) {
      if (this.#finished <= this.#maxFinished) return;
      if (state.status === 'running') continue;
      super.delete(key);
      this.#finished -= 1;
    }
  }
}
