/**
 * examples/cluster/nginx.conf in front of three `wsmig server --redis` instances: the upgrade
 * headers, the read timeout and the unbuffered SSE location work as written (only the addresses
 * are changed, since nginx reads no environment). Skipped, with the reason printed, without nginx
 * or redis-server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { constants } from 'node:fs';
import { access, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SyncManager, WSClient } from '../../reference/client/node.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { redisAvailability, startRedisServer, type RedisServer } from '../helpers/redis.js';
import { startServerCli, type ServerCli } from '../helpers/server-process.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';

const NGINX = '/usr/sbin/nginx';
const redis = await redisAvailability();
const nginx = await access(NGINX, constants.X_OK).then(
  () => true,
  () => false,
);
const skipReason = !redis.available ? redis.reason : !nginx ? `no ${NGINX} (install the nginx package, as .ci/run does)` : undefined;
if (skipReason !== undefined) console.info(`nginx cluster: skipped, ${skipReason}`);

describe.skipIf(skipReason !== undefined)('three instances on Redis behind nginx (examples/cluster/nginx.conf)', () => {
  let server: RedisServer;
  let proxy: ChildProcess | undefined;
  let dir = '';
  let proxyPort = 0;
  const instances: ServerCli[] = [];

  beforeAll(async () => {
    server = await startRedisServer(redis.available ? redis.binary : '');
    const ports = [await freePort(), await freePort(), await freePort()];
    instances.push(...(await Promise.all(ports.map((port) => startServerCli({ port, args: ['--redis', server.url, '--redis-prefix', 'nginx:', '--flag', 'true', '--sync-total', '40', '--sync-batch-delay', '20ms'] })))));
    proxyPort = await freePort();
    dir = await makeTempDir('wsmig-nginx-');
    const example = await readFile(path.join(REPO_ROOT, 'examples', 'cluster', 'nginx.conf'), 'utf8');
    const config = example
      .replace('127.0.0.1:3001', `127.0.0.1:${ports[0]}`)
      .replace('127.0.0.1:3002', `127.0.0.1:${ports[1]}`)
      .replace('127.0.0.1:3003', `127.0.0.1:${ports[2]}`)
      .replace('listen 8080;', `listen 127.0.0.1:${proxyPort};`)
      .replace('worker_processes auto;', 'worker_processes 1;');
    expect(config).not.toBe(example);
    const file = path.join(dir, 'nginx.conf');
    await writeFile(file, config);
    proxy = spawn(NGINX, ['-c', file, '-p', dir, '-g', `daemon off; pid ${path.join(dir, 'nginx.pid')}; error_log stderr;`], { stdio: 'ignore' });
    for (let i = 0; i < 100; i += 1) {
      const up = await fetch(`http://127.0.0.1:${proxyPort}/health`).then(
        (res) => res.ok,
        () => false,
      );
      if (up) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }, 60_000);

  afterAll(async () => {
    proxy?.kill('SIGKILL');
    for (const instance of instances) instance.child.kill('SIGKILL');
    await server?.stop();
    if (dir !== '') await removeDir(dir);
  });

  it('carries WebSocket syncs and the legacy SSE stream through the proxy', async () => {
    // WebSocket: the upgrade passes, and a whole sync arrives through nginx.
    const client = new WSClient({ url: `ws://127.0.0.1:${proxyPort}/ws` });
    client.on('error', () => undefined);
    const manager = new SyncManager(client);
    const completed = new Promise<number>((resolve) => manager.track('nginx-1', { onComplete: (event) => resolve(event.processed) }));
    await manager.startSync('nginx-1');
    expect(await completed).toBe(40);
    client.close();

    // SSE: the legacy endpoint's stream passes through, whole.
    const response = await fetch(`http://127.0.0.1:${proxyPort}/api/sync/nginx-2/events?start=1`, { headers: { accept: 'text/event-stream' } });
    expect(response.headers.get('content-type')).toContain('text/event-stream');
    const text = await response.text();
    expect(text).toContain('event: complete');
    expect(text.match(/event: progress/g)?.length).toBeGreaterThan(1);
  }, 60_000);
});
