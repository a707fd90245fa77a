import { describe, expect, it } from 'vitest';
import { histogramOf } from '../../../scenarios/result/histogram.js';
import { percentileOf } from '../../../scenarios/result/percentile.js';
import { buildResult, mergeSnapshots, MetricsRecorder, type ResultMeta } from '../../../scenarios/result/recorder.js';
import type { MetricResult, Result, TrendValues } from '../../../scenarios/result/types.js';

const START_MS = 1_700_000_000_000;

function meta(durationMs = 10_000): ResultMeta {
  return {
    runId: 'test-run',
    tool: { name: 'wsmig', version: '0.1.0' },
    engine: 'native',
    scenarios: [{ name: 'latency', engine: 'native', options: {}, startOffsetMs: 0, durationMs }],
    target: { url: 'ws://127.0.0.1:1/ws', embedded: true },
    startedAt: new Date(START_MS).toISOString(),
    endedAt: new Date(START_MS + durationMs).toISOString(),
    durationMs,
    generator: null,
    environment: { node: process.version, platform: process.platform, cpus: 2, wsmig: '0.1.0' },
    source: null,
    warnings: [],
  };
}

function metric(result: Result, name: string, tags: Record<string, string> = {}): MetricResult {
  const found = result.metrics.find((m) => m.name === name && JSON.stringify(m.tags) === JSON.stringify(tags));
  if (found === undefined) throw new Error(`no ${name} ${JSON.stringify(tags)} in result`);
  return found;
}

/** The exact percentile of a sample list (nearest rank), the way HDR defines it. */
function exactPercentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] as number;
}

/** A Result with histograms decoded to what they say and sums rounded (addition order differs across workers). */
function comparable(result: Result): unknown {
  const histogram = (encoded: MetricResult['histogram']) => {
    if (encoded === undefined) return undefined;
    const h = histogramOf(encoded);
    return { count: h.totalCount, p: [1, 50, 90, 99, 99.99].map((p) => h.getValueAtPercentile(p)), max: h.maxValue };
  };
  const values = (v: object) => Object.fromEntries(Object.entries(v).map(([k, n]) => [k, Number((n as number).toPrecision(12))]));
  return result.metrics.map((m) => ({
    ...m,
    values: values(m.values),
    histogram: histogram(m.histogram),
    series: m.series?.map((p) => ({ ...p, values: values(p.values), histogram: histogram(p.histogram) })),
  }));
}

describe('MetricsRecorder', () => {
  it('reports trend statistics and percentiles within HDR precision (3 significant digits)', () => {
    const recorder = new MetricsRecorder({ startMs: START_MS, now: () => START_MS });
    const rtt = recorder.trend('ws_rpc_duration', { scenario: 'latency' });
    const values: number[] = [];
    let seed = 7;
    for (let i = 0; i < 20_000; i += 1) {
      seed = (seed * 48_271) % 2_147_483_647;
      const value = 0.5 + (seed % 100_000) / 250; // 0.5 .. 400.5 ms
      values.push(value);
      rtt.add(value, START_MS + (i % 10_000));
    }
    const result = buildResult(recorder.snapshot(), meta());
    const trend = metric(result, 'ws_rpc_duration', { scenario: 'latency' });
    const v = trend.values as TrendValues;
    expect(trend.samples).toBe(20_000);
    expect(v.count).toBe(20_000);
    expect(v.min).toBe(Math.min(...values));
    expect(v.max).toBe(Math.max(...values));
    expect(v.avg).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 6);
    for (const [key, p] of [['med', 50], ['p(90)', 90], ['p(95)', 95], ['p(99)', 99], ['p(99.9)', 99.9]] as const) {
      const exact = exactPercentile(values, p);
      expect(Math.abs((v[key] as number) - exact) / exact).toBeLessThan(0.002);
    }
    const p75 = percentileOf(trend, 75) as number;
    expect(Math.abs(p75 - exactPercentile(values, 75)) / exactPercentile(values, 75)).toBeLessThan(0.002);
    expect(trend.histogram?.valueScale).toBe(1000);
    expect(histogramOf(trend.histogram!).totalCount).toBe(20_000);
  });

  it('returns the same cached handle for the same name and tags, whatever the tag order', () => {
    const recorder = new MetricsRecorder({ startMs: START_MS });
    expect(recorder.trend('ws_rpc_duration', { a: '1', b: '2' })).toBe(recorder.trend('ws_rpc_duration', { b: '2', a: '1' }));
    expect(recorder.counter('ws_msgs_sent')).toBe(recorder.counter('ws_msgs_sent', {}));
    expect(recorder.counter('ws_msgs_sent')).not.toBe(recorder.counter('ws_msgs_sent', { scenario: 'latency' }));
  });

  it('refuses to record a name as two types, naming the metric and the right method', () => {
    const recorder = new MetricsRecorder({ startMs: START_MS });
    expect(() => recorder.counter('ws_rpc_duration')).toThrow(/ws_rpc_duration.*trend.*recorder\.trend\(\)/);
    recorder.counter('custom_things');
    expect(() => recorder.trend('custom_things')).toThrow(/custom_things.*already recorded as a counter/);
    expect(() => recorder.gauge('server_rss_bytes', {}, 'ms')).toThrow(/server_rss_bytes.*bytes/);
  });

  it('emits each tag set and an exact aggregate, and keeps created-but-zero counters', () => {
    const recorder = new MetricsRecorder({ startMs: START_MS, now: () => START_MS + 500 });
    recorder.counter('ws_msgs_sent', { scenario: 'latency' }).add(3);
    recorder.counter('ws_msgs_sent', { scenario: 'sync-progress' }).add(4);
    recorder.counter('ws_msgs_lost', { scenario: 'latency' });
    recorder.rate('ws_connect_success', { scenario: 'latency' }).add(true);
    recorder.rate('ws_connect_success', { scenario: 'sync-progress' }).add(false);
    const result = buildResult(recorder.snapshot(), meta(2_000));
    expect(metric(result, 'ws_msgs_sent').values).toEqual({ count: 7, rate: 3.5 });
    expect(metric(result, 'ws_msgs_sent', { scenario: 'latency' }).values).toEqual({ count: 3, rate: 1.5 });
    expect(metric(result, 'ws_msgs_lost').values).toEqual({ count: 0, rate: 0 });
    expect(metric(result, 'ws_msgs_lost').samples).toBe(0);
    expect(metric(result, 'ws_connect_success').values).toEqual({ rate: 0.5, passes: 1, fails: 1 });
    expect(result.metrics.map((m) => m.name).indexOf('ws_msgs_sent')).toBeLessThan(result.metrics.map((m) => m.name).indexOf('ws_connect_success'));
    expect(result.schema).toBe('wsmig.result/v1');
    expect(result.verdict).toBeNull();
  });

  it('cuts series by interval index and keeps late samples for closed intervals exact', () => {
    const recorder = new MetricsRecorder({ startMs: START_MS, intervalMs: 1000 });
    const rtt = recorder.trend('ws_rpc_duration');
    const sent = recorder.counter('ws_msgs_sent');
    for (let second = 0; second < 6; second += 1) {
      for (let i = 0; i <= second; i += 1) rtt.add(10 * (second + 1), START_MS + second * 1000 + i);
      sent.add(second, START_MS + second * 1000 + 999);
    }
    rtt.add(999, START_MS + 100); // arrives late, for interval 0, after interval 0 was frozen
    const result = buildResult(recorder.snapshot(), meta(6_000));
    const series = metric(result, 'ws_rpc_duration').series ?? [];
    expect(series.map((p) => p.t)).toEqual([0, 1000, 2000, 3000, 4000, 5000]);
    expect(series.map((p) => p.samples)).toEqual([2, 2, 3, 4, 5, 6]);
    expect((series[0]?.values as TrendValues).max).toBe(999);
    expect(histogramOf(series[0]!.histogram!).totalCount).toBe(2);
    expect(series[3]?.values).toMatchObject({ min: 40, max: 40, avg: 40 });
    expect((metric(result, 'ws_msgs_sent').series ?? []).map((p) => p.values)).toEqual(
      [0, 1, 2, 3, 4, 5].map((n) => ({ count: n, rate: n })),
    );
    const coarse = buildResult(recorder.snapshot(), { ...meta(6_000), intervalMs: 3000 });
    expect(coarse.intervalMs).toBe(3000);
    expect((metric(coarse, 'ws_rpc_duration').series ?? []).map((p) => [p.t, p.samples])).toEqual([
      [0, 7],
      [3000, 15],
    ]);
    expect(() => buildResult(recorder.snapshot(), { ...meta(), intervalMs: 1500 })).toThrow(/whole multiple of 1000/);
  });

  it('merges worker snapshots exactly: the same Result as one recorder that saw everything', () => {
    const all = new MetricsRecorder({ startMs: START_MS });
    const workers = [new MetricsRecorder({ startMs: START_MS }), new MetricsRecorder({ startMs: START_MS })];
    for (let i = 0; i < 5_000; i += 1) {
      const atMs = START_MS + (i * 7) % 4_000;
      const value = ((i * 37) % 1_000) / 7;
      const worker = workers[i % 2] as MetricsRecorder;
      for (const recorder of [all, worker]) {
        recorder.trend('ws_event_latency', { scenario: 'latency' }).add(value, atMs);
        recorder.counter('ws_msgs_received', { scenario: 'latency' }).add(1, atMs);
        recorder.rate('ws_connect_success').add(i % 10 !== 0, atMs);
      }
    }
    workers[0]!.gauge('server_rss_bytes').set(100, START_MS + 3_000);
    workers[1]!.gauge('server_rss_bytes').set(50, START_MS + 3_500);
    workers[0]!.gauge('server_rss_bytes').set(70, START_MS + 1_000);
    all.gauge('server_rss_bytes').set(100, START_MS + 3_000);
    all.gauge('server_rss_bytes').set(50, START_MS + 3_500);
    all.gauge('server_rss_bytes').set(70, START_MS + 1_000);
    // Snapshots cross a thread boundary as structured clones.
    const merged = buildResult(mergeSnapshots(workers.map((w) => structuredClone(w.snapshot()))), meta(4_000));
    const single = buildResult(all.snapshot(), meta(4_000));
    expect(comparable(merged)).toEqual(comparable(single));
    const mergedHistogram = histogramOf(metric(merged, 'ws_event_latency').histogram!);
    const singleHistogram = histogramOf(metric(single, 'ws_event_latency').histogram!);
    for (const p of [1, 25, 50, 90, 99, 99.99]) expect(mergedHistogram.getValueAtPercentile(p)).toBe(singleHistogram.getValueAtPercentile(p));
    expect(metric(merged, 'server_rss_bytes').values).toEqual({ value: 50, min: 50, max: 100 });
  });

  it('refuses to merge snapshots of recorders with different clocks', () => {
    const a = new MetricsRecorder({ startMs: START_MS }).snapshot();
    const b = new MetricsRecorder({ startMs: START_MS + 5 }).snapshot();
    expect(() => mergeSnapshots([a, b])).toThrow(/same startMs/);
  });

  it('produces snapshots that survive JSON unchanged (plain data only)', () => {
    const recorder = new MetricsRecorder({ startMs: START_MS });
    recorder.trend('ws_rpc_duration').add(1.25, START_MS);
    recorder.gauge('server_cpu_percent').set(12.5, START_MS);
    const snapshot = recorder.snapshot();
    expect(JSON.parse(JSON.stringify(snapshot))).toEqual(snapshot);
    expect(snapshot.lastSampleAtMs).toBe(START_MS);
  });
});
