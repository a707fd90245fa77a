import { describe, expect, it } from 'vitest';
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
