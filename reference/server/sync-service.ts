/**
 * The sync service: `sync:start`, `sync:cancel`, `sync:status` with simulated work shaped by
 * {@link SyncSettings}. Each run publishes `sync:progress` per batch, then `sync:complete` or
 * `sync:error`, on the chat's `sync:<chatId>` channel, and records every change in the status store.
 *
 * A run the store says is `running` but no job is working on (the process died) is an orphan: it is
 * resumed from the stored `processed` with the same `runId`, at startup and on `sync:start`.
 */
import { ErrorCode, MessageType, syncChannel, type ChatId, type ErrorBody, type SyncCompleteEvent, type SyncErrorEvent, type SyncOptions, type SyncProgressEvent, type SyncStartReply, type SyncStatusReply } from '../protocol/index.js';
import { WsmigError, messageOf } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { ChannelHub } from './hub.js';
import type { ServerMetrics } from './metrics.js';
import type { SyncSettings } from './options.js';
import { chatKey, type StatusStore } from './status-store.js';

/** Error code of the `sync:error` event published when a run is cancelled (`sync:cancel`). */
export const SYNC_CANCELLED = ErrorCode.cancelled;

export interface SyncServiceOptions {
  hub: ChannelHub;
  store: StatusStore;
  settings: SyncSettings;
  metrics: ServerMetrics;
  logger: Logger;
  random: () => number;
  clock: () => number;
  /** Failure rate injected live (`faults.syncFailureRate`), on top of `settings.failureRate`. */
  injectedFailureRate: () => number;
  /** While true, new runs are refused with a `DRAINING` error (joining a running one is still fine). */
  isDraining: () => boolean;
  /** Runs going at once; a new one beyond is refused with `TOO_MANY_SYNCS` (joining a running one is still fine). */
  maxRunning: number;
}

interface SyncJob {
  readonly key: string;
  readonly channel: string;
  readonly batchSize: number;
  readonly startedAtMs: number;
  record: SyncStatusReply;
  timer: NodeJS.Timeout | undefined;
}

const FINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

/** Whether a stored status is the end of a run. */
export function isFinalStatus(status: string): boolean {
  return FINAL_STATUSES.has(status);
}

export class SyncService {
  private readonly jobs = new Map<string, SyncJob>();
  /** Starts in progress per chat, so two concurrent starts for one chat make one run. */
  private readonly starting = new Map<string, Promise<SyncStartReply>>();
  private stopped = false;

  constructor(private readonly options: SyncServiceOptions) {}

  /** Whether a run is going for the chat in this process. */
  isRunning(chatId: ChatId): boolean {
    return this.jobs.has(chatKey(chatId));
  }

  /**
   * Starts a run, or joins the running one (`status: "running"`, same `runId`), or resumes an
   * orphaned one (same `runId`, from the stored `processed`).
   */
  start(chatId: ChatId, syncOptions: SyncOptions = {}): Promise<SyncStartReply> {
    const key = chatKey(chatId);
    const job = this.jobs.get(key);
    if (job) return Promise.resolve({ chatId, status: 'running', runId: job.record.runId as string });
    const inFlight = this.starting.get(key);
    if (inFlight) return inFlight.then((reply) => ({ ...reply, chatId, status: 'running' }));
    if (this.options.isDraining()) return Promise.reject(new WsmigError(ErrorCode.draining, 'the server is draining: start the sync after reconnecting'));
    if (this.jobs.size + this.starting.size >= this.options.maxRunning) {
      return Promise.reject(new WsmigError(ErrorCode.tooManySyncs, `the server runs ${this.options.maxRunning} syncs, the most allowed: start this one later`));
    }
    const starting = this.begin(chatId, syncOptions).finally(() => this.starting.delete(key));
    this.starting.set(key, starting);
    return starting;
  }

  /** Cancels the chat's running run; `cancelled: false` when none was running. */
  async cancel(chatId: ChatId): Promise<{ chatId: ChatId; cancelled: boolean }> {
    const job = this.jobs.get(chatKey(chatId));
    if (!job) return { chatId, cancelled: false };
    const error: ErrorBody = { code: SYNC_CANCELLED, message: 'the sync was cancelled (sync:cancel)', retryable: false };
    await this.finish(job, 'cancelled', error);
    return { chatId, cancelled: true };
  }

  /** The chat's status: the live run's, else the stored one, else `idle`. */
  async status(chatId: ChatId): Promise<SyncStatusReply> {
    const job = this.jobs.get(chatKey(chatId));
    if (job) return { ...job.record, chatId };
    const stored = await this.options.store.get(chatId);
    // A run no job of this process carries (left by a process that died, not resumed yet) stands
    // where the replay history says, as it will when resumed: a resync snapshot must not be ahead of it.
    if (stored) return { ...(stored.syncStatus === 'running' && stored.runId !== null ? this.reconcileOrphan(stored) : stored), chatId };
    return { chatId, syncStatus: 'idle', syncProgress: 0, processed: 0, total: 0, runId: null, updatedAt: 0 };
  }

  /** Resumes every run the store says is running (left by a process that died). Returns how many. */
  async resumeOrphans(): Promise<number> {
    let resumed = 0;
    for (const record of await this.options.store.list()) {
      if (record.syncStatus !== 'running' || this.jobs.has(chatKey(record.chatId))) continue;
      const reconciled = this.reconcileOrphan(record);
      if (reconciled.syncStatus !== 'running') {
        await this.options.store.set({ ...reconciled, updatedAt: this.options.clock() });
        continue;
      }
      await this.start(record.chatId);
      resumed += 1;
    }
    return resumed;
  }

  /**
   * Where an orphaned run stands. After a crash the status store and the saved replay history were
   * written on different cadences, so either may be ahead; the history is what clients can still be
   * given, so it wins: a run it shows ended is ended, and a running one goes on from the last step
   * the history kept — never from a later one, whose event no client could ever receive.
   */
  private reconcileOrphan(stored: SyncStatusReply): SyncStatusReply {
    const newest = this.options.hub.newestEvent(syncChannel(stored.chatId));
    // No history kept (a replay buffer of 0): the store is all there is.
    if (newest === undefined) return stored;
    const payload = newest.payload as { runId?: unknown; processed?: unknown; error?: ErrorBody };
    const atStep = (processed: number): SyncStatusReply => ({ ...stored, processed, syncProgress: Math.floor((processed * 100) / stored.total) });
    if (payload.runId !== stored.runId) return atStep(0);
    if (newest.type === MessageType.syncComplete) return { ...atStep(stored.total), syncStatus: 'completed' };
    if (newest.type === MessageType.syncError && payload.error !== undefined) {
      return { ...stored, syncStatus: payload.error.code === SYNC_CANCELLED ? 'cancelled' : 'failed', error: payload.error };
    }
    return atStep(Math.min(stored.processed, typeof payload.processed === 'number' ? payload.processed : 0));
  }

  /**
   * Stops every job without changing what the store says (they stay `running`), so a server
   * restarted on the same store resumes them. The store is the server's to close.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.allSettled(this.starting.values());
    for (const job of this.jobs.values()) clearTimeout(job.timer);
    this.jobs.clear();
    this.options.metrics.syncJobsRunning.set(0);
  }

  private async begin(chatId: ChatId, syncOptions: SyncOptions): Promise<SyncStartReply> {
    const { settings, metrics, clock } = this.options;
    const recorded = await this.options.store.get(chatId);
    const stored = recorded?.syncStatus === 'running' && recorded.runId !== null ? this.reconcileOrphan(recorded) : recorded;
    const now = clock();
    const orphan = stored?.syncStatus === 'running' && stored.runId !== null;
    const record: SyncStatusReply = orphan
      ? { ...stored, chatId, updatedAt: now }
      : { chatId, syncStatus: 'running', syncProgress: 0, processed: 0, total: settings.totalMessages, runId: this.newRunId(), updatedAt: now };
    const job: SyncJob = {
      key: chatKey(chatId),
      channel: syncChannel(chatId),
      batchSize: syncOptions.batchSize ?? settings.batchSize,
      startedAtMs: now,
      record,
      timer: undefined,
    };
    if (this.stopped) return { chatId, status: 'started', runId: record.runId as string };
    this.jobs.set(job.key, job);
    metrics.syncJobs.inc({ status: orphan ? 'resumed' : 'started' });
    metrics.syncJobsRunning.set(this.jobs.size);
    this.save(job.record);
    if (orphan) this.options.logger.info({ chatId, runId: record.runId, processed: record.processed }, 'resumed an orphaned sync run');
    // Runs resumed together after a restart would otherwise tick in lockstep and stall the event loop at each batch.
    this.schedule(job, orphan ? this.options.random() * settings.batchDelayMs : settings.batchDelayMs);
    return { chatId, status: 'started', runId: record.runId as string };
  }

  private newRunId(): string {
    return `r-${Math.floor(this.options.random() * 2 ** 48).toString(36)}${this.options.clock().toString(36).slice(-4)}`;
  }

  private schedule(job: SyncJob, delayMs = this.options.settings.batchDelayMs): void {
    job.timer = setTimeout(() => void this.step(job), delayMs);
  }

  /** The chance one batch fails, such that a whole run fails with the configured rate. */
  private batchFailureProbability(job: SyncJob): number {
    const runRate = 1 - (1 - this.options.settings.failureRate) * (1 - this.options.injectedFailureRate());
    if (runRate <= 0) return 0;
    if (runRate >= 1) return 1;
    const batches = Math.max(1, Math.ceil(job.record.total / job.batchSize));
    return 1 - (1 - runRate) ** (1 / batches);
  }

  private async step(job: SyncJob): Promise<void> {
    if (this.jobs.get(job.key) !== job) return;
    try {
      if (this.options.random() < this.batchFailureProbability(job)) {
        await this.finish(job, 'failed', { code: ErrorCode.internal, message: 'the simulated sync failed (failure rate)', retryable: true });
        return;
      }
      const { record } = job;
      const processed = Math.min(record.total, record.processed + job.batchSize);
      job.record = { ...record, processed, syncProgress: Math.floor((processed * 100) / record.total), updatedAt: this.options.clock() };
      this.save(job.record);
      const progress: SyncProgressEvent = { chatId: record.chatId, runId: record.runId as string, progress: job.record.syncProgress, processed, total: record.total };
      await this.options.hub.publish(job.channel, 'sync:progress', progress);
      if (processed >= record.total) await this.finish(job, 'completed', undefined);
      else if (this.jobs.get(job.key) === job) this.schedule(job);
    } catch (error) {
      this.options.logger.error({ err: error, chatId: job.record.chatId }, 'sync step failed');
      await this.finish(job, 'failed', { code: ErrorCode.internal, message: `the sync failed: ${messageOf(error)}`, retryable: true }).catch(() => undefined);
    }
  }

  private async finish(job: SyncJob, status: 'completed' | 'failed' | 'cancelled', error: ErrorBody | undefined): Promise<void> {
    if (this.jobs.get(job.key) !== job) return;
    clearTimeout(job.timer);
    this.jobs.delete(job.key);
    const { metrics, clock } = this.options;
    metrics.syncJobs.inc({ status });
    metrics.syncJobsRunning.set(this.jobs.size);
    const { record } = job;
    job.record = error === undefined ? { ...record, syncStatus: status, updatedAt: clock() } : { ...record, syncStatus: status, error, updatedAt: clock() };
    this.save(job.record);
    const runId = record.runId as string;
    if (status === 'completed') {
      const complete: SyncCompleteEvent = { chatId: record.chatId, runId, processed: record.processed, total: record.total, durationMs: clock() - job.startedAtMs };
      await this.options.hub.publish(job.channel, 'sync:complete', complete);
    } else {
      const failure: SyncErrorEvent = { chatId: record.chatId, runId, error: error as ErrorBody, processed: record.processed };
      await this.options.hub.publish(job.channel, 'sync:error', failure);
    }
  }

  private save(record: SyncStatusReply): void {
    this.options.store.set(record).catch((error: unknown) => {
      this.options.logger.error({ err: error, chatId: record.chatId }, 'could not record the sync status');
    });
  }
}
