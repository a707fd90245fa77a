/**
 * The example legacy app (examples/legacy-app) through both codemods, as the migration will run them:
 * its server builds and streams SSE; `wsmig codemod run sse-to-ws` converts every sync consumer of
 * its frontend but the one it should not; the result type-checks and parses; with the flag on the
 * rewritten code completes syncs over WebSocket against the reference server, with the flag off
 * over SSE (against the reference server and against the app's own server); then `remove-flag` and
 * deleting legacy-sync.ts leave a server that compiles and runs.
 *
 * The app is copied to a temporary git repository; its `node_modules` links wsmig itself and the
 * few packages the app uses, as an install would.
 */
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { execa, type ResultPromise } from 'execa';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServer, type ReferenceServer } from '../../reference/server/index.js';
import { sourceBlocks } from '../../codemods/lib/source-blocks.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { commitAll } from '../codemods/git-repo.js';

const TSC = path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
const CONFIG = { codemods: { wrappers: [{ callee: 'createConnection', urlPattern: '/commands/sync', to: 'sync' }] } };
const FEATURES = "export const features = {\n  useNewWSSync: process.env.USE_NEW_WS_SYNC === 'true',\n};\n";
const LINKED_PACKAGES = ['eventsource-parser', 'typescript', '@types/node'];

let app: string;
const git = (...args: string[]) => execa('git', args, { cwd: app });

async function typecheck(project: string): Promise<{ exitCode: number; output: string }> {
  const result = await execa(process.execPath, [TSC, '-p', project], { cwd: app, reject: false });
  return { exitCode: result.exitCode ?? -1, output: `${result.stdout}${result.stderr}` };
}

/** Builds the app's server with tsc and starts it on a free port; resolves with its URL. */
async function startAppServer(): Promise<{ url: string; process: ResultPromise }> {
  const build = await execa(process.execPath, [TSC, '-p', 'packages/server/tsconfig.json'], { cwd: app, reject: false });
  expect(build.stdout + build.stderr).toBe('');
  const child = execa(process.execPath, ['packages/server/dist/index.js'], { cwd: app, env: { PORT: '0', SYNC_TOTAL_MESSAGES: '40', SYNC_BATCH_DELAY_MS: '20' }, reject: false });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      const match = /listening on (http:\/\/\S+)/.exec(seen);
      if (match?.[1]) resolve(match[1]);
    });
    void child.then((result) => reject(new Error(`the app server exited: ${result.stderr}`)));
  });
  return { url, process: child };
}

async function stopAppServer(server: { process: ResultPromise }): Promise<void> {
  server.process.kill('SIGTERM');
  await server.process;
}

/** Imports a module of the (rewritten) frontend afresh, with the environment the bundler would bake in. */
async function frontendModule<T>(relative: string, env: { flagOn: boolean; apiBaseUrl: string; wsEndpoint?: string }): Promise<T> {
  process.env['USE_NEW_WS_SYNC'] = String(env.flagOn);
  process.env['API_BASE_URL'] = env.apiBaseUrl;
  if (env.wsEndpoint) process.env['WS_ENDPOINT'] = env.wsEndpoint;
  return (await import(path.join(app, 'packages/frontend/src', relative))) as T;
}

interface Services {
  bulk: { syncAllChats(chatIds: readonly number[], report: (line: string) => void): Promise<number> };
  stream: { streamChatSync(chatId: number, handlers: { onProgress?: (e: { progress: number }) => void; onComplete?: (e: { processed: number }) => void }): Promise<void> };
  parser: { syncForOffline(chatId: number, onProgress: (percent: number) => void): Promise<boolean> };
}

async function loadServices(env: { flagOn: boolean; apiBaseUrl: string; wsEndpoint?: string }): Promise<Services> {
  vi.resetModules();
  return {
    bulk: await frontendModule('services/bulk-sync.ts', env),
    stream: await frontendModule('services/stream-sync.ts', env),
    parser: await frontendModule('services/parser-sync.ts', env),
  };
}

/** Runs every service once; returns what the app saw. */
async function syncThroughTheApp(services: Services, chatIds: { bulk: number[]; stream: number; parser: number }) {
  const bulkLines: string[] = [];
  const bulkCompleted = await services.bulk.syncAllChats(chatIds.bulk, (line) => bulkLines.push(line));
  const streamProgress: number[] = [];
  let streamCompleted: { processed: number } | undefined;
  await services.stream.streamChatSync(chatIds.stream, { onProgress: (e) => streamProgress.push(e.progress), onComplete: (e) => (streamCompleted = e) });
  const parserProgress: number[] = [];
  const parserCompleted = await services.parser.syncForOffline(chatIds.parser, (percent) => parserProgress.push(percent));
  return { bulkCompleted, bulkLines, streamProgress, streamCompleted, parserProgress, parserCompleted };
}

/** The sum of a metric's series whose labels include `labels` (all its series without). */
async function metricTotal(server: ReferenceServer, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = server.registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([k, value]) => String(v.labels[k]) === value)).reduce((sum, v) => sum + v.value, 0);
}

beforeAll(async () => {
  app = await fs.realpath(await makeTempDir('wsmig-legacy-app-'));
  await fs.cp(path.join(REPO_ROOT, 'examples/legacy-app'), app, { recursive: true, filter: (source) => !/[\\/](node_modules|dist)([\\/]|$)/.test(source) });
  await fs.mkdir(path.join(app, 'config'));
  await fs.writeFile(path.join(app, 'config/features.ts'), FEATURES);
  await fs.writeFile(path.join(app, 'wsmig.config.json'), `${JSON.stringify(CONFIG, null, 2)}\n`);
  await fs.mkdir(path.join(app, 'node_modules/@types'), { recursive: true });
  await fs.symlink(REPO_ROOT, path.join(app, 'node_modules/wsmig'), 'dir');
  for (const name of LINKED_PACKAGES) await fs.symlink(path.join(REPO_ROOT, 'node_modules', name), path.join(app, 'node_modules', name), 'dir');
  await git('init', '-q');
  await git('add', '-A');
  await commitAll(app, 'the legacy app');
}, 60_000);

afterAll(async () => {
  await removeDir(app);
  for (const key of ['USE_NEW_WS_SYNC', 'API_BASE_URL', 'WS_ENDPOINT']) Reflect.deleteProperty(process.env, key);
});

describe('the example legacy app', () => {
  it('type-checks as shipped, and its server builds and streams a sync over SSE', async () => {
    expect(await typecheck('packages/frontend/tsconfig.json')).toEqual({ exitCode: 0, output: '' });
    const server = await startAppServer();
    try {
      const response = await fetch(`${server.url}/commands/sync`, { method: 'POST', body: JSON.stringify({ chatId: 42 }) });
      expect(response.headers.get('content-type')).toBe('text/event-stream');
      const text = await response.text();
      expect(text).toMatch(/^id: \d+\nevent: progress\ndata: \{"chatId":42,"runId":"r-[0-9a-f]+","progress":25,"processed":10,"total":40\}/);
      expect(text).toMatch(/event: complete\ndata: \{"chatId":42,"runId":"r-[0-9a-f]+","processed":40,"total":40,"durationMs":\d+\}\n\n$/);
    } finally {
      await stopAppServer(server);
    }
  }, 60_000);

  it('sse-to-ws converts every sync consumer, swaps the notifications stream to the drop-in adapter, and ignores the marked one', async () => {
    const result = await runCli(['codemod', 'run', 'sse-to-ws', 'packages', '--json'], { cwd: app });
    expect(result.exitCode).toBe(0);
    const summary = JSON.parse(result.stdout) as { changed: string[]; manual: { file: string; line: number; reason: string }[]; failed: unknown[]; sitesIgnored: number; sitesConverted: number };
    expect(summary.failed).toEqual([]);
    expect(summary.sitesIgnored).toBe(1);
    expect(summary.manual).toEqual([]);
    expect(await fs.readFile(path.join(app, 'packages/frontend/src/services/notifications.ts'), 'utf8')).toContain('new WsEventSource(');
    expect(summary.changed.sort()).toEqual(
      [
        'components/SyncBadge.vue',
        'components/SyncButton.tsx',
        'composables/useSyncStatus.ts',
        'hooks/useChatSync.tsx',
        'services/bulk-sync.ts',
        'services/export-sync.ts',
        'services/notifications.ts',
        'services/parser-sync.ts',
        'services/startup-sync.ts',
        'services/stream-sync.ts',
      ].map((file) => `packages/frontend/src/${file}`),
    );
    expect(summary.sitesConverted).toBe(10);
    // The wrapper itself is the legacy path: untouched.
    expect(await git('diff', '--quiet', '--', 'packages/frontend/src/api', 'packages/server').then((r) => r.exitCode)).toBe(0);
  }, 60_000);

  it('the converted frontend type-checks and every file still parses', async () => {
    const check = await typecheck('packages/frontend/tsconfig.json');
    expect(check.output).toBe('');
    expect(check.exitCode).toBe(0);
    const { default: jscodeshift } = await import('jscodeshift');
    const files = (await fs.readdir(path.join(app, 'packages/frontend/src'), { recursive: true })).map((f) => path.join(app, 'packages/frontend/src', f)).filter((f) => /\.(tsx?|vue)$/.test(f));
    expect(files.length).toBeGreaterThan(10);
    for (const file of files) {
      const source = await fs.readFile(file, 'utf8');
      for (const block of sourceBlocks(file, source)) expect(() => jscodeshift.withParser(block.parser)(block.code), file).not.toThrow();
    }
  }, 60_000);

  it('with the flag on, the converted code completes its syncs over WebSocket (the SSE endpoints are off)', async () => {
    const server = await createServer({ port: 0, legacySse: false, flag: { value: true }, sync: { totalMessages: 40, batchSize: 10, batchDelayMs: 20 } });
    try {
      const services = await loadServices({ flagOn: true, apiBaseUrl: server.url, wsEndpoint: server.wsUrl });
      const seen = await syncThroughTheApp(services, { bulk: [1, 2], stream: 3, parser: 4 });
      expect(seen.bulkCompleted).toBe(2);
      expect(seen.bulkLines).toEqual(['chat 1: 25%', 'chat 1: 50%', 'chat 1: 75%', 'chat 1: 100%', 'chat 2: 25%', 'chat 2: 50%', 'chat 2: 75%', 'chat 2: 100%']);
      expect(seen.streamProgress).toEqual([25, 50, 75, 100]);
      expect(seen.streamCompleted).toMatchObject({ processed: 40 });
      expect(seen.parserProgress).toEqual([25, 50, 75, 100]);
      expect(seen.parserCompleted).toBe(true);
      expect(await metricTotal(server, 'wsmig_ws_messages_total', { direction: 'in', type: 'sync:start' })).toBe(4);
      expect(await metricTotal(server, 'wsmig_sync_jobs_total', { status: 'completed' })).toBe(4);
    } finally {
      const client = (await import('wsmig/client')) as unknown as { getSharedClient(): { close(): void } };
      client.getSharedClient().close();
      await server.close();
    }
  }, 60_000);

  it('with the flag off, the same code completes its syncs over SSE, against the reference server and the app server', async () => {
    const server = await createServer({ port: 0, flag: { value: false }, sync: { totalMessages: 40, batchSize: 10, batchDelayMs: 20 } });
    try {
      const services = await loadServices({ flagOn: false, apiBaseUrl: server.url });
      const seen = await syncThroughTheApp(services, { bulk: [5], stream: 6, parser: 7 });
      expect(seen).toMatchObject({ bulkCompleted: 1, streamProgress: [25, 50, 75, 100], streamCompleted: { processed: 40 }, parserProgress: [25, 50, 75, 100], parserCompleted: true });
      expect(await metricTotal(server, 'wsmig_ws_connection_attempts_total')).toBe(0);
      expect(await metricTotal(server, 'wsmig_sync_jobs_total', { status: 'completed' })).toBe(3);
    } finally {
      await server.close();
    }
    const appServer = await startAppServer();
    try {
      const services = await loadServices({ flagOn: false, apiBaseUrl: appServer.url });
      const seen = await syncThroughTheApp(services, { bulk: [1, 2], stream: 42, parser: 1 });
      expect(seen).toMatchObject({ bulkCompleted: 2, streamProgress: [25, 50, 75, 100], parserProgress: [25, 50, 75, 100], parserCompleted: true });
    } finally {
      await stopAppServer(appServer);
    }
  }, 60_000);

  it('remove-flag and deleting legacy-sync.ts leave an app that compiles, and a server that runs', async () => {
    await commitAll(app, 'sse-to-ws');
    const result = await runCli(['codemod', 'run', 'remove-flag', 'packages', '--json'], { cwd: app });
    expect(result.exitCode).toBe(0);
    const summary = JSON.parse(result.stdout) as { changed: string[]; manual: unknown[] };
    expect(summary.manual).toEqual([]);
    expect(summary.changed).toContain('packages/server/src/index.ts');
    await git('rm', '-q', 'packages/server/src/legacy-sync.ts');
    const frontend = await fs.readdir(path.join(app, 'packages/frontend/src'), { recursive: true });
    for (const file of frontend.filter((f) => /\.(tsx?|vue)$/.test(f) && !f.includes('notifications') && !f.includes('raw-stream') && !f.includes('sse-connection'))) {
      expect(await fs.readFile(path.join(app, 'packages/frontend/src', file), 'utf8'), file).not.toMatch(/useNewWSSync|EventSource|fetchEventSource|getReader/);
    }
    expect(await typecheck('packages/frontend/tsconfig.json')).toEqual({ exitCode: 0, output: '' });
    expect(await typecheck('packages/server/tsconfig.json')).toEqual({ exitCode: 0, output: '' });
    const server = await startAppServer();
    try {
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
      expect(await (await fetch(`${server.url}/api/chats/42`)).json()).toMatchObject({ title: 'Support' });
      expect((await fetch(`${server.url}/commands/sync`, { method: 'POST', body: '{"chatId":1}' })).status).toBe(404);
    } finally {
      await stopAppServer(server);
    }
  }, 90_000);
});
