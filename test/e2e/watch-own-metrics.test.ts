import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { prometheusAvailable, startPrometheus, type RunningPrometheus } from '../helpers/prometheus.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { pingTraffic, startOwnMetricsApp, type OwnMetricsApp } from './fixtures/own-metrics-app.js';

interface Line {
  event: string;
  outcome?: string;
  status?: string;
  verdict?: { thresholds: { metric: string; status: string; samples: number }[] } | null;
}

function linesOf(stdout: string): Line[] {
  return stdout
    .trim()
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Line);
}

/** The samples each evaluation judged `metric` on. */
function samplesOf(lines: readonly Line[], metric: string): number[] {
  return lines.filter((line) => line.event === 'evaluation').map((line) => line.verdict?.thresholds.find((outcome) => outcome.metric === metric)?.samples ?? 0);
}

const THRESHOLDS = { ws_rpc_duration: [{ threshold: 'p(99)<250', minSamples: 3 }], ws_unexpected_disconnects: ['count<10'], server_connections: ['value>0'], server_rss_bytes: ['value<4294967296'] };

/** The app's own series for the threshold metrics. */
const MAP = {
  ws_rpc_duration: { histogram: 'chat_ws_reply_seconds', labels: { route: 'rpc' } },
  ws_unexpected_disconnects: { counter: 'chat_ws_closed_total', labels: { code: ['1006', '1011'] }, absentIsZero: true },
  server_connections: { gauge: 'chat_ws_open' },
};

/**
 * `wsmig watch` on a service that exports no `wsmig_*` series: `watch.metrics` (here
 * `--metric-map`) maps the rollback thresholds to the service's own histogram, counter and gauge.
 */
describe('wsmig watch on a service with its own metrics', { timeout: 90_000 }, () => {
  let app: OwnMetricsApp;
  let traffic: { stop: () => void };
  let dir: string;
  let thresholds: string;
  let map: string;

  beforeAll(async () => {
    app = await startOwnMetricsApp();
    traffic = pingTraffic(app.wsUrl);
    dir = await makeTempDir('wsmig-own-metrics-');
    thresholds = path.join(dir, 'thresholds.json');
    map = path.join(dir, 'map.json');
    await writeFile(thresholds, JSON.stringify(THRESHOLDS));
    await writeFile(map, JSON.stringify(MAP));
  });

  afterAll(async () => {
    traffic?.stop();
    await app?.close();
    if (dir) await removeDir(dir);
  });

  it('without a mapping it measures nothing: inconclusive (exit 98), never healthy', async () => {
    const result = await runCli(['watch', '--metrics', `${app.baseUrl}/metrics`, '--thresholds', thresholds, '--interval', '500ms', '--max-duration', '2s', '--json']);
    expect(result.exitCode, result.stderr).toBe(98);
    expect(Math.max(...samplesOf(linesOf(result.stdout), 'ws_rpc_duration'))).toBe(0);
  });

  it('with the mapping it judges the service on its own series: healthy, then a breach (exit 99) once replies are slow', async () => {
    const healthy = await runCli(['watch', '--metrics', `${app.baseUrl}/metrics`, '--metric-map', map, '--thresholds', thresholds, '--interval', '500ms', '--max-duration', '2s', '--json']);
    expect(healthy.exitCode, healthy.stderr).toBe(0);
    const lines = linesOf(healthy.stdout);
    expect(Math.min(...samplesOf(lines, 'ws_rpc_duration'))).toBeGreaterThanOrEqual(3);
    expect(lines.at(-1)).toMatchObject({ event: 'end', outcome: 'healthy' });

    app.setReplyDelay(400);
    try {
      const breached = await runCli(['watch', '--metrics', `${app.baseUrl}/metrics`, '--metric-map', map, '--thresholds', thresholds, '--interval', '500ms', '--failure-limit', '2', '--max-duration', '20s', '--json']);
      expect(breached.exitCode, breached.stderr).toBe(99);
      expect(breached.stderr).toContain('ws_rpc_duration');
    } finally {
      app.setReplyDelay(0);
    }
  });

  it('refuses a bad mapping with the field and exit 2, and PromQL without Prometheus', async () => {
    const bad = path.join(dir, 'bad-map.json');
    await writeFile(bad, JSON.stringify({ ws_rpc_duration: { gauge: 'chat_ws_open' } }));
    const refused = await runCli(['watch', '--metrics', `${app.baseUrl}/metrics`, '--metric-map', bad, '--max-duration', '1s']);
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain('ws_rpc_duration');

    const promql = path.join(dir, 'promql-map.json');
    await writeFile(promql, JSON.stringify({ ws_rpc_duration: { promql: 'vector(1)' } }));
    const needsPrometheus = await runCli(['watch', '--metrics', `${app.baseUrl}/metrics`, '--metric-map', promql, '--max-duration', '1s']);
    expect(needsPrometheus.exitCode).toBe(2);
    expect(needsPrometheus.stderr).toContain('--prometheus');
  });
});

const prometheusFound = await prometheusAvailable('watch-own-metrics (PromQL case)');

describe.skipIf(!prometheusFound)('wsmig watch with PromQL over a real Prometheus scraping a service with its own metrics', { timeout: 120_000 }, () => {
  let app: OwnMetricsApp;
  let traffic: { stop: () => void };
  let prometheus: RunningPrometheus | undefined;
  let dir: string;
  let prometheusUrl: string;
  let thresholds: string;
  let map: string;

  beforeAll(async () => {
    app = await startOwnMetricsApp();
    traffic = pingTraffic(app.wsUrl);
    dir = await makeTempDir('wsmig-promql-');
    thresholds = path.join(dir, 'thresholds.json');
    map = path.join(dir, 'map.json');
    // One value per interval (the query's): a p(99) threshold on it needs minSamples 1.
    await writeFile(thresholds, JSON.stringify({ ws_rpc_duration: [{ threshold: 'p(99)<250', minSamples: 1 }] }));
    await writeFile(map, JSON.stringify({ ws_rpc_duration: { promql: '1000 * histogram_quantile(0.99, sum by (le) (rate(chat_ws_reply_seconds_bucket{job="chat",route="rpc"}[5s])))' } }));
    // Enough scrapes for a 5 s rate.
    prometheus = await startPrometheus(dir, new URL(app.baseUrl).host, 'chat', 6);
    prometheusUrl = prometheus.url;
  }, 90_000);

  afterAll(async () => {
    traffic?.stop();
    await prometheus?.stop();
    await app?.close();
    if (dir) await removeDir(dir);
  });

  it('is healthy, then breaches once the p99 the query computes passes 250 ms', async () => {
    const healthy = await runCli(['watch', '--prometheus', prometheusUrl, '--metric-map', map, '--thresholds', thresholds, '--interval', '1s', '--max-duration', '3s', '--json'], { timeoutMs: 30_000 });
    expect(healthy.exitCode, healthy.stderr).toBe(0);
    expect(healthy.stderr).toContain('1 PromQL expression');
    expect(Math.min(...samplesOf(linesOf(healthy.stdout), 'ws_rpc_duration'))).toBe(1);

    app.setReplyDelay(400);
    try {
      const breached = await runCli(['watch', '--prometheus', prometheusUrl, '--metric-map', map, '--thresholds', thresholds, '--interval', '1s', '--failure-limit', '2', '--max-duration', '40s', '--json'], { timeoutMs: 60_000 });
      expect(breached.exitCode, breached.stderr).toBe(99);
    } finally {
      app.setReplyDelay(0);
    }
  });
});
