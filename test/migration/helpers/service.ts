/**
 * The WebSocket service in migration tests: the reference server run by the real CLI (`wsmig
 * server`), started by wsmig itself (prepare) on a port chosen here, and stopped by the tests.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CLI } from '../../helpers/cli.js';

export { freePort } from '../../helpers/free-port.js';

/**
 * The `service` section that runs the reference server on `port`. By default it follows the repo's
 * `.env` while it runs (`--flag-file`); with `followEnvFile: false` it reads `.env` only when it
 * starts (`node --env-file`), like an app that needs a restart to see a new value. By default
 * `/admin/*` is opened to loopback (`--admin-loopback`): the migration flips the flag live through
 * `POST /admin/flag` and the drills inject faults through `POST /admin/faults`; `adminLoopback:
 * false` leaves it as the server's default has it (off without an admin token). `args` are added to
 * the server's (token files, say).
 */
export function referenceService(port: number, options: { followEnvFile?: boolean; adminLoopback?: boolean; args?: readonly string[] } = {}): Record<string, unknown> {
  const follow = options.followEnvFile ?? true;
  const admin = options.adminLoopback ?? true;
  return {
    command: [process.execPath, ...(follow ? [] : ['--env-file=.env']), CLI, 'server', '--port', String(port), ...(follow ? ['--flag-file', '.env'] : []), '--sync-batch-delay', '20ms', '--drain-timeout', '2s', ...(admin ? ['--admin-loopback'] : []), ...(options.args ?? [])],
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
