/**
 * The example legacy app (examples/legacy-app) in a fresh git repository, for the migration's
 * end-to-end tests. Its `wsmig.config.json` is what `wsmig migrate init` proposes, edited the way
 * docs/migration.md tells a newcomer to: the WebSocket service is the reference server run by this
 * checkout's CLI on a free port, and the timeline and load tests are short.
 */
import { cp, mkdir, readFile, symlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, expect } from 'vitest';
import { REPO_ROOT, runCli } from '../../helpers/cli.js';
import { makeTempDir, removeDir } from '../../helpers/temp-dir.js';
import { freePort, referenceService, stopRecordedService } from './service.js';
import { git, initRepo } from './temp-repo.js';

export const EXAMPLE_APP = path.join(REPO_ROOT, 'examples', 'legacy-app');
export const LEGACY_FILE = 'packages/server/src/legacy-sync.ts';

/**
 * Load-test thresholds sized for the light load test below. The end-to-end migrations test the
 * phases' plumbing, not this machine's latency: the machine running the tests is shared, so the
 * bound leaves room for a busy one (the gate's judgement itself is tested in test/migration and
 * test/scenarios).
 */
export const LIGHT_THRESHOLDS = {
  'ws_rpc_duration{scenario:latency}': [{ threshold: 'p(99)<5000', minSamples: 5 }],
  ws_connect_success: ['rate>0.99'],
  ws_msgs_lost: ['count==0'],
};

/**
 * The `loadTest` section of a quick test run: about ten sends, so however busy the machine, the
 * generator never has more late sends than it tolerates (10) and the run is never inconclusive for it.
 */
export const LIGHT_LOAD_TEST = { scenarios: ['latency'], duration: '2s', connections: 4, rate: 5, set: { rampUp: '500ms', syncs: 2 } };

export interface ExampleApp {
  root: string;
  port: number;
  baseUrl: string;
  /** The legacy file's bytes before any phase ran. */
  legacyBytes: Buffer;
}

/** Copies the example app (without dependencies or build output) into a new, committed git repository. */
export async function copyExampleApp(): Promise<string> {
  const root = await makeTempDir('wsmig-example-');
  await cp(EXAMPLE_APP, root, { recursive: true, filter: (source) => !/[\\/](node_modules|dist)([\\/]|$)/.test(path.relative(EXAMPLE_APP, source)) });
  await initRepo(root, 'the legacy chat app');
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
  await writeFile(path.join(root, 'load-thresholds.json'), `${JSON.stringify(LIGHT_THRESHOLDS, null, 2)}\n`);
  await git(root, 'add', 'load-thresholds.json');
  await git(root, 'commit', '-q', '-m', 'load-test thresholds');
  Object.assign(config, {
    service: referenceService(port),
    wsEndpoint: { name: 'WS_ENDPOINT', value: `ws://127.0.0.1:${port}/ws` },
    thresholds: 'load-thresholds.json',
    loadTest: LIGHT_LOAD_TEST,
    timeline: { prepare: '3d', migrate: '1s', stabilize: '3d' },
    verify: { timeout: '15s' },
  });
  await writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  return { root, port, baseUrl: `http://127.0.0.1:${port}`, legacyBytes: await readFile(path.join(root, LEGACY_FILE)) };
}

/**
 * The example app of a suite: {@link createExampleApp} before its first test (the returned object is
 * filled in then), and after its last the service wsmig started stopped and the repository removed.
 */
export function exampleAppForSuite(): ExampleApp {
  const app = {} as ExampleApp;
  let created = false;
  beforeAll(async () => {
    Object.assign(app, await createExampleApp());
    created = true;
  });
  afterAll(async () => {
    if (!created) return;
    await stopRecordedService(app.root);
    await removeDir(app.root);
  });
  return app;
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
