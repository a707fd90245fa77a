import { afterEach, describe, expect, it, vi } from 'vitest';
import { createServer, type ReferenceServer } from '../../reference/server/index.js';
import { MetricsRecorder, buildResult } from '../../scenarios/result/recorder.js';
import type { GaugeValues, Result } from '../../scenarios/result/types.js';
import { ServerMetricsScraper, leastSquaresSlope, readServerFigures } from '../../scenarios/server-metrics.js';

const servers: ReferenceServer[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

function resultOf(recorder: MetricsRecorder): Result {
  return buildResult(recorder.snapshot(), {
    runId: 't',
    tool: { name: 'wsmig', version: null },
    engine: 'native',
    scenarios: [],
    target: { url: null, embedded: false },
    startedAt: '',
    endedAt: '',
    durationMs: 1,
    generator: null,
    environment: { node: null, platform: null, cpus: null, wsmig: null },
    source: null,
    warnings: [],
  });
}

const gauge = (result: Result, name: string, tags: Record<string, string> = {}) =>
  result.metrics.find((m) => m.name === name && JSON.stringify(m.tags) === JSON.stringify(tags)) as { samples: number; values: GaugeValues } | undefined;

describe('readServerFigures', () => {
  it('reads the reference server names, summing labelled series', () => {
    const text = [
      '# TYPE wsmig_process_resident_memory_bytes gauge',
      'wsmig_process_resident_memory_bytes 104857600',
      '# TYPE wsmig_process_cpu_seconds_total counter',
      'wsmig_process_cpu_seconds_total 12.5',
      '# TYPE wsmig_nodejs_eventloop_lag_p99_seconds gauge',
      'wsmig_nodejs_eventloop_lag_p99_seconds 0.012',
      '# TYPE wsmig_nodejs_eventloop_lag_seconds gauge',
      'wsmig_nodejs_eventloop_lag_seconds 0.001',
      '# TYPE wsmig_ws_connections gauge',
      'wsmig_ws_connections{instance="a"} 3',
      'wsmig_ws_connections{instance="b"} 4',
      '',
    ].join('\n');
    expect(readServerFigures(text)).toEqual({ rssBytes: 104_857_600, cpuSecondsTotal: 12.5, eventLoopLagSeconds: 0.012, connections: 7 });
  });

  it('falls back to unprefixed process metrics and leaves what is missing undefined', () => {
    expect(readServerFigures('# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 5\n')).toEqual({
      rssBytes: 5,
      cpuSecondsTotal: undefined,
      eventLoopLagSeconds: undefined,
      connections: undefined,
    });
  });
});

describe('leastSquaresSlope', () => {
  it('finds the slope of a noisy line and refuses too little data', () => {
    expect(leastSquaresSlope([{ x: 0, y: 1 }, { x: 1, y: 3 }, { x: 2, y: 5 }, { x: 3, y: 7 }])).toBeCloseTo(2);
    expect(leastSquaresSlope([{ x: 0, y: 0 }, { x: 1, y: 2 }, { x: 2, y: 1 }, { x: 3, y: 3 }])).toBeCloseTo(0.8);
    expect(leastSquaresSlope([{ x: 1, y: 1 }])).toBeUndefined();
    expect(leastSquaresSlope([{ x: 1, y: 1 }, { x: 1, y: 2 }])).toBeUndefined();
  });
});

describe('ServerMetricsScraper', () => {
  it('records RSS, CPU, event-loop lag and connections from a real server /metrics', async () => {
    const server = await createServer({ port: 0 });
    servers.push(server);
    const recorder = new MetricsRecorder({ startMs: Date.now() });
    // A scrape times out after two intervals: a second's interval leaves a loaded machine room.
    const scraper = new ServerMetricsScraper({ metricsUrl: `${server.url}/metrics`, recorder, tags: { scenario: 'latency' }, intervalMs: 1_000 });
    scraper.start();
    // Scrapes counted, not waited for a fixed time; stop() adds one more.
    await vi.waitFor(
      () => {
        const sofar = resultOf(recorder);
        expect(gauge(sofar, 'server_rss_bytes')?.samples).toBeGreaterThanOrEqual(3);
        expect(gauge(sofar, 'server_cpu_percent')?.samples).toBeGreaterThanOrEqual(2);
      },
      { timeout: 15_000, interval: 50 },
    );
    await scraper.stop();
    const result = resultOf(recorder);
    const rss = gauge(result, 'server_rss_bytes', { scenario: 'latency' });
    expect(rss?.samples).toBeGreaterThanOrEqual(4);
    expect(rss?.values.value).toBeGreaterThan(10 * 1024 * 1024);
    expect(gauge(result, 'server_cpu_percent')?.samples).toBeGreaterThanOrEqual(3);
    expect(gauge(result, 'server_cpu_percent')?.values.min).toBeGreaterThanOrEqual(0);
    expect(gauge(result, 'server_event_loop_lag_seconds')?.values.value).toBeGreaterThanOrEqual(0);
    expect(gauge(result, 'server_connections')?.values.value).toBe(0);
    expect(scraper.warnings()).toEqual([]);
    expect(scraper.rssGrowthBytesPerMinute()).toEqual(expect.any(Number));
  });

  it('turns an unreachable /metrics into a warning, not a crash', async () => {
    const recorder = new MetricsRecorder({ startMs: Date.now() });
    const scraper = new ServerMetricsScraper({ metricsUrl: 'http://127.0.0.1:9/metrics', recorder, tags: {}, intervalMs: 100 });
    scraper.start();
    await new Promise((resolve) => setTimeout(resolve, 250));
    await scraper.stop();
    expect(scraper.warnings()).toEqual([expect.stringMatching(/scrapes of http:\/\/127\.0\.0\.1:9\/metrics failed .* thresholds on them may be inconclusive/)]);
    expect(resultOf(recorder).metrics.filter((m) => m.name.startsWith('server_'))).toEqual([]);
  });

  it('does not count scrapes that fail while the target restarts on purpose', async () => {
    const recorder = new MetricsRecorder({ startMs: Date.now() });
    const scraper = new ServerMetricsScraper({ metricsUrl: 'http://127.0.0.1:9/metrics', recorder, tags: {}, intervalMs: 100, expectedOutage: () => true });
    scraper.start();
    await new Promise((resolve) => setTimeout(resolve, 250));
    await scraper.stop();
    expect(scraper.warnings()).toEqual([]);
  });

  it('says which figures a target does not expose', async () => {
    const recorder = new MetricsRecorder({ startMs: Date.now() });
    const scraper = new ServerMetricsScraper({
      metricsUrl: 'http://target/metrics',
      recorder,
      tags: {},
      fetch: async () => new Response('# TYPE process_resident_memory_bytes gauge\nprocess_resident_memory_bytes 5\n'),
    });
    await scraper.scrapeOnce();
    expect(scraper.warnings().join('\n')).toMatch(/does not expose wsmig_process_cpu_seconds_total/);
    expect(gauge(resultOf(recorder), 'server_rss_bytes')?.values.value).toBe(5);
  });
});
