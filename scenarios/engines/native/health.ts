/**
 * The native generator's verdict on itself. An overloaded generator cannot measure a server
 * honestly: sends that left late, iterations it dropped, or a saturated worker are listed as
 * `problems`, and the orchestrator makes such a run inconclusive (never a pass).
 */
import { histogramOf, newHistogram } from '../../result/histogram.js';
import type { GeneratorHealth } from '../../result/types.js';
import type { WorkerStats } from './messages.js';

/** Where a generator stops being trustworthy. */
const HEALTH_LIMITS = {
  /** Share of sends allowed to leave later than the late tolerance… */
  lateShare: 0.01,
  /** …and a floor, so one short stall in a small run (two sends 60 ms late) is not called an overload. */
  lateFloor: 10,
  /** Share of scheduled iterations allowed to be dropped. */
  droppedShare: 0.001,
  /** Event-loop utilisation of a worker over the run above which its CPU counts as saturated. */
  saturatedUtilization: 0.9,
} as const;

export interface HealthInputs {
  stats: readonly WorkerStats[];
  /** Event-loop utilisation (0–1) of each worker over the run. */
  utilizations: readonly number[];
  /** CPU of the whole generator process (all threads), percent of one core. */
  cpuPercent: number;
  maxRssBytes: number;
  lateToleranceMs: number;
  maxLagMs: number;
}

/** Sums the workers' figures and lists what makes the measurement untrustworthy. */
export function assessGenerator(inputs: HealthInputs): GeneratorHealth {
  let scheduled = 0;
  let started = 0;
  let late = 0;
  let droppedBehind = 0;
  let droppedUnavailable = 0;
  const lag = newHistogram();
  for (const stats of inputs.stats) {
    scheduled += stats.scheduled;
    started += stats.started;
    late += stats.late;
    droppedBehind += stats.droppedBehind;
    droppedUnavailable += stats.droppedUnavailable;
    lag.add(histogramOf(stats.lagHistogram));
  }
  const sendLagP99Ms = lag.totalCount > 0 ? lag.getValueAtPercentile(99) / 1000 : 0;
  const problems: string[] = [];
  if (started > 0 && late > HEALTH_LIMITS.lateFloor && late / started > HEALTH_LIMITS.lateShare) {
    problems.push(
      `${late} of ${started} sends (${percent(late / started)}) left more than ${inputs.lateToleranceMs} ms after their intended time (p99 lag ${sendLagP99Ms.toFixed(1)} ms): the generator could not keep its schedule (its CPU was taken by other processes on this machine, or the load per core is too high); rerun on a quiet machine, lower the rate or add cores.`,
    );
  }
  if (scheduled > 0 && droppedBehind / scheduled > HEALTH_LIMITS.droppedShare) {
    problems.push(
      `${droppedBehind} of ${scheduled} iterations (${percent(droppedBehind / scheduled)}) were dropped because the generator fell more than ${inputs.maxLagMs} ms behind its schedule: lower the rate or add cores.`,
    );
  }
  if (scheduled > 0 && droppedUnavailable / scheduled > HEALTH_LIMITS.droppedShare) {
    problems.push(
      `${droppedUnavailable} of ${scheduled} iterations (${percent(droppedUnavailable / scheduled)}) were dropped because no connection was open: the intended load was not applied.`,
    );
  }
  inputs.utilizations.forEach((utilization, worker) => {
    if (utilization > HEALTH_LIMITS.saturatedUtilization) {
      problems.push(`worker ${worker} was busy ${percent(utilization)} of the run: the generator's CPU was saturated, so latencies include its own queueing; use fewer connections or a lower rate per core.`);
    }
  });
  return {
    workers: inputs.stats.length,
    lateSends: late,
    droppedIterations: droppedBehind + droppedUnavailable,
    sendLagP99Ms,
    cpuPercent: inputs.cpuPercent,
    maxRssBytes: inputs.maxRssBytes,
    problems,
  };
}

/** Things the user must know about what the workers saw (not generator faults). */
export function workerWarnings(stats: readonly WorkerStats[]): string[] {
  const warnings: string[] = [];
  const sum = (pick: (s: WorkerStats) => number): number => stats.reduce((total, s) => total + pick(s), 0);
  const unknowable = sum((s) => s.unknowableResyncs);
  if (unknowable > 0) {
    warnings.push(
      `${unknowable} resync(s) came after the server's replay history changed (new epoch) and the snapshot did not match what the client had seen: the events they skipped cannot be counted, so each counted as 1 lost event.`,
    );
  }
  const badFrames = sum((s) => s.badFrames);
  if (badFrames > 0) warnings.push(`${badFrames} frame(s) from the server were not valid protocol envelopes (docs/protocol.md).`);
  const unmeasured = sum((s) => s.unmeasuredReconnects);
  if (unmeasured > 0) warnings.push(`${unmeasured} reconnect(s) were still in progress, within their deadline, when the run stopped: not measured.`);
  const stopped = new Map<number, number>();
  for (const s of stats) for (const { code, count } of s.stoppedConnections) stopped.set(code, (stopped.get(code) ?? 0) + count);
  for (const [code, count] of stopped) warnings.push(`${count} connection(s) were closed by the server with code ${code}, after which a client must not reconnect: they stayed closed.`);
  const errors = new Map<string, number>();
  for (const s of stats) for (const { code, count } of s.requestErrors) errors.set(code, (errors.get(code) ?? 0) + count);
  if (errors.size > 0) warnings.push(`Requests answered with an error: ${[...errors].map(([code, count]) => `${code} ×${count}`).join(', ')}.`);
  return warnings;
}

function percent(share: number): string {
  return `${(share * 100).toFixed(share < 0.1 ? 2 : 1)}%`;
}
