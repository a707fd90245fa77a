/**
 * The time series the HTML report charts, cut from a Result's series: latency percentiles per
 * interval (from each interval's HDR histogram), connections and reconnects, server RSS/CPU/lag.
 */
import type { MetricResult, Result, SeriesPoint } from '../scenarios/result/types.js';

/** One chart: x in seconds since the run started, one array per line (null where there is no data). */
export interface ChartSpec {
  id: string;
  title: string;
  unit: string;
  x: number[];
  series: Array<{ label: string; values: Array<number | null> }>;
}

/** Latency charts come first in this order; every other timed metric (the SSE scenarios', inter-arrival, …) follows by name. */
const LATENCY_ORDER = ['ws_rpc_duration', 'ws_event_latency', 'ws_sync_duration', 'ws_reconnect_duration', 'ws_connecting', 'sse_sync_duration', 'http_req_duration'];
const PERCENTILE_LINES: Array<[label: string, key: string]> = [
  ['p50', 'med'],
  ['p95', 'p(95)'],
  ['p99', 'p(99)'],
];

interface Line {
  label: string;
  metric: MetricResult;
  read: (point: SeriesPoint) => number | undefined;
}

/** Charts for every figure the Result has a series for; none when it has no series (imports). */
export function chartsFor(result: Result): ChartSpec[] {
  const aggregate = (name: string) => result.metrics.find((m) => m.name === name && Object.keys(m.tags).length === 0 && (m.series?.length ?? 0) > 0);
  const value = (key: string, scale = 1) => (point: SeriesPoint) => {
    const v = (point.values as unknown as Record<string, number | undefined>)[key];
    return v === undefined ? undefined : v * scale;
  };
  const charts: ChartSpec[] = [];
  const add = (title: string, unit: string, lines: Array<Line | undefined>) => {
    const present = lines.filter((line): line is Line => line !== undefined);
    if (present.length > 0) charts.push(align(`chart-${charts.length}`, title, unit, present));
  };
  const timed = result.metrics
    .filter((metric) => metric.type === 'trend' && metric.unit === 'ms' && Object.keys(metric.tags).length === 0 && (metric.series?.length ?? 0) > 0)
    .sort((a, b) => rank(a.name) - rank(b.name) || a.name.localeCompare(b.name));
  for (const metric of timed) add(`${metric.name} percentiles per ${result.intervalMs / 1000}s`, 'ms', PERCENTILE_LINES.map(([label, key]) => ({ label, metric, read: value(key) })));
  const line = (name: string, label: string, key: string, scale = 1): Line | undefined => {
    const metric = aggregate(name);
    return metric === undefined ? undefined : { label, metric, read: value(key, scale) };
  };
  add('Connections and reconnects', 'count', [
    line('server_connections', 'server connections', 'value'),
    line('ws_sessions', 'sessions started', 'count'),
    line('ws_reconnect_success', 'reconnected', 'passes'),
    line('ws_reconnect_success', 'reconnect failed', 'fails'),
    line('ws_unexpected_disconnects', 'unexpected disconnects', 'count'),
  ]);
  add('Server memory (RSS)', 'MiB', [line('server_rss_bytes', 'RSS', 'value', 1 / 1048576)]);
  add('Server CPU', '% of one core', [line('server_cpu_percent', 'CPU', 'value')]);
  add('Server event-loop lag', 'ms', [line('server_event_loop_lag_seconds', 'lag', 'value', 1000)]);
  return charts;
}

function rank(name: string): number {
  const index = LATENCY_ORDER.indexOf(name);
  return index === -1 ? LATENCY_ORDER.length : index;
}

function align(id: string, title: string, unit: string, lines: Line[]): ChartSpec {
  const times = [...new Set(lines.flatMap((l) => (l.metric.series ?? []).map((p) => p.t)))].sort((a, b) => a - b);
  return {
    id,
    title,
    unit,
    x: times.map((t) => t / 1000),
    series: lines.map((l) => {
      const byTime = new Map((l.metric.series ?? []).map((p) => [p.t, l.read(p)]));
      return { label: l.label, values: times.map((t) => byTime.get(t) ?? null) };
    }),
  };
}
