/**
 * The native engine: wsmig's own WebSocket load generator. Splits a workload's connections and
 * request rate across worker threads (one per core by default), starts them together, paces the
 * cuts of a reconnect storm (at the offsets the k6 scripts cut at too), merges the workers'
 * recordings exactly, and judges its own health.
 */
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { WsmigError, messageOf } from '../../../lib/errors.js';
import { PACKAGE_ROOT } from '../../../lib/package-info.js';
import { cutOffsetsMs } from '../../k6/lib/workload-plan.js';
import { mergeSnapshots, type RecorderSnapshot } from '../../result/recorder.js';
import type { CutMode, Engine, EngineContext, EngineOutcome, SseWorkload, WsWorkload } from '../types.js';
import { assessGenerator, workerWarnings } from './health.js';
import type { ParentMessage, WorkerMessage, WorkerSpec, WorkerStats, WorkerStatus } from './messages.js';
import { profileCoverageWarnings, sumProfileStats } from './profile-coverage.js';
import { runSseStreams } from './sse-streams.js';

export interface NativeEngineOptions {
  /** Worker threads; default one per core, never more than connections. */
  workers?: number;
  /** A send later than this (ms) counts as late. Default 50: a stall a person would notice, not scheduler jitter. */
  lateToleranceMs?: number;
  /** An arrival more overdue than this (ms) is dropped. Default 1000. */
  maxLagMs?: number;
}

const READY_TIMEOUT_MS = 15_000;
const CUT_ARM_TIMEOUT_MS = 5_000;
const STATUS_INTERVAL_MS = 100;
/** After `stop`, workers drain requests in flight (≤ 2 s) and report; this bounds the wait. */
const DONE_TIMEOUT_MS = 15_000;

/** The compiled worker entry. From source (tests), the compiled copy in dist/ (built by `npm run build`). */
function workerEntryPath(): string {
  const here = fileURLToPath(import.meta.url);
  const sibling = path.join(path.dirname(here), 'worker.js');
  if (here.endsWith('.js') && existsSync(sibling)) return sibling;
  const built = path.join(PACKAGE_ROOT, 'dist', 'scenarios', 'engines', 'native', 'worker.js');
  if (!existsSync(built)) throw new WsmigError('NATIVE_WORKER_MISSING', `The native engine's worker (${built}) is missing: run \`npm run build\` in the wsmig package.`);
  return built;
}

/** Splits `total` into `parts` integers that differ by at most one, larger first. */
export function splitEvenly(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

/** Creates the native engine: WebSocket workloads on worker threads, SSE streams (sse-stream) in-process. */
export function createNativeEngine(options: NativeEngineOptions = {}): Engine<WsWorkload | SseWorkload> {
  return {
    name: 'native',
    run: (scenario, workload, context) => (workload.kind === 'sse' ? runSseStreams(scenario, workload, context) : runNative(scenario, workload, context, options)),
  };
}

interface WorkerHandle {
  worker: Worker;
  latest: RecorderSnapshot | undefined;
  status: WorkerStatus;
  final: { snapshot: RecorderSnapshot; stats: WorkerStats } | undefined;
  armed: Set<number>;
  exited: boolean;
}

async function runNative(scenario: string, workload: WsWorkload, context: EngineContext, options: NativeEngineOptions): Promise<EngineOutcome> {
  const workerCount = Math.max(1, Math.min(options.workers ?? availableParallelism(), workload.connections));
  const lateToleranceMs = options.lateToleranceMs ?? 50;
  const maxLagMs = options.maxLagMs ?? 1_000;
  const warnings: string[] = [];
  const cutMode = workload.cuts ? await resolveCutMode(workload.cuts.mode, context, warnings) : undefined;
  const connectionShares = splitEvenly(workload.connections, workerCount);
  const entry = workerEntryPath();
  const chatPrefix = `load-${context.runId.slice(-6)}-${scenario}`;
  let first = 0;
  const handles: WorkerHandle[] = connectionShares.map((connections) => {
    const spec: WorkerSpec = {
      scenario,
      wsUrl: context.target.wsUrl,
      upgradeHeaders: context.target.credentials.headers('service'),
      startMs: context.startMs,
      intervalMs: context.intervalMs,
      firstConnection: first,
      connections,
      ratePerSecond: (workload.ratePerSecond * connections) / workload.connections,
      chatPrefix,
      workload,
      lateToleranceMs,
      maxLagMs,
      progressIntervalMs: context.intervalMs,
      statusIntervalMs: STATUS_INTERVAL_MS,
    };
    first += connections;
    return { worker: new Worker(entry, { workerData: spec }), latest: undefined, status: { open: 0, recovering: 0 }, final: undefined, armed: new Set(), exited: false };
  });

  let failure: Error | undefined;
  let readyCount = 0;
  const changed = new EventTargetLite();
  for (const handle of handles) {
    handle.worker.on('message', (message: WorkerMessage) => {
      switch (message.type) {
        case 'progress':
          handle.latest = message.snapshot;
          handle.status = message.status;
          break;
        case 'status':
          handle.status = message.status;
          break;
        case 'cut-armed':
          handle.armed.add(message.cut);
          break;
        case 'done':
          handle.final = { snapshot: message.snapshot, stats: message.stats };
          handle.latest = message.snapshot;
          break;
        case 'failed':
          failure ??= new WsmigError('NATIVE_WORKER_FAILED', `A native load worker failed: ${message.message}`);
          break;
        case 'ready':
          readyCount += 1;
          break;
      }
      changed.notify();
    });
    handle.worker.on('error', (error) => {
      failure ??= new WsmigError('NATIVE_WORKER_FAILED', `A native load worker crashed: ${messageOf(error)}`, { cause: error });
      changed.notify();
    });
    handle.worker.on('exit', () => {
      handle.exited = true;
      if (!handle.final) failure ??= new WsmigError('NATIVE_WORKER_FAILED', 'A native load worker exited before reporting its results.');
      changed.notify();
    });
  }
  const post = (message: ParentMessage): void => {
    for (const handle of handles) if (!handle.exited) handle.worker.postMessage(message);
  };
  const waitFor = async (condition: () => boolean, timeoutMs: number, what: string, abortable = true): Promise<boolean> => {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (failure) throw failure;
      if (abortable && context.signal.aborted) return false;
      const left = deadline - Date.now();
      if (left <= 0) {
        if (what) throw new WsmigError('NATIVE_ENGINE_TIMEOUT', `The native engine timed out waiting for ${what}.`);
        return false;
      }
      await changed.wait(Math.min(left, 100), context.signal);
    }
    return true;
  };

  let progressTimer: NodeJS.Timeout | undefined;
  let maxRssBytes = process.memoryUsage.rss();
  try {
    await waitFor(() => readyCount === handles.length, READY_TIMEOUT_MS, 'its workers to start', false);
    const utilizationStart = handles.map((handle) => handle.worker.performance.eventLoopUtilization());
    const cpuStart = process.cpuUsage();
    const wallStart = performance.now();
    post({ type: 'start' });
    progressTimer = setInterval(() => {
      maxRssBytes = Math.max(maxRssBytes, process.memoryUsage.rss());
      const snapshots = handles.flatMap((handle) => (handle.latest ? [handle.latest] : []));
      if (snapshots.length === 0) return;
      context.onProgress({ snapshot: mergeSnapshots(snapshots), openConnections: handles.reduce((sum, handle) => sum + handle.status.open, 0) });
    }, context.intervalMs);

    const runStart = Date.now();
    const sleepUntil = (offsetMs: number): Promise<boolean> => waitFor(() => Date.now() - runStart >= offsetMs, Math.max(0, offsetMs - (Date.now() - runStart)) + 1_000, '');
    let endAt = workload.durationMs;
    if (workload.cuts && cutMode) {
      const { count, reconnectDeadlineMs } = workload.cuts;
      const offsetsMs = cutOffsetsMs(workload);
      let mode: CutMode = cutMode;
      for (let cut = 1; cut <= count; cut += 1) {
        if (!(await sleepUntil(offsetsMs[cut - 1] as number))) break;
        if (Date.now() - runStart > workload.durationMs) {
          warnings.push(`Only ${cut - 1} of ${count} cuts fit in the run: clients took long to recover; lengthen the duration or lower the cuts.`);
          break;
        }
        post({ type: 'cut', cut, mode });
        await waitFor(() => handles.every((handle) => handle.exited || handle.armed.has(cut)), CUT_ARM_TIMEOUT_MS, `workers to arm cut ${cut}`);
        const cutAt = Date.now();
        mode = await performCut(mode, cut, context, warnings, post);
        // Clients report back as they reconnect and resubscribe; the next cut waits for them (or their deadline).
        await waitFor(() => handles.some((handle) => handle.status.recovering > 0) || Date.now() - cutAt > 2_000, 3_000, '');
        await waitFor(() => handles.every((handle) => handle.status.recovering === 0), reconnectDeadlineMs + 1_000, '');
        post({ type: 'cut-over', cut });
        endAt = Math.max(endAt, Date.now() - runStart);
      }
    }
    await sleepUntil(endAt);
    post({ type: 'stop' });
    await waitFor(() => handles.every((handle) => handle.final !== undefined), DONE_TIMEOUT_MS, 'its workers to report their results', false);
    const wallMs = performance.now() - wallStart;
    const cpu = process.cpuUsage(cpuStart);
    const utilizations = handles.map((handle, i) => handle.worker.performance.eventLoopUtilization(utilizationStart[i]).utilization);
    const finals = handles.map((handle) => handle.final as { snapshot: RecorderSnapshot; stats: WorkerStats });
    const stats = finals.map((final) => final.stats);
    const generator = assessGenerator({
      stats,
      utilizations,
      cpuPercent: wallMs > 0 ? ((cpu.user + cpu.system) / 1000 / wallMs) * 100 : 0,
      maxRssBytes,
      lateToleranceMs,
      maxLagMs,
    });
    return {
      snapshot: mergeSnapshots(finals.map((final) => final.snapshot)),
      generator,
      warnings: [
        ...warnings,
        ...workerWarnings(stats),
        ...refusedUpgradeWarnings(stats, context),
        ...(workload.profile === undefined ? [] : profileCoverageWarnings(workload.profile, workload, sumProfileStats(stats))),
      ],
      effective: { workers: workerCount, ...(cutMode ? { cutMode } : {}), ...(workload.profile === undefined ? {} : { profile: workload.profile.name }) },
    };
  } finally {
    if (progressTimer) clearInterval(progressTimer);
    await Promise.all(handles.map((handle) => handle.worker.terminate()));
  }
}

/** Upgrades refused with 401/403 during the run (a token rotated, or a server behind a different one), with what to set. */
function refusedUpgradeWarnings(stats: readonly WorkerStats[], context: EngineContext): string[] {
  const refused = stats.reduce((total, s) => total + (s.refusedUpgrades ?? 0), 0);
  if (refused === 0) return [];
  return [`${refused} WebSocket upgrade(s) were refused with 401/403 (${context.target.credentials.refusal(401, context.target.wsUrl) ?? 'refused'}); they count as failed connects.`];
}

/**
 * The cut mode a reconnect storm uses. `auto`: a restart when wsmig started the server and a restart
 * keeps its replay history (so it can be lossless), else an admin kick (tried at the first cut,
 * client-close if it is refused).
 */
async function resolveCutMode(requested: CutMode | 'auto', context: EngineContext, warnings: string[]): Promise<CutMode> {
  if (requested === 'restart' && !context.target.canRestart) {
    throw new WsmigError('CUT_MODE_UNAVAILABLE', `cutMode restart needs the embedded server (wsmig cannot restart ${context.target.wsUrl}): use --set cutMode=kick or client-close.`, { exitCode: 2 });
  }
  if (requested !== 'auto') return requested;
  if (context.target.canRestart) {
    if (await context.target.restartKeepsHistory()) return 'restart';
    warnings.push('cutMode auto: the embedded server does not keep its replay history across a restart (its epoch changes), so the storm uses admin kicks instead of restarts.');
  }
  return 'kick';
}

/** Cuts every connection; returns the mode later cuts use (kick falls back to client-close when refused). */
async function performCut(mode: CutMode, cut: number, context: EngineContext, warnings: string[], post: (message: ParentMessage) => void): Promise<CutMode> {
  switch (mode) {
    case 'client-close':
      return mode;
    case 'restart':
      await context.target.restart();
      return mode;
    case 'kick':
      try {
        await context.target.kick();
        return mode;
      } catch (error) {
        warnings.push(`${messageOf(error)} Cut ${cut} and later ones closed the connections from the client side instead (cutMode client-close).`);
        post({ type: 'cut', cut, mode: 'client-close' });
        return 'client-close';
      }
  }
}

/** A tiny "something changed" signal the parent's waits sleep on. */
class EventTargetLite {
  private waiters: (() => void)[] = [];

  notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  wait(timeoutMs: number, signal: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, timeoutMs);
      signal.addEventListener('abort', done, { once: true });
      this.waiters.push(done);
    });
  }
}
