/**
 * The sync service: `sync:start`, `sync:cancel`, `sync:status` with simulated work shaped by
 * {@link SyncSettings}. Each run publishes `sync:progress` per batch, then `sync:complete` or
 * `sync:error`, on the chat's `sync:<chatId>` channel, and records every change in the status store.
 *
 * A run the store says is `running` but no job is working on (the process died) is an orphan: it is
 * resumed from the stored `processed` with the same `runId`, at startup and on `sync:start`.
 *
 * With {@link JobLeases} (several instances on one shared store, e.g. the Redis engine), a run is
 * the job of the instance holding its lease: `sync:start` for a run held elsewhere answers
 * `running` with its `runId`, `sync:cancel` is passed on to the holder, and every status write is
 * fenced by the lease. The holder renews it while the run goes; when it dies, the lease expires and
 * the next orphan scan (every half lease) of another instance resumes the run from the stored progress.
 */
import { ErrorCode, MessageType, syncChannel, type ChatId, type ErrorBody, type SyncCompleteEvent, type SyncErrorEvent, type SyncOptions, type SyncProgressEvent, type SyncStartReply, type SyncStatusReply } from '../protocol/index.js';
import { WsmigError, messageOf } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { ChannelHub } from './hub.js';
import { LEASE_LOST, type JobLeases, type StatusFence } from './job-leases.js';
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
  /** Leases of runs shared with other instances (see the module comment); none in one process. */
  leases?: JobLeases;
  /** This instance's label, the start of its lease values. */
  instance?: string;
}

interface SyncJob {
  readonly key: string;
  readonly channel: string;
  readonly batchSize: number;
  readonly startedAtMs: number;
  record: SyncStatusReply;
  timer: NodeJS.Timeout | undefined;
  /** The value the run's lease is held with (with leases). */
  lease: string | undefined;
  renewTimer: NodeJS.Timeout | undefined;
}

const FINAL_STATUSES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

/** Whether a stored status is the end of a run. */
export function isFinalStatus(status: string): boolean {
  return FINAL_STATUSES.has(status);
}

/** How long a `sync:start` waits for another instance that is claiming the run to say its `runId`, in ms. */
const CLAIM_WAIT_MS = 2_000;
/** Wait before a batch is tried again after the engine was unavailable, in ms. */
const ENGINE_RETRY_MS = 250;

function isLeaseLost(error: unknown): boolean {
  return error instanceof WsmigError && error.code === LEASE_LOST;
}

/** An engine failure a later attempt may get past (Redis away for a moment). */
function isEngineUnavailable(error: unknown): boolean {
  return error instanceof WsmigError && error.code === ErrorCode.engineUnavailable;
}

/** The run id in a lease value (`<holder token>|<runId>`); empty while the holder is still claiming it. */
function runIdOfLease(value: string | undefined): string {
  return value === undefined ? '' : value.slice(value.indexOf('|') + 1);
}

export class SyncService {
  private readonly jobs = new Map<string, SyncJob>();
  /** Starts in progress per chat, so two concurrent starts for one chat make one run. */
  private readonly starting = new Map<string, Promise<SyncStartReply | undefined>>();
  private stopped = false;
  private claims = 0;
  private readonly scanTimer: NodeJS.Timeout | undefined;
  private scanning = false;

  constructor(private readonly options: SyncServiceOptions) {
    const { leases } = options;
    if (leases !== undefined) {
      leases.onCancelRequest((key) => {
        const job = this.jobs.get(key);
        if (job) void this.cancelJob(job).catch((error: unknown) => this.options.logger.error({ err: error, chatId: job.record.chatId }, 'could not cancel the sync'));
      });
      // Runs whose holder died: their lease expires, and the next scan of some instance resumes them.
      this.scanTimer = setInterval(() => void this.scanOrphans(), Math.max(50, Math.floor(leases.ttlMs / 2)));
      this.scanTimer.unref();
    }
  }

  /** Whether a run is going for the chat in this process. */
  isRunning(chatId: ChatId): boolean {
    return this.jobs.has(chatKey(chatId));
  }

  /**
   * Starts a run, or joins the running one (`status: "running"`, same `runId`; on any instance, with
   * leases), or resumes an orphaned one (same `runId`, from the stored `processed`).
   */
  start(chatId: ChatId, syncOptions: SyncOptions = {}): Promise<SyncStartReply> {
    return this.claim(chatId, syncOptions, false) as Promise<SyncStartReply>;
  }

  /** Cancels the chat's running run (passed on to the instance running it, with leases); `cancelled: false` when none was running. */
  async cancel(chatId: ChatId): Promise<{ chatId: ChatId; cancelled: boolean }> {
    const job = this.jobs.get(chatKey(chatId));
    if (job) {
      await this.cancelJob(job);
      return { chatId, cancelled: true };
    }
    const { leases } = this.options;
    if (leases === undefined || (await leases.holder(chatKey(chatId))) === undefined) return { chatId, cancelled: false };
    await leases.requestCancel(chatKey(chatId));
    return { chatId, cancelled: true };
  }

  /** The chat's status: the live run's, else the stored one, else `idle`. */
  async status(chatId: ChatId): Promise<SyncStatusReply> {
    const job = this.jobs.get(chatKey(chatId));
    if (job) return { ...job.record, chatId };
    const stored = await this.options.store.get(chatId);
    if (stored === undefined) return { chatId, syncStatus: 'idle', syncProgress: 0, processed: 0, total: 0, runId: null, updatedAt: 0 };
    if (stored.syncStatus !== 'running' || stored.runId === null) return { ...stored, chatId };
    // Run by another instance: its record is current (every write is fenced by its lease).
    if (this.options.leases !== undefined && (await this.options.leases.holder(chatKey(chatId))) !== undefined) return { ...stored, chatId };
    // A run no job carries (left by a process that died, not resumed yet) stands where the replay
    // history says, as it will when resumed: a resync snapshot must not be ahead of it.
    return { ...(await this.reconcileOrphan(stored)), chatId };
  }

  /** Resumes every run the store says is running that no instance runs (left by a process that died). Returns how many. */
  async resumeOrphans(): Promise<number> {
    const { store } = this.options;
    const running = store.listRunning ? await store.listRunning() : (await store.list()).filter((record) => record.syncStatus === 'running');
    let resumed = 0;
    for (const record of running) {
      if (this.stopped || this.options.isDraining()) break;
      if (record.syncStatus !== 'running' || this.jobs.has(chatKey(record.chatId)) || this.starting.has(chatKey(record.chatId))) continue;
      if (this.jobs.size + this.starting.size >= this.options.maxRunning) break;
      if ((await this.claim(record.chatId, {}, true)) !== undefined) resumed += 1;
    }
    return resumed;
  }

  /**
   * Stops every job without changing what the store says (they stay `running`), so a server
   * restarted on the same store — or, with leases, another instance at once — resumes them. The
   * store is the server's to close.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.scanTimer);
    await Promise.allSettled(this.starting.values());
    const released: Array<Promise<void>> = [];
    for (const job of this.jobs.values()) {
      this.stopTimers(job);
      if (job.lease !== undefined) released.push(this.releaseLease(job.key, job.lease));
    }
    this.jobs.clear();
    this.options.metrics.syncJobsRunning.set(0);
    await Promise.allSettled(released);
  }

  private async scanOrphans(): Promise<void> {
    if (this.scanning || this.stopped) return;
    this.scanning = true;
    try {
      const resumed = await this.resumeOrphans();
      if (resumed > 0) this.options.logger.info({ resumed }, 'took over sync runs whose instance stopped renewing their lease');
    } catch (error) {
      this.options.logger.debug({ err: messageOf(error) }, 'orphan scan failed; the next one tries again');
    } finally {
      this.scanning = false;
    }
  }

  /** One start (or, `resumeOnly`, one resume of an orphan) per chat at a time. */
  private claim(chatId: ChatId, syncOptions: SyncOptions, resumeOnly: boolean): Promise<SyncStartReply | undefined> {
    const key = chatKey(chatId);
    const job = this.jobs.get(key);
    if (job) return Promise.resolve(resumeOnly ? undefined : { chatId, status: 'running', runId: job.record.runId as string });
    const inFlight = this.starting.get(key);
    if (inFlight) return resumeOnly ? Promise.resolve(undefined) : inFlight.then((reply) => (reply === undefined ? this.start(chatId, syncOptions) : { ...reply, chatId, status: 'running' }));
    if (this.options.isDraining()) return Promise.reject(new WsmigError(ErrorCode.draining, 'the server is draining: start the sync after reconnecting'));
    if (this.jobs.size + this.starting.size >= this.options.maxRunning) {
      return Promise.reject(new WsmigError(ErrorCode.tooManySyncs, `the server runs ${this.options.maxRunning} syncs, the most allowed: start this one later`));
    }
    const starting = this.begin(chatId, syncOptions, resumeOnly).finally(() => this.starting.delete(key));
    this.starting.set(key, starting);
    return starting;
  }

  /**
   * Where an orphaned run stands. After a crash the status store and the replay history were
   * written on different cadences, so either may be ahead; the history is what clients can still be
   * given, so it wins: a run it shows ended is ended, and a running one goes on from the last step
   * the history kept — never from a later one, whose event no client could ever receive.
   */
  private async reconcileOrphan(stored: SyncStatusReply): Promise<SyncStatusReply> {
    const newest = await this.options.hub.newestEvent(syncChannel(stored.chatId));
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

  /** The `runId` of a run another instance holds the lease of, waiting a moment while it is still being claimed. */
  private async heldRunId(key: string, value: string | undefined): Promise<string> {
    const leases = this.options.leases as JobLeases;
    const deadline = this.options.clock() + CLAIM_WAIT_MS;
    let current = value;
    while (current !== undefined && runIdOfLease(current) === '' && this.options.clock() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      current = await leases.holder(key);
    }
    const runId = runIdOfLease(current);
    if (runId === '') throw new WsmigError(ErrorCode.internal, 'another instance is starting or ending this sync right now: send sync:start again');
    return runId;
  }

  private async begin(chatId: ChatId, syncOptions: SyncOptions, resumeOnly: boolean): Promise<SyncStartReply | undefined> {
    const { settings, metrics, clock, leases } = this.options;
    const key = chatKey(chatId);
    let lease: string | undefined;
    if (leases !== undefined) {
      this.claims += 1;
      const claiming = `${this.options.instance ?? 'instance'}.${this.claims.toString(36)}|`;
      const claim = await leases.acquire(key, claiming);
      if (!claim.acquired) return resumeOnly ? undefined : { chatId, status: 'running', runId: await this.heldRunId(key, claim.value) };
      lease = claiming;
    }
    try {
      // Read once the lease is ours: no other instance writes this record from here on.
      const recorded = await this.options.store.get(chatId);
      const stored = recorded?.syncStatus === 'running' && recorded.runId !== null ? await this.reconcileOrphan(recorded) : recorded;
      const now = clock();
      const orphan = stored?.syncStatus === 'running' && stored.runId !== null;
      if (resumeOnly && !orphan) {
        // The history shows the run ended (or the record changed meanwhile): the store learns it.
        if (stored !== undefined && stored !== recorded) await this.options.store.set({ ...stored, updatedAt: now }, lease === undefined ? undefined : { job: key, holder: lease });
        if (lease !== undefined) await this.releaseLease(key, lease);
        return undefined;
      }
      const record: SyncStatusReply = orphan
        ? { ...stored, chatId, updatedAt: now }
        : { chatId, syncStatus: 'running', syncProgress: 0, processed: 0, total: settings.totalMessages, runId: this.newRunId(), updatedAt: now };
      if (lease !== undefined && leases !== undefined) {
        const named = `${lease}${record.runId as string}`;
        if (!(await leases.update(key, lease, named))) throw new WsmigError(ErrorCode.internal, 'the claim on this sync expired before it started: send sync:start again');
        lease = named;
      }
      const job: SyncJob = {
        key,
        channel: syncChannel(chatId),
        batchSize: syncOptions.batchSize ?? settings.batchSize,
        startedAtMs: now,
        record,
        timer: undefined,
        lease,
        renewTimer: undefined,
      };
      if (this.stopped) {
        if (lease !== undefined) await this.releaseLease(key, lease);
        return { chatId, status: 'started', runId: record.runId as string };
      }
      // With leases the record is durable before anyone is told: another instance answering `sync:status` reads it.
      if (lease !== undefined) await this.options.store.set(record, { job: key, holder: lease });
      else this.save(record);
      this.jobs.set(job.key, job);
      metrics.syncJobs.inc({ status: orphan ? 'resumed' : 'started' });
      metrics.syncJobsRunning.set(this.jobs.size);
      if (orphan) this.options.logger.info({ chatId, runId: record.runId, processed: record.processed }, 'resumed an orphaned sync run');
      if (lease !== undefined) this.keepLease(job);
      // Runs resumed together after a restart would otherwise tick in lockstep and stall the event loop at each batch.
      this.schedule(job, orphan ? this.options.random() * settings.batchDelayMs : settings.batchDelayMs);
      return { chatId, status: 'started', runId: record.runId as string };
    } catch (error) {
      if (lease !== undefined) await this.releaseLease(key, lease);
      throw error;
    }
  }

  /**
   * Renews the run's lease every third of its life; a lease another instance holds now abandons the
   * run to it. While the engine cannot be reached the run is kept: it cannot write its status or
   * publish meanwhile (both go through the engine, the writes fenced by the lease), and when the
   * engine answers again the lease is renewed, taken back if it vanished, or found taken.
   */
  private keepLease(job: SyncJob): void {
    const leases = this.options.leases as JobLeases;
    const renew = async (): Promise<void> => {
      if (this.jobs.get(job.key) !== job || job.lease === undefined) return;
      try {
        if (!(await leases.renew(job.key, job.lease)) && !(await this.reclaim(job))) this.abandon(job, 'its lease was taken over');
      } catch (error) {
        this.options.logger.debug({ chatId: job.record.chatId, err: messageOf(error) }, 'could not renew a sync lease; the run waits for the engine');
      }
    };
    job.renewTimer = setInterval(() => void renew(), Math.max(20, Math.floor(leases.ttlMs / 3)));
    job.renewTimer.unref();
  }

  /**
   * Takes a run's lease back when it is gone but nobody else holds it (it expired during a long
   * pause, or Redis restarted empty): the run goes on here. False when another instance holds it.
   */
  private async reclaim(job: SyncJob): Promise<boolean> {
    const leases = this.options.leases;
    if (leases === undefined || job.lease === undefined) return false;
    const claim = await leases.acquire(job.key, job.lease);
    if (claim.acquired) this.options.logger.warn({ chatId: job.record.chatId, runId: job.record.runId }, 'the lease of a sync run running here had vanished (Redis restarted?): taken back');
    return claim.acquired;
  }

  /** Stops a run here without a word to the store or the channel: another instance runs it now. */
  private abandon(job: SyncJob, why: string): void {
    if (this.jobs.get(job.key) !== job) return;
    this.stopTimers(job);
    this.jobs.delete(job.key);
    this.options.metrics.syncJobsRunning.set(this.jobs.size);
    this.options.logger.warn({ chatId: job.record.chatId, runId: job.record.runId }, `stopped running a sync here: ${why}`);
  }

  private stopTimers(job: SyncJob): void {
    clearTimeout(job.timer);
    clearInterval(job.renewTimer);
  }

  private async releaseLease(key: string, value: string): Promise<void> {
    await this.options.leases?.release(key, value).catch((error: unknown) => this.options.logger.warn({ err: messageOf(error), chatId: key }, 'could not release a sync lease; it expires on its own'));
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
      const next = { ...record, processed, syncProgress: Math.floor((processed * 100) / record.total), updatedAt: this.options.clock() };
      await this.persist(job, next);
      if (this.jobs.get(job.key) !== job) return;
      job.record = next;
      const progress: SyncProgressEvent = { chatId: record.chatId, runId: record.runId as string, progress: next.syncProgress, processed, total: record.total };
      await this.options.hub.publish(job.channel, 'sync:progress', progress);
      if (processed >= record.total) await this.finish(job, 'completed', undefined);
      else if (this.jobs.get(job.key) === job) this.schedule(job);
    } catch (error) {
      if (isLeaseLost(error)) {
        this.abandon(job, 'its lease was taken over');
        return;
      }
      if (isEngineUnavailable(error) && this.jobs.get(job.key) === job) {
        // Redis is away for a moment: the batch is tried again; the lease decides whether this instance still runs it.
        this.options.logger.warn({ chatId: job.record.chatId, err: messageOf(error) }, 'sync step waits for the engine');
        this.schedule(job, ENGINE_RETRY_MS);
        return;
      }
      this.options.logger.error({ err: error, chatId: job.record.chatId }, 'sync step failed');
      await this.finish(job, 'failed', { code: ErrorCode.internal, message: `the sync failed: ${messageOf(error)}`, retryable: true }).catch(() => undefined);
    }
  }

  private async cancelJob(job: SyncJob): Promise<void> {
    const error: ErrorBody = { code: SYNC_CANCELLED, message: 'the sync was cancelled (sync:cancel)', retryable: false };
    await this.finish(job, 'cancelled', error);
  }

  private async finish(job: SyncJob, status: 'completed' | 'failed' | 'cancelled', error: ErrorBody | undefined): Promise<void> {
    if (this.jobs.get(job.key) !== job) return;
    this.stopTimers(job);
    this.jobs.delete(job.key);
    const { metrics, clock } = this.options;
    metrics.syncJobs.inc({ status });
    metrics.syncJobsRunning.set(this.jobs.size);
    const { record } = job;
    job.record = error === undefined ? { ...record, syncStatus: status, updatedAt: clock() } : { ...record, syncStatus: status, error, updatedAt: clock() };
    try {
      await this.persist(job, job.record);
    } catch (failure) {
      // Another instance runs it now (lease lost), or the engine is away: that instance (or the orphan scan) ends it.
      this.options.logger.warn({ chatId: record.chatId, err: messageOf(failure) }, 'could not record the end of a sync run here');
      return;
    }
    const runId = record.runId as string;
    if (status === 'completed') {
      const complete: SyncCompleteEvent = { chatId: record.chatId, runId, processed: record.processed, total: record.total, durationMs: clock() - job.startedAtMs };
      await this.options.hub.publish(job.channel, 'sync:complete', complete);
    } else {
      const failure: SyncErrorEvent = { chatId: record.chatId, runId, error: error as ErrorBody, processed: record.processed };
      await this.options.hub.publish(job.channel, 'sync:error', failure);
    }
    if (job.lease !== undefined) await this.releaseLease(job.key, job.lease);
  }

  /** Records a job's status: with leases, fenced and awaited (a lost lease throws `LEASE_LOST`); without, in the background. */
  private async persist(job: SyncJob, record: SyncStatusReply): Promise<void> {
    if (job.lease === undefined) {
      this.save(record);
      return;
    }
    const fence: StatusFence = { job: job.key, holder: job.lease };
    try {
      await this.options.store.set(record, fence);
    } catch (error) {
      if (!isLeaseLost(error) || !(await this.reclaim(job))) throw error;
      await this.options.store.set(record, fence);
    }
  }

  private save(record: SyncStatusReply): void {
    this.options.store.set(record).catch((error: unknown) => {
      this.options.logger.error({ err: error, chatId: record.chatId }, 'could not record the sync status');
    });
  }
}
