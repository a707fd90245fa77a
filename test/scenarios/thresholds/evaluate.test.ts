import { describe, expect, it } from 'vitest';
import { buildResult, MetricsRecorder } from '../../../scenarios/result/recorder.js';
import type { Result } from '../../../scenarios/result/types.js';
import { applicableThresholds } from '../../../scenarios/thresholds/applicable.js';
import { evaluateThresholds, shouldAbort } from '../../../scenarios/thresholds/evaluate.js';
import { defaultThresholdsFile, parseThresholds, readThresholdsFile } from '../../../scenarios/thresholds/thresholds-file.js';
import { resultMeta } from './fixtures.js';

const START_MS = 0;
const evaluate = (result: Result, thresholds: unknown) => evaluateThresholds(result, parseThresholds(thresholds, 'inline'), { source: null, now: () => new Date(0) });

/** A run of `seconds` seconds whose server CPU reads `cpuBySecond[i]` in second i. */
function cpuRun(cpuBySecond: number[]): Result {
  const recorder = new MetricsRecorder({ startMs: START_MS });
  const cpu = recorder.gauge('server_cpu_percent');
  cpuBySecond.forEach((value, second) => cpu.set(value, second * 1000 + 500));
  return buildResult(recorder.snapshot(), resultMeta(cpuBySecond.length * 1000));
}

describe('windows and consecutive breaches', () => {
  const windowed = (consecutive: number) => ({ server_cpu_percent: [{ threshold: 'value<90', window: '2s', consecutive }] });

  it('breaches only when `consecutive` windows in a row fail, and says when', () => {
    // windows of 2 s; value = the last reading of each window: 50, 95, 95, 50, 95
    const result = cpuRun([10, 50, 99, 95, 20, 95, 99, 50, 10, 95]);
    const two = evaluate(result, windowed(2)).thresholds[0]!;
    expect(two.status).toBe('fail');
    expect(two.window).toEqual({ sizeMs: 2000, consecutive: 2, windows: 5, failedWindows: 3, longestFailedRun: 2, firstBreachAtMs: 6000 });
    expect(two.observed).toBe(95);
    expect(two.reason).toMatch(/3 of 5 2s windows failed value<90, longest run 2 \(breach at 2 in a row, reached at 6s\)/);
    const three = evaluate(result, windowed(3)).thresholds[0]!;
    expect(three.status).toBe('pass');
    expect(three.window).toMatchObject({ failedWindows: 3, longestFailedRun: 2, firstBreachAtMs: null });
    expect(three.reason).toMatch(/a breach needs 3 in a row/);
  });

  it('merges interval histograms exactly within a window', () => {
    const recorder = new MetricsRecorder({ startMs: START_MS });
    const rtt = recorder.trend('ws_rpc_duration');
    // second 0: 99 fast samples; second 1: one slow sample. Per 1 s interval, p(99) of second 1 alone is 500;
    // over the 2 s window, p(99) is still fast (the slow one is the 100th of 100).
    for (let i = 0; i < 99; i += 1) rtt.add(10, 100 + i);
    rtt.add(500, 1500);
    const result = buildResult(recorder.snapshot(), resultMeta(2000));
    const perSecond = evaluate(result, { ws_rpc_duration: [{ threshold: 'p(99)<100', window: '1s' }] }).thresholds[0]!;
    expect(perSecond.status).toBe('fail');
    const twoSeconds = evaluate(result, { ws_rpc_duration: [{ threshold: 'p(99)<100', window: '2s' }] }).thresholds[0]!;
    expect(twoSeconds.status).toBe('pass');
    expect(twoSeconds.observed).toBeCloseTo(10, 1);
  });

  it('skips windows with too few samples (breaking a run) and is inconclusive when none has enough', () => {
    const result = cpuRun([95, 95, 95, 95]);
    expect(evaluate(result, { server_cpu_percent: [{ threshold: 'value<90', window: '1s', consecutive: 2, minSamples: 2 }] }).thresholds[0]).toMatchObject({
      status: 'inconclusive',
      reason: expect.stringMatching(/no 1s window had the 2 samples needed/),
    });
  });

  it('is inconclusive for a window that is not a multiple of the series interval, or a result without series', () => {
    const result = cpuRun([10, 10, 10]);
    expect(evaluate(result, { server_cpu_percent: [{ threshold: 'value<90', window: '1500ms' }] }).thresholds[0]?.reason).toMatch(/whole multiple of 1s/);
    const noSeries: Result = { ...result, metrics: result.metrics.map(({ series: _series, ...m }) => m) };
    expect(evaluate(noSeries, { server_cpu_percent: [{ threshold: 'value<90', window: '1s' }] }).thresholds[0]).toMatchObject({
      status: 'inconclusive',
      reason: expect.stringMatching(/needs a time series/),
    });
  });
});

describe('inconclusive, never a pass', () => {
  const recorder = new MetricsRecorder({ startMs: START_MS });
  for (let i = 0; i < 5; i += 1) recorder.trend('ws_rpc_duration', { scenario: 'latency' }).add(3, i);
  recorder.counter('ws_msgs_lost', { scenario: 'latency' });
  const result = buildResult(recorder.snapshot(), resultMeta(1000));

  it('with fewer samples than minSamples', () => {
    const verdict = evaluate(result, { ws_rpc_duration: [{ threshold: 'p(99)<250', minSamples: 100 }] });
    expect(verdict.status).toBe('inconclusive');
    expect(verdict.thresholds[0]?.reason).toBe('only 5 samples of ws_rpc_duration, fewer than the 100 needed');
  });

  it('for a catalog metric this run did not measure', () => {
    const verdict = evaluate(result, { ws_reconnect_success: ['rate>0.99'] });
    expect(verdict.thresholds[0]).toMatchObject({ status: 'inconclusive', observed: null, reason: expect.stringMatching(/not measured in this run/) });
  });

  it('for an unknown metric, suggesting the closest names', () => {
    const verdict = evaluate(result, { ws_rpc_durations: ['p(99)<250'] });
    expect(verdict.thresholds[0]?.reason).toMatch(/did you mean "ws_rpc_duration"/);
  });

  it('for a selector that matches no tag set, listing the ones that exist', () => {
    const verdict = evaluate(result, { 'ws_rpc_duration{scenario:soak}': ['p(99)<250'] });
    expect(verdict.thresholds[0]?.reason).toBe('no ws_rpc_duration samples carry {scenario:soak}; tag sets in this result: {scenario:latency}');
  });

  it('for a percentile an imported summary cannot answer', () => {
    const imported: Result = {
      ...result,
      metrics: [{ name: 'http_req_duration', type: 'trend', unit: 'ms', tags: {}, samples: 10, values: { count: 10, min: 1, max: 9, avg: 5, med: 5, 'p(90)': 8, 'p(95)': 9 } }],
    };
    expect(evaluate(imported, { http_req_duration: ['p(95)<10'] }).status).toBe('pass');
    const verdict = evaluate(imported, { http_req_duration: ['p(99)<10'] });
    expect(verdict.thresholds[0]).toMatchObject({ status: 'inconclusive', reason: expect.stringMatching(/p\(99\) cannot be answered.*lists only med, p\(90\), p\(95\)/) });
  });

  it('but a counter created and never incremented is a measured zero', () => {
    const verdict = evaluate(result, { ws_msgs_lost: ['count==0'] });
    expect(verdict.status).toBe('pass');
    expect(verdict.thresholds[0]?.reason).toBe('count=0 == 0 (n=0)');
  });

  it('fail beats inconclusive in the verdict', () => {
    const verdict = evaluate(result, { ws_rpc_duration: ['p(99)<1'], ws_reconnect_success: ['rate>0.99'] });
    expect(verdict.status).toBe('fail');
    expect(verdict.thresholds[0]?.reason).toBe('p(99)=3ms > 1 (n=5): breaches p(99)<1');
  });
});

describe('selectors', () => {
  it('merge every tag set that carries the selector tags, exactly', () => {
    const recorder = new MetricsRecorder({ startMs: START_MS });
    for (let i = 0; i < 50; i += 1) {
      recorder.trend('ws_rpc_duration', { scenario: 'latency', worker: '1' }).add(10, i);
      recorder.trend('ws_rpc_duration', { scenario: 'latency', worker: '2' }).add(20, i);
      recorder.trend('ws_rpc_duration', { scenario: 'soak', worker: '1' }).add(1000, i);
    }
    const result = buildResult(recorder.snapshot(), resultMeta(1000));
    const latency = evaluate(result, { 'ws_rpc_duration{scenario:latency}': ['max<30', 'avg<15.01', 'p(50)<=10.01'] });
    expect(latency.thresholds.map((t) => [t.status, t.samples])).toEqual([
      ['pass', 100],
      ['pass', 100],
      ['pass', 100],
    ]);
    expect(evaluate(result, { "ws_rpc_duration{ scenario : 'soak' }": ['min>=1000'] }).status).toBe('pass');
    expect(evaluate(result, { ws_rpc_duration: ['max<1000'] }).status).toBe('fail');
  });
});

describe('shouldAbort (abortOnFail, delayAbortEval)', () => {
  const recorder = new MetricsRecorder({ startMs: START_MS });
  for (let i = 0; i < 10; i += 1) recorder.trend('ws_rpc_duration').add(400, i);
  const partial = buildResult(recorder.snapshot(), resultMeta(1000));

  it('aborts on a failing abortOnFail threshold once its delay has passed', () => {
    const thresholds = parseThresholds({ ws_rpc_duration: ['p(99)<1000', { threshold: 'p(99)<250', abortOnFail: true, delayAbortEval: '10s' }] }, 'inline');
    expect(shouldAbort(partial, thresholds, 5_000)).toEqual({ abort: false });
    const decision = shouldAbort(partial, thresholds, 10_001);
    expect(decision).toMatchObject({ abort: true, by: 'ws_rpc_duration: p(99)<250', outcome: { status: 'fail' } });
  });

  it('never aborts on thresholds without abortOnFail, nor on inconclusive ones', () => {
    const thresholds = parseThresholds({ ws_rpc_duration: ['p(99)<1'], ws_reconnect_success: [{ threshold: 'rate>0.99', abortOnFail: true }] }, 'inline');
    expect(shouldAbort(partial, thresholds, 60_000)).toEqual({ abort: false });
  });
});

describe('the default rollback thresholds', () => {
  /** A pre-rollout run: latency, reconnect-storm and sync-progress, healthy or sick. */
  function preRollout(sick: { lost?: number; rttMs?: number; cpu?: number }): Result {
    const recorder = new MetricsRecorder({ startMs: START_MS });
    for (const scenario of ['latency', 'reconnect-storm', 'sync-progress']) {
      const tags = { scenario };
      for (let i = 0; i < 500; i += 1) {
        const atMs = (i * 30_000) / 500;
        recorder.rate('ws_connect_success', tags).add(true, atMs);
        recorder.trend('ws_event_latency', tags).add(scenario === 'reconnect-storm' ? 2_000 : 4 + (i % 10), atMs);
        if (scenario === 'latency') recorder.trend('ws_rpc_duration', tags).add(sick.rttMs ?? 2 + (i % 7), atMs);
        if (scenario === 'reconnect-storm') {
          recorder.rate('ws_reconnect_success', tags).add(true, atMs);
          recorder.trend('ws_reconnect_duration', tags).add(300 + (i % 900), atMs);
        }
      }
      recorder.counter('ws_msgs_lost', tags).add(scenario === 'reconnect-storm' ? (sick.lost ?? 0) : 0, 1000);
      recorder.counter('ws_msgs_duplicated', tags).add(0, 1000);
    }
    for (let second = 0; second < 30; second += 1) {
      recorder.gauge('server_cpu_percent').set(second > 10 && second < 16 ? 97 : (sick.cpu ?? 40), second * 1000);
      recorder.gauge('server_event_loop_lag_seconds').set(0.004, second * 1000);
      recorder.gauge('server_rss_bytes').set(90 * 1024 * 1024, second * 1000);
    }
    return buildResult(recorder.snapshot(), resultMeta(30_000));
  }

  it('pass a healthy run (a 5 s CPU spike is not a breach) and fail sick ones with the cause named', async () => {
    const file = await readThresholdsFile(defaultThresholdsFile());
    const source = file.source;
    // As a run judges itself: only the thresholds of the pre-rollout check's scenarios and metrics (not fan-out's or sse-stream's).
    const definitions = applicableThresholds(file.definitions, {
      scenarios: ['latency', 'reconnect-storm', 'sync-progress'],
      measuredMetrics: preRollout({}).metrics.map((metric) => metric.name),
    }).applicable;
    const healthy = evaluateThresholds(preRollout({}), definitions, { source });
    expect(healthy.thresholds.filter((t) => t.status !== 'pass')).toEqual([]);
    expect(healthy.status).toBe('pass');
    const lossy = evaluateThresholds(preRollout({ lost: 3 }), definitions, { source });
    expect(lossy.status).toBe('fail');
    expect(lossy.thresholds.find((t) => t.status === 'fail')).toMatchObject({ metric: 'ws_msgs_lost', observed: 3 });
    const slow = evaluateThresholds(preRollout({ rttMs: 900 }), definitions, { source });
    expect(slow.thresholds.filter((t) => t.status === 'fail').map((t) => t.metric)).toEqual(['ws_rpc_duration{scenario:latency}']);
    const hot = evaluateThresholds(preRollout({ cpu: 99 }), definitions, { source });
    expect(hot.thresholds.filter((t) => t.status === 'fail').map((t) => t.metric)).toEqual(['server_cpu_percent']);
  });

  it('cover the seed triggers and integrity, and narrow to what a one-scenario run measures', async () => {
    const { definitions } = await readThresholdsFile(defaultThresholdsFile());
    const metrics = new Set(definitions.map((d) => d.metric));
    for (const name of ['ws_connect_success', 'ws_reconnect_success', 'ws_reconnect_duration', 'ws_rpc_duration', 'ws_event_latency', 'server_event_loop_lag_seconds', 'server_cpu_percent', 'server_rss_bytes', 'ws_msgs_lost', 'ws_msgs_duplicated']) {
      expect(metrics.has(name), name).toBe(true);
    }
    const { applicable, skipped } = applicableThresholds(definitions, {
      scenarios: ['latency'],
      measuredMetrics: ['ws_rpc_duration', 'ws_event_latency', 'ws_connect_success', 'ws_msgs_lost', 'ws_msgs_duplicated'],
    });
    expect(applicable.map((d) => d.selector)).toEqual(['ws_connect_success', 'ws_rpc_duration{scenario:latency}', 'ws_event_latency{scenario:latency}', 'ws_msgs_lost', 'ws_msgs_duplicated']);
    expect(skipped.find((s) => s.definition.selector === 'ws_event_latency{scenario:sync-progress}')?.why).toBe('scenario sync-progress did not run');
  });
});
