import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createServer, type ReferenceServer } from '../../reference/server/index.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { echoTraffic } from '../migration/helpers/flow.js';
import { prometheusAvailable, startPrometheus, type RunningPrometheus } from '../helpers/prometheus.js';

/**
 * The same metrics as the default watch thresholds, with bounds a busy CI machine stays within: the
 * healthy case tests the watch's plumbing; the breaches are tested with the defaults.
 */
const HEALTHY_ON_A_BUSY_MACHINE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'healthy-on-a-busy-machine.thresholds.json');

/** The default watch's latency threshold alone: a busy machine's event-loop lag or CPU cannot breach it before the injected latency does. */
const RPC_LATENCY_ONLY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'rpc-latency.thresholds.json');

const binary = await prometheusAvailable('watch-prometheus');

describe.skipIf(!binary)('wsmig watch --prometheus against a real Prometheus scraping the reference server', () => {
  let server: ReferenceServer;
  let prometheus: RunningPrometheus | undefined;
  let dir: string;
  let prometheusUrl: string;
  let traffic: { stop: () => void };

  beforeAll(async () => {
    server = await createServer({ port: 0 });
    traffic = echoTraffic(server.wsUrl);
    dir = await makeTempDir('wsmig-prometheus-');
    prometheus = await startPrometheus(dir, `127.0.0.1:${server.port}`, 'wsmig');
    prometheusUrl = prometheus.url;
  }, 90_000);

  afterAll(async () => {
    traffic?.stop();
    await prometheus?.stop();
    await server?.close();
    if (dir) await removeDir(dir);
  });

  it('is healthy while the server is', async () => {
    const result = await runCli(['watch', '--prometheus', prometheusUrl, '--prometheus-selector', 'job="wsmig"', '--thresholds', HEALTHY_ON_A_BUSY_MACHINE, '--interval', '1s', '--max-duration', '4s', '--json'], { timeoutMs: 30_000 });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stderr).toContain(`watching prometheus ${prometheusUrl}`);
    const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as { event: string; outcome?: string; evaluations?: number });
    // Every evaluation logged; how many fit in 4 s depends on the machine's load.
    const evaluations = lines.filter((line) => line.event === 'evaluation').length;
    expect(evaluations).toBeGreaterThanOrEqual(1);
    expect(lines.at(-1)).toMatchObject({ event: 'end', outcome: 'healthy', evaluations });
  });

  it('breaches when the server turns slow, reading the same wsmig_* series through the query API', async () => {
    const watch = spawnCli(['watch', '--prometheus', prometheusUrl, '--prometheus-selector', 'job="wsmig"', '--thresholds', RPC_LATENCY_ONLY, '--interval', '1s', '--failure-limit', '2', '--max-duration', '40s', '--json']);
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    server.setFaults({ latencyMs: 400 });
    const result = await watch;
    server.setFaults({ latencyMs: 0 });
    expect(result.exitCode, String(result.stderr)).toBe(99);
    const end = JSON.parse(String(result.stdout).trim().split('\n').at(-1) as string) as { outcome: string; source: string };
    expect(end).toMatchObject({ outcome: 'breached' });
    expect(end.source).toContain('job="wsmig"');
    expect(String(result.stderr)).toMatch(/fail +ws_rpc_duration p\(99\)<250: p\(99\)=\d/);
  });

  it('says so when Prometheus has no series for the selector', async () => {
    const result = await runCli(['watch', '--prometheus', prometheusUrl, '--prometheus-selector', 'job="nothing-here"', '--interval', '300ms', '--failure-limit', '2'], { timeoutMs: 30_000 });
    expect(result.exitCode).toBe(98);
    expect(result.stderr).toContain('has no series matching');
  });
});
