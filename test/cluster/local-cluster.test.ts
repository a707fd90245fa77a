/**
 * `wsmig migrate service` managing a local cluster: examples/cluster/start-local.sh as the
 * config's service.command (Redis, three instances, haproxy in one process group), the proxy as
 * service.baseUrl. Start waits for /health through the proxy; stop ends every process of the
 * group. Skipped, with the reason printed, without redis-server or haproxy.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, REPO_ROOT, runCli } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { haproxyAvailability } from '../helpers/haproxy.js';
import { redisAvailability } from '../helpers/redis.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { baseConfig, createRepo } from '../migration/helpers/temp-repo.js';

const redis = await redisAvailability();
const haproxy = await haproxyAvailability();
const skipReason = !redis.available ? redis.reason : !haproxy.available ? haproxy.reason : undefined;
if (skipReason !== undefined) console.info(`local cluster: skipped, ${skipReason}`);

async function answers(url: string): Promise<boolean> {
  return fetch(url).then(
    (res) => res.ok,
    () => false,
  );
}

describe.skipIf(skipReason !== undefined)('wsmig migrate service with examples/cluster/start-local.sh', () => {
  it('starts Redis, three instances and haproxy as the service, answers through the proxy, and stops all of them', async () => {
    const [proxyPort, redisPort, ...ports] = await Promise.all(Array.from({ length: 5 }, () => freePort()));
    const redisDir = await makeTempDir('wsmig-local-redis-');
    const root = await createRepo({
      config: baseConfig({
        service: {
          command: ['bash', path.join(REPO_ROOT, 'examples', 'cluster', 'start-local.sh'), '--flag', 'true'],
          baseUrl: `http://127.0.0.1:${proxyPort}`,
          metricsUrls: ports.map((port) => `http://127.0.0.1:${port}/metrics`),
          startTimeout: '60s',
          stopTimeout: '30s',
          env: {
            WSMIG_BIN: `${process.execPath} ${CLI}`,
            WSMIG_PROXY_PORT: String(proxyPort),
            WSMIG_INSTANCE_PORTS: ports.join(' '),
            WSMIG_REDIS_PORT: String(redisPort),
            WSMIG_REDIS_DIR: redisDir,
          },
        },
      }),
    });
    try {
      const started = await runCli(['migrate', 'service', 'start'], { cwd: root, timeoutMs: 90_000 });
      expect(started.exitCode, `${started.stderr}\n${started.stdout}`).toBe(0);
      for (const port of ports) expect(await answers(`http://127.0.0.1:${port}/health`)).toBe(true);
      const config = (await (await fetch(`http://127.0.0.1:${proxyPort}/api/config`)).json()) as { transport: string; wsEndpoint: string };
      // Clients are sent to the proxy, not to the instance that answered.
      expect(config).toMatchObject({ transport: 'ws', wsEndpoint: `ws://127.0.0.1:${proxyPort}/ws` });

      const stopped = await runCli(['migrate', 'service', 'stop'], { cwd: root, timeoutMs: 90_000 });
      expect(stopped.exitCode, `${stopped.stderr}\n${stopped.stdout}`).toBe(0);
      for (const url of [`http://127.0.0.1:${proxyPort}/health`, ...ports.map((port) => `http://127.0.0.1:${port}/health`)]) expect(await answers(url)).toBe(false);
    } finally {
      await runCli(['migrate', 'service', 'stop'], { cwd: root, timeoutMs: 60_000 });
      await removeDir(root);
      await removeDir(redisDir);
    }
  }, 180_000);
});
