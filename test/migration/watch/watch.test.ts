import { describe, expect, it } from 'vitest';
import { parseThresholds, type ThresholdSet } from '../../../scenarios/thresholds/index.js';
import type { MetricSample } from '../../../lib/prometheus-text.js';
import type { MetricsSource } from '../../../migration/watch/source.js';
import { watchMetrics, type WatchEvaluation } from '../../../migration/watch/watch.js';

const INTERVAL_MS = 1_000;

/** A source replaying readings: a number is the CPU seconds total at that reading, `null` an unreachable source. */
function scripted(cpuTotals: (number | null)[]): MetricsSource {
  let index = 0;
  return {
    description: 'scripted',
    read: async () => {
      const value = cpuTotals[Math.min(index++, cpuTotals.length - 1)];
      if (value === null || value === undefined) throw new Error('connection refused');
      const samples: MetricSample[] = [{ name: 'wsmig_process_cpu_seconds_total', labels: {}, value }];
      return samples;
    },
  };
}

/** A virtual clock: sleeping jumps to the wake-up time. */
function virtualTime() {
  let nowMs = 0;
  return { now: () => nowMs, sleepUntil: async (atMs: number) => void (nowMs = Math.max(nowMs, atMs)) };
}

const thresholds = (data: Record<string, unknown>): ThresholdSet => ({ source: 'test.json', definitions: parseThresholds(data, 'test.json') });
const CPU = thresholds({ server_cpu_percent: ['value<50'] });

describe('the watch loop', () => {
  it('ends breached after failure-limit breaching evaluations in a row, not before', async () => {
    // 10% CPU, then 90%, 10%, then 90% for good: the streak resets after the single breach.
    const totals = [0, 0.1, 1.0, 1.1, 2.0, 2.9, 3.8];
    const seen: WatchEvaluation[] = [];
    const end = await watchMetrics({ source: scripted(totals), thresholds: CPU, intervalMs: INTERVAL_MS, failureLimit: 3, maxDurationMs: null, onEvaluation: (e) => seen.push(e), ...virtualTime() });
    expect(end.outcome).toBe('breached');
    expect(seen.map((e) => `${e.status}:${e.breachStreak}`)).toEqual(['pass:0', 'fail:1', 'pass:0', 'fail:1', 'fail:2', 'fail:3']);
    if (end.outcome === 'breached') {
      expect(end.detectedAtMs).toBe(6 * INTERVAL_MS);
      expect(end.verdict.thresholds[0]?.observed).toBeCloseTo(90);
    }
  });

  it('reports an unreachable source loudly after failure-limit intervals, never as healthy', async () => {
    const end = await watchMetrics({ source: scripted([0, 0.1, null, null, null]), thresholds: CPU, intervalMs: INTERVAL_MS, failureLimit: 3, maxDurationMs: null, ...virtualTime() });
    expect(end.outcome).toBe('source-unreachable');
    if (end.outcome === 'source-unreachable') expect(end.error).toContain('connection refused');
  });

  it('ends a healthy watch at max-duration', async () => {
    const totals = Array.from({ length: 20 }, (_, index) => index * 0.1);
    const seen: WatchEvaluation[] = [];
    const end = await watchMetrics({ source: scripted(totals), thresholds: CPU, intervalMs: INTERVAL_MS, failureLimit: 3, maxDurationMs: 5 * INTERVAL_MS, onEvaluation: (e) => seen.push(e), ...virtualTime() });
    expect(end.outcome).toBe('healthy');
    expect(seen).toHaveLength(5);
  });

  it('is inconclusive when it ends without data for its thresholds', async () => {
    const end = await watchMetrics({ source: scripted([0, 0.1, 0.2]), thresholds: thresholds({ ws_rpc_duration: ['p(99)<250'] }), intervalMs: INTERVAL_MS, failureLimit: 3, maxDurationMs: 2 * INTERVAL_MS, ...virtualTime() });
    expect(end.outcome).toBe('inconclusive');
    expect(end.last?.verdict?.thresholds[0]?.reason).toContain('not measured');
  });

  it('stops when its signal aborts', async () => {
    const stop = new AbortController();
    let reads = 0;
    const source: MetricsSource = { description: 's', read: async () => { if (++reads === 3) stop.abort(); return [{ name: 'wsmig_process_cpu_seconds_total', labels: {}, value: reads * 0.1 }]; } };
    const end = await watchMetrics({ source, thresholds: CPU, intervalMs: INTERVAL_MS, failureLimit: 3, maxDurationMs: null, signal: stop.signal, ...virtualTime() });
    expect(end.outcome).toBe('healthy');
    expect(reads).toBe(3);
  });
});
