/**
 * The WebSocket service in migration tests: the reference server run by the real CLI (`wsmig
 * server`), started by wsmig itself (prepare) on a port chosen here, and stopped by the tests.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import path from 'node:path';
import { CLI } from '../../helpers/cli.js';

/** A TCP port that was free a moment ago (prepare's service needs a fixed port in its config). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * The `service` section that runs the reference server on `port`. By default it follows the repo's
 * `.env` while it runs (`--flag-file`); with `followEnvFile: false` it reads `.env` only when it
 * starts (`node --env-file`), like an app that needs a restart to see a new value. `/admin/*` is
 * opened to loopback (`--admin-loopback`): the migration flips the flag live through
 * `POST /admin/flag` and the drills inject faults through `POST /admin/faults` (an admin token in
 * the service's environment still takes precedence).
 */
export function referenceService(port: number, options: { followEnvFile?: boolean } = {}): Record<string, unknown> {
  const follow = options.followEnvFile ?? true;
  return {
    command: [process.execPath, ...(follow ? [] : ['--env-file=.env']), CLI, 'server', '--port', String(port), ...(follow ? ['--flag-file', '.env'] : []), '--sync-batch-delay', '20ms', '--drain-timeout', '2s', '--admin-loopback'],
    baseUrl: `http://127.0.0.1:${port}`,
    startTimeout: '20s',
    stopTimeout: '5s',
  };
}

/** Stops the service wsmig recorded in the repository's state (its process group), if any. */
export async function stopRecordedService(root: string): Promise<void> {
  let pid: number | undefined;
  try {
    pid = (JSON.parse(await readFile(path.join(root, '.wsmig', 'state.json'), 'utf8')) as { service?: { pid?: number } | null }).service?.pid;
  } catch {
    return;
  }
  if (pid === undefined) return;
  try {
    process.kill(-pid, 'SIGKILL');
  } catch {
    // Already gone.
  }
}
