import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createServer as createHttpServer } from 'node:http';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createServer, type ReferenceServer } from '../../reference/server/index.js';
import { runCli, spawnCli } from '../helpers/cli.js';
import { echoTraffic } from '../migration/helpers/flow.js';
import { freePort } from '../migration/helpers/service.js';

/**
 * The same metrics as the default watch thresholds, with bounds a busy CI machine stays within: the
 * healthy case tests the watch's plumbing; the breaches are tested with the defaults.
 */
const HEALTHY_ON_A_BUSY_MACHINE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'healthy-on-a-busy-machine.thresholds.json');

/** The default watch's latency threshold alone: a busy machine's event-loop lag or CPU cannot breach it before the injected latency does. */
const RPC_LATENCY_ONLY = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'rpc-latency.thresholds.json');

interface Line {
  event: string;
  status?: string;
  outcome?: string;
  exitCode?: number;
  verdict?: { thresholds: { metric: string; status: string; reason: string }[] } | null;
}

function lines(stdout: string): Line[] {
  return stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Line);
}

describe('wsmig watch against a live /metrics', () => {
  let server: ReferenceServer;
  let traffic: { stop: () => void } | undefined;
  beforeEach(async () => {
    server = await createServer({ port: 0 });
    traffic = echoTraffic(server.wsUrl);
  });
  afterEach(async () => {
    traffic?.stop();
    await server.close();
  });

  it('ends a healthy watch at --max-duration with exit 0, logging every evaluation', async () => {
    const result = await runCli(['watch', '--metrics', `${server.url}/metrics`, '--thresholds', HEALTHY_ON_A_BUSY_MACHINE, '--interval', '500ms', '--max-duration', '3s', '--json'], { timeoutMs: 30_000 });
    expect(result.exitCode, result.stderr).toBe(0);
    const out = lines(result.stdout);
    const evaluations = out.filter((line) => line.event === 'evaluation');
    // How many fit in 3 s depends on the machine's load; that each one was logged does not.
    expect(evaluations.length).toBeGreaterThanOrEqual(1);
    expect(evaluations.at(-1)?.status).toBe('pass');
    expect(out.at(-1)).toMatchObject({ event: 'end', outcome: 'healthy', exitCode: 0, evaluations: evaluations.length });
    expect(result.stderr).toContain('watch #1');
    expect(result.stderr).toContain('healthy after');
  });

  it('exits 99 after --failure-limit breaching evaluations in a row when not asked to roll back', async () => {
    const watch = spawnCli(['watch', '--metrics', `${server.url}/metrics`, '--thresholds', RPC_LATENCY_ONLY, '--interval', '500ms', '--failure-limit', '3', '--max-duration', '30s', '--json']);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    server.setFaults({ latencyMs: 300 });
    const result = await watch;
    expect(result.exitCode, String(result.stderr)).toBe(99);
    const evaluations = lines(String(result.stdout)).filter((line) => line.event === 'evaluation');
    expect(evaluations.slice(-3).map((line) => line.status)).toEqual(['fail', 'fail', 'fail']);
    const breach = evaluations.at(-1)?.verdict?.thresholds.find((outcome) => outcome.status === 'fail');
    expect(breach?.metric).toBe('ws_rpc_duration');
    expect(breach?.reason).toMatch(/p\(99\)=\d+/);
    expect(String(result.stderr)).toContain('run `wsmig rollback`');
  });

  it('is inconclusive (98), never healthy, when the thresholds name metrics the server does not show', async () => {
    const result = await runCli(['watch', '--metrics', `${server.url}/metrics`, '--thresholds', 'scenarios/rollback-thresholds.json', '--interval', '500ms', '--max-duration', '2s'], { timeoutMs: 30_000 });
    expect(result.exitCode, result.stderr).toBe(98);
    expect(result.stderr).toContain('ws_msgs_lost');
    expect(result.stderr).toContain('inconclusive, not healthy');
  });
});

describe('wsmig watch without a usable source', () => {
  it('reports an unreachable source loudly with exit 98 after --failure-limit intervals', async () => {
    const port = await freePort();
    const result = await runCli(['watch', '--metrics', `http://127.0.0.1:${port}/metrics`, '--interval', '200ms', '--failure-limit', '3', '--json'], { timeoutMs: 30_000 });
    expect(result.exitCode).toBe(98);
    expect(result.stderr).toContain('WATCH SOURCE UNREACHABLE for 3 intervals');
    expect(lines(result.stdout).at(-1)).toMatchObject({ event: 'end', outcome: 'source-unreachable', exitCode: 98 });
  });

  it.each([
    [['watch', '--interval', '1s'], 'Say what to watch'],
    [['watch', '--metrics', 'http://a/metrics', '--prometheus', 'http://b'], 'not both'],
    [['watch', '--metrics', 'http://a/metrics', '--failure-limit', '0'], '--failure-limit'],
    [['watch', '--metrics', 'http://a/metrics', '--interval', 'soon'], 'Invalid --interval'],
    [['watch', '--metrics', 'http://a/metrics', '--thresholds', 'nope.json'], 'Cannot read thresholds file'],
  ])('refuses bad usage with exit 2: %j', async (args, message) => {
    const result = await runCli(args, { cwd: '/', timeoutMs: 20_000 });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(message);
  });
});

describe('wsmig watch across several instances', () => {
  it('reads every --metrics together: a breach on the second instance alone is a breach', async () => {
    const first = await createServer({ port: 0 });
    const second = await createServer({ port: 0 });
    const traffic = [echoTraffic(first.wsUrl), echoTraffic(second.wsUrl)];
    try {
      const watch = spawnCli(['watch', '--metrics', `${first.url}/metrics`, '--metrics', `${second.url}/metrics`, '--thresholds', RPC_LATENCY_ONLY, '--interval', '500ms', '--failure-limit', '3', '--max-duration', '30s', '--json']);
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      second.setFaults({ latencyMs: 300 });
      const result = await watch;
      expect(result.exitCode, String(result.stderr)).toBe(99);
      expect(String(result.stderr)).toContain('2 instances');
      const evaluations = lines(String(result.stdout)).filter((line) => line.event === 'evaluation');
      expect(evaluations.at(-1)?.verdict?.thresholds.find((outcome) => outcome.status === 'fail')?.metric).toBe('ws_rpc_duration');
    } finally {
      for (const each of traffic) each.stop();
      await first.close();
      await second.close();
    }
  });

  it('refuses a --metrics that is not a URL, exit 2', async () => {
    const result = await runCli(['watch', '--metrics', 'instance-2:3000']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain('Invalid --metrics "instance-2:3000"');
  });
});

describe('wsmig watch --token-env', () => {
  it("reads a /metrics that wants the service's token with the variable named, and refuses a variable that is not set (exit 2)", async () => {
    const service = await createServer({ port: 0 });
    // The team's service puts /metrics behind its token.
    const guarded = createHttpServer((req, res) => {
      if (req.headers.authorization !== 'Bearer metrics-s3cret') {
        res.writeHead(401).end();
        return;
      }
      void fetch(`${service.url}/metrics`).then(async (answer) => res.writeHead(200, { 'content-type': 'text/plain' }).end(await answer.text()));
    });
    await new Promise<void>((resolve) => guarded.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(guarded.address() as { port: number }).port}/metrics`;
    try {
      const ok = await runCli(['watch', '--metrics', url, '--token-env', 'SHOP_TOKEN', '--thresholds', HEALTHY_ON_A_BUSY_MACHINE, '--interval', '300ms', '--max-duration', '2s', '--json'], { env: { SHOP_TOKEN: 'metrics-s3cret' }, timeoutMs: 30_000 });
      // Every reading got through with the token (a refused one is an `unreachable` evaluation naming HTTP 401).
      const evaluations = lines(ok.stdout).filter((line) => line.event === 'evaluation');
      expect(evaluations.length).toBeGreaterThan(0);
      expect(evaluations.map((line) => line.status)).not.toContain('unreachable');
      expect(ok.stderr).not.toContain('HTTP 401');
      const unset = await runCli(['watch', '--metrics', url, '--token-env', 'SHOP_TOKEN']);
      expect(unset.exitCode).toBe(2);
      expect(unset.stderr).toContain('the variable SHOP_TOKEN is not set');
    } finally {
      guarded.close();
      await service.close();
    }
  });
});
