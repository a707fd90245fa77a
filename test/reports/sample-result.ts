import { buildResult, MetricsRecorder } from '../../scenarios/result/recorder.js';
import type { Result } from '../../scenarios/result/types.js';
import { evaluateThresholds } from '../../scenarios/thresholds/evaluate.js';
import { parseThresholds } from '../../scenarios/thresholds/thresholds-file.js';

/** A tag value that would break out of a script element or inject markup if anything were not escaped. */
export const HOSTILE_TAG = '</script><img src=x onerror="window.__xss=1">|*_`';

/** The charts of {@link sampleResult}, in the order the HTML report draws them. */
export const SAMPLE_CHART_TITLES = [
  'ws_rpc_duration percentiles per 1s',
  'ws_event_latency percentiles per 1s',
  'Connections and reconnects',
  'Server memory (RSS)',
  'Server CPU',
  'Server event-loop lag',
];

/** A 12-second run with latency, connections, reconnects and server figures, and a verdict. */
export function sampleResult(options: { thresholds?: Record<string, unknown> } = {}): Result {
  const startMs = Date.UTC(2026, 0, 15, 10, 20, 30);
  const recorder = new MetricsRecorder({ startMs });
  for (let second = 0; second < 12; second += 1) {
    const at = (ms: number) => startMs + second * 1000 + ms;
    for (let i = 0; i < 50; i += 1) {
      recorder.trend('ws_rpc_duration', { scenario: 'latency' }).add(2 + ((i * 7) % 13) + (second === 6 ? 40 : 0), at(i * 20));
      recorder.trend('ws_event_latency', { scenario: 'latency' }).add(1 + ((i * 3) % 5), at(i * 20));
      recorder.rate('ws_connect_success', { scenario: 'latency' }).add(true, at(i * 20));
    }
    recorder.trend('ws_rpc_duration', { scenario: HOSTILE_TAG }).add(5, at(1));
    recorder.counter('ws_sessions', { scenario: 'latency' }).add(second < 2 ? 50 : 0, at(5));
    if (second === 5) for (let i = 0; i < 50; i += 1) recorder.rate('ws_reconnect_success', { scenario: 'reconnect-storm' }).add(i !== 0, at(300));
    recorder.counter('ws_msgs_lost', { scenario: 'latency' }).add(0, at(10));
    recorder.gauge('server_connections').set(second === 5 ? 0 : 100, at(500));
    recorder.gauge('server_rss_bytes').set((80 + second) * 1048576, at(500));
    recorder.gauge('server_cpu_percent').set(20 + second * 3, at(500));
    recorder.gauge('server_event_loop_lag_seconds').set(0.002 + (second === 6 ? 0.05 : 0), at(500));
  }
  const result = buildResult(recorder.snapshot(), {
    runId: 'run-sample',
    tool: { name: 'wsmig', version: '0.1.0' },
    engine: 'native',
    scenarios: [{ name: 'latency', engine: 'native', options: { connections: 50, rate: 50, note: HOSTILE_TAG }, startOffsetMs: 0, durationMs: 12_000 }],
    target: { url: 'ws://127.0.0.1:3000/ws', embedded: true },
    startedAt: new Date(startMs).toISOString(),
    endedAt: new Date(startMs + 12_000).toISOString(),
    durationMs: 12_000,
    generator: { workers: 2, lateSends: 0, droppedIterations: 0, sendLagP99Ms: 0.8, cpuPercent: 35, maxRssBytes: 90 * 1048576, problems: [] },
    environment: { node: 'v20.20.2', platform: 'linux', cpus: 2, wsmig: '0.1.0' },
    source: null,
    warnings: [`a warning with ${HOSTILE_TAG}`],
  });
  const thresholds = options.thresholds ?? {
    'ws_rpc_duration{scenario:latency}': ['p(99)<30'],
    ws_msgs_lost: ['count==0'],
    ws_reconnect_success: ['rate>0.99'],
    server_cpu_percent: [{ threshold: 'value<90', window: '2s', consecutive: 2 }],
  };
  return { ...result, verdict: evaluateThresholds(result, parseThresholds(thresholds, 'thresholds.json'), { source: 'thresholds.json', now: () => new Date(startMs + 13_000) }) };
}
