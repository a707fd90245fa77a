/**
 * The example legacy app (examples/legacy-app) in a fresh git repository, for the migration's
 * end-to-end tests. Its `wsmig.config.json` is what `wsmig migrate init` proposes, edited the way
 * docs/migration.md tells a newcomer to: the WebSocket service is the reference server run by this
 * checkout's CLI on a free port, and the timeline and load tests are short.
 */
import { cp, mkdir, mkdtemp, readFile, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { expect } from 'vitest';
import { REPO_ROOT, runCli } from '../../helpers/cli.js';
import { freePort, referenceService } from './service.js';
import { git } from './temp-repo.js';

export const EXAMPLE_APP = path.join(REPO_ROOT, 'examples', 'legacy-app');
export const LEGACY_FILE = 'packages/server/src/legacy-sync.ts';

const LIGHT_THRESHOLDS = {
  'ws_rpc_duration{scenario:latency}': [{ threshold: 'p(99)<500', minSamples: 20 }],
  ws_connect_success: ['rate>0.99'],
  ws_msgs_lost: ['count==0'],
};

export interface ExampleApp {
  root: string;
  port: number;
  baseUrl: string;
  /** The legacy file's bytes before any phase ran. */
  legacyBytes: Buffer;
}

/** Copies the example app (without dependencies or build output) into a new, committed git repository. */
export async function copyExampleApp(): Promise<string> {
  const root = await mkdtemp(path.join(tmpdir(), 'wsmig-example-'));
  await cp(EXAMPLE_APP, root, { recursive: true, filter: (source) => !/[\\/](node_modules|dist)([\\/]|$)/.test(path.relative(EXAMPLE_APP, source)) });
  await git(root, 'init', '-q', '-b', 'main');
  await git(root, 'config', 'user.email', 'test@example.com');
  await git(root, 'config', 'user.name', 'wsmig test');
  await git(root, 'config', 'commit.gpgsign', 'false');
  await git(root, 'add', '-A');
  await git(root, 'commit', '-q', '-m', 'the legacy chat app');
  return root;
}

/** The example app with the config `init` proposed, edited for a quick test run (left uncommitted: prepare commits it). */
export async function createExampleApp(): Promise<ExampleApp> {
  const root = await copyExampleApp();
  const init = await runCli(['migrate', 'init', '--yes'], { cwd: root });
  expect(init.exitCode, init.stderr).toBe(0);
  const file = path.join(root, 'wsmig.config.json');
  const config = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  const port = await freePort();
  // A light load test with thresholds sized for it: the machine running the tests is shared, and a
  // load generator starved of CPU makes its run inconclusive by design.
  await writeFile(path.join(root, 'load-thresholds.json'), `${JSON.stringify(LIGHT_THRESHOLDS, null, 2)}\n`);
  await git(root, 'add', 'load-thresholds.json');
  await git(root, 'commit', '-q', '-m', 'load-test thresholds');
  Object.assign(config, {
    service: referenceService(port),
    wsEndpoint: { name: 'WS_ENDPOINT', value: `ws://127.0.0.1:${port}/ws` },
    thresholds: 'load-thresholds.json',
    loadTest: { scenarios: ['latency'], duration: '2s', connections: 4, rate: 30, set: { rampUp: '500ms', syncs: 2 } },
    timeline: { prepare: '3d', migrate: '1s', stabilize: '3d' },
    verify: { timeout: '15s' },
  });
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  return { root, port, baseUrl: `http://127.0.0.1:${port}`, legacyBytes: await readFile(path.join(root, LEGACY_FILE)) };
}

/**
 * Type-checks the app's server (`tsc -p packages/server/tsconfig.json --noEmit`) with this
 * checkout's TypeScript and Node types linked in, as an install would provide them.
 */
export async function typecheckServer(root: string): Promise<{ exitCode: number; output: string }> {
  const types = path.join(root, 'node_modules', '@types');
  await mkdir(types, { recursive: true });
  await symlink(path.join(REPO_ROOT, 'node_modules', '@types', 'node'), path.join(types, 'node')).catch((error: NodeJS.ErrnoException) => {
    if (error.code !== 'EEXIST') throw error;
  });
  const tsc = path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
  const result = await execa(process.execPath, [tsc, '-p', 'packages/server/tsconfig.json', '--noEmit'], { cwd: root, reject: false });
  return { exitCode: result.exitCode ?? -1, output: `${String(result.stdout)}${String(result.stderr)}` };
}
