import { describe, expect, it } from 'vitest';
import { summarizeStep } from '../../migration/canary/analysis.js';
import { parseCanarySteps, parseStepDuration } from '../../migration/canary/plan.js';
import type { BucketCount, IntervalValues } from '../../migration/watch/interval-values.js';
import { parseThresholds } from '../../scenarios/thresholds/index.js';

describe('--canary', () => {
  it('reads rising whole percentages ending at 100, with or without % signs', () => {
    expect(parseCanarySteps('5,25,50,100')).toEqual([5, 25, 50, 100]);
    expect(parseCanarySteps(' 10% , 100% ')).toEqual([10, 100]);
    expect(parseCanarySteps('100')).toEqual([100]);
  });

  it.each([
    ['25,5,100', 'must rise'],
    ['5,25,50', 'must end at 100'],
    ['0,50,100', 'at least 1'],
    ['5,2.5,100', 'whole percentage'],
    ['5,,100', 'whole percentage'],
    ['5,abc,100', 'whole percentage'],
    ['5,150', 'at most 100'],
  ])('refuses %s with a reason and an example (exit 2)', (text, why) => {
    let error: unknown;
    try {
      parseCanarySteps(text);
    } catch (caught) {
      error = caught;
    }
    expect(error).toMatchObject({ code: 'BAD_CANARY', exitCode: 2 });
    expect((error as Error).message).toContain(why);
    expect((error as Error).message).toContain('--canary 5,25,50,100');
  });

  it('--step takes a duration', () => {
    expect(parseStepDuration('30m')).toBe(1_800_000);
    expect(() => parseStepDuration('soon')).toThrow(/--step/);
  });
});

/** `count` requests in the 0–100 ms bucket and `slow` in the 250–500 ms one. */
function buckets(count: number, slow = 0): BucketCount[] {
  return [
    { lowerMs: 0, upperMs: 100, count },
    { lowerMs: 100, upperMs: 250, count: 0 },
    { lowerMs: 250, upperMs: 500, count: slow },
    { lowerMs: 500, upperMs: Infinity, count: 0 },
  ];
}

describe('a canary step summary', () => {
  const thresholds = parseThresholds({ ws_rpc_duration: [{ threshold: 'p(99)<250', minSamples: 3 }], ws_unexpected_disconnects: ['count<10'] }, 'test');

  it('judges each threshold over the whole step on both cohorts, and counts the cohorts', () => {
    const intervals: IntervalValues[] = [
      { startMs: 0, endMs: 1000, rpcBuckets: buckets(20), sseRequestBuckets: buckets(5, 3), configAnswers: { ws: 2, sse: 38 }, connections: 2, sseStreams: 30, unexpectedDisconnects: 0 },
      { startMs: 1000, endMs: 2000, rpcBuckets: buckets(20), sseRequestBuckets: buckets(5, 3), configAnswers: { ws: 3, sse: 37 }, connections: 3, sseStreams: 25, unexpectedDisconnects: 1 },
    ];
    const summary = summarizeStep(intervals, thresholds, 1000, 'test');
    expect(summary.configAnswers).toEqual({ ws: 5, sse: 75 });
    expect(summary.wsConnectionsMax).toBe(3);
    expect(summary.sseStreamsMax).toBe(30);
    const latency = summary.thresholds.find((threshold) => threshold.metric === 'ws_rpc_duration');
    expect(latency?.ws).toMatchObject({ status: 'pass', samples: 40 });
    // The SSE cohort's legacy requests were slow: its side fails the same threshold.
    expect(latency?.sse).toMatchObject({ status: 'fail', samples: 16 });
    // Disconnects have no SSE counterpart: not measured, never a zero that passes.
    const disconnects = summary.thresholds.find((threshold) => threshold.metric === 'ws_unexpected_disconnects');
    expect(disconnects?.ws).toMatchObject({ status: 'pass', observed: 1 });
    expect(disconnects?.sse).toBeNull();
  });

  it('says what the service does not expose: no cohort counts, no SSE side', () => {
    const summary = summarizeStep([{ startMs: 0, endMs: 1000, rpcBuckets: buckets(1) }], thresholds, 1000, 'test');
    expect(summary.configAnswers).toBeNull();
    expect(summary.sseStreamsMax).toBeNull();
    const latency = summary.thresholds.find((threshold) => threshold.metric === 'ws_rpc_duration');
    expect(latency?.ws.status).toBe('inconclusive');
    expect(latency?.sse).toBeNull();
  });
});
