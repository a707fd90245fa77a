import { describe, expect, it } from 'vitest';
import { parseThresholds } from '../../../scenarios/thresholds/index.js';
import { evaluateWatch, historyNeeded, resultOfIntervals } from '../../../migration/watch/evaluate.js';
import type { IntervalValues } from '../../../migration/watch/interval-values.js';

const INTERVAL_MS = 1_000;
const now = () => new Date(0);

function interval(index: number, values: Partial<IntervalValues>): IntervalValues {
  return { startMs: index * INTERVAL_MS, endMs: (index + 1) * INTERVAL_MS, ...values };
}

function evaluate(history: IntervalValues[], thresholds: Record<string, unknown>) {
  return evaluateWatch(history, parseThresholds(thresholds, 'test.json'), { intervalMs: INTERVAL_MS, source: 'test', thresholdsSource: 'test.json', now });
}

describe('a watch evaluation', () => {
  it('computes server-side request percentiles from the interval\'s bucket counts', () => {
    const fast = interval(0, { rpcBuckets: [{ lowerMs: 0, upperMs: 10, count: 100 }, { lowerMs: 10, upperMs: Infinity, count: 0 }] });
    const slow = interval(1, { rpcBuckets: [{ lowerMs: 0, upperMs: 10, count: 95 }, { lowerMs: 250, upperMs: 500, count: 5 }] });
    expect(evaluate([fast], { ws_rpc_duration: ['p(99)<250'] }).status).toBe('pass');
    const verdict = evaluate([fast, slow], { ws_rpc_duration: ['p(99)<250'] });
    expect(verdict.status).toBe('fail');
    expect(verdict.thresholds[0]?.observed).toBeGreaterThan(250);
    expect(verdict.thresholds[0]?.samples).toBe(100);
  });

  it('judges a threshold without a window on the newest interval only', () => {
    const hot = interval(0, { cpuPercent: 99 });
    const calm = interval(1, { cpuPercent: 10 });
    expect(evaluate([hot, calm], { server_cpu_percent: ['value<90'] }).status).toBe('pass');
    expect(evaluate([calm, hot], { server_cpu_percent: ['value<90'] }).status).toBe('fail');
  });

  it('honours window and consecutive over the newest intervals, and is inconclusive until it has enough of them', () => {
    const thresholds = { server_cpu_percent: [{ threshold: 'value<90', window: '2s', consecutive: 2 }] };
    expect(historyNeeded(parseThresholds(thresholds, 't'), INTERVAL_MS)).toBe(4);
    const cpu = (values: number[]) => values.map((value, index) => interval(index, { cpuPercent: value }));
    const early = evaluate(cpu([99, 99, 99]), thresholds);
    expect(early.status).toBe('inconclusive');
    expect(early.thresholds[0]?.reason).toContain('needs 4 intervals');
    expect(evaluate(cpu([10, 99, 10, 99]), thresholds).status).toBe('fail');
    expect(evaluate(cpu([10, 10, 10, 99]), thresholds).status).toBe('pass');
  });

  it('is inconclusive, never healthy, on metrics the server does not show', () => {
    const verdict = evaluate([interval(0, { cpuPercent: 5 })], { server_cpu_percent: ['value<90'], ws_msgs_lost: ['count==0'] });
    expect(verdict.status).toBe('inconclusive');
    expect(verdict.thresholds.map((outcome) => outcome.status)).toEqual(['pass', 'inconclusive']);
  });

  it('counts connection attempts as a rate and unexpected disconnects as a counter', () => {
    const result = resultOfIntervals([interval(0, { connectAttempts: { accepted: 99, failed: 1 }, unexpectedDisconnects: 2 })], INTERVAL_MS, 'test');
    const rate = result.metrics.find((metric) => metric.name === 'ws_connect_success');
    expect(rate?.values).toMatchObject({ rate: 0.99, passes: 99, fails: 1 });
    expect(evaluate([interval(0, { unexpectedDisconnects: 2 })], { ws_unexpected_disconnects: ['count<2'] }).status).toBe('fail');
    expect(evaluate([interval(0, { unexpectedDisconnects: 0 })], { ws_unexpected_disconnects: ['count<2'] }).status).toBe('pass');
  });
});
