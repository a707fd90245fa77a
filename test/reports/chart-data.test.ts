import { describe, expect, it } from 'vitest';
import { buildResult, MetricsRecorder } from '../../scenarios/result/recorder.js';
import { chartsFor } from '../../reports/chart-data.js';
import { SAMPLE_CHART_TITLES, sampleResult } from './sample-result.js';

describe('chart data', () => {
  it('charts latency percentiles per interval, connections and reconnects, and server RSS/CPU/lag', () => {
    const charts = chartsFor(sampleResult());
    expect(charts.map((c) => c.title)).toEqual(SAMPLE_CHART_TITLES);
    const rpc = charts[0]!;
    expect(rpc.x).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    expect(rpc.series.map((s) => s.label)).toEqual(['p50', 'p95', 'p99']);
    // second 6 was slow: its interval's p99 shows it, the others do not
    const p99 = rpc.series[2]!.values as number[];
    expect(p99[6]).toBeGreaterThan(40);
    expect(Math.max(...p99.filter((_, i) => i !== 6))).toBeLessThan(20);
    const connections = charts[2]!;
    expect(connections.series.map((s) => s.label)).toEqual(['server connections', 'sessions started', 'reconnected', 'reconnect failed']);
    expect(connections.series[2]!.values[5]).toBe(49);
    expect(charts[3]!.series[0]!.values[0]).toBe(80);
    expect(charts[5]!.series[0]!.values[6]).toBeCloseTo(52, 6);
  });
});

describe('chart data of the SSE and profile scenarios', () => {
  it('charts every timed metric the run recorded, the known ones first', () => {
    const startMs = Date.UTC(2026, 0, 15, 10, 20, 30);
    const recorder = new MetricsRecorder({ startMs });
    for (let second = 0; second < 4; second += 1) {
      for (let i = 0; i < 20; i += 1) {
        const at = startMs + second * 1000 + i * 40;
        recorder.trend('sse_event_latency', { scenario: 'sse-stream' }).add(3 + i, at);
        recorder.trend('sse_stream_duration', { scenario: 'sse-stream' }).add(200 + i, at);
        recorder.trend('ws_event_interarrival', { scenario: 'fan-out' }).add(50 + i, at);
        recorder.trend('ws_rpc_duration', { scenario: 'latency' }).add(2, at);
      }
    }
    const result = buildResult(recorder.snapshot(), {
      runId: 'run-sse',
      tool: { name: 'wsmig', version: '0.1.0' },
      engine: 'native',
      scenarios: [],
      target: { url: 'http://127.0.0.1:3001/events', embedded: false },
      startedAt: new Date(startMs).toISOString(),
      endedAt: new Date(startMs + 4_000).toISOString(),
      durationMs: 4_000,
      generator: null,
      environment: { node: null, platform: null, cpus: null, wsmig: null },
      source: null,
      warnings: [],
    });
    const titles = chartsFor(result).map((chart) => chart.title);
    expect(titles).toEqual(['ws_rpc_duration percentiles per 1s', 'sse_event_latency percentiles per 1s', 'sse_stream_duration percentiles per 1s', 'ws_event_interarrival percentiles per 1s']);
  });
});
