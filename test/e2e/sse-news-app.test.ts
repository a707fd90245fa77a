/**
 * The second example app (examples/sse-news-app): an Express + better-sse server that wsmig did not
 * write, with a public broadcast, a per-user stream behind a session cookie and a POST streamed
 * response, and a frontend that reads them in four SSE shapes.
 *
 * On a copy in a temporary git repository, with the real CLI and real processes on free ports:
 * `wsmig codemod run sse-to-ws` swaps every SSE site of the frontend to its drop-in adapter, the
 * converted frontend type-checks, and through `wsmig server --upstream` each stream arrives over
 * WebSocket with what SSE delivers directly (the same headlines, ids and order; each user's own
 * notifications only; the same chat reply); with the flag on, the app's own converted code reads
 * them over the socket. Then the migration itself: init → prepare → migrate with the bridge as the
 * service, stabilize refusing to remove the news server while the bridge relays its stream, and
 * going ahead once the app publishes the headlines natively.
 */
import { EventSource } from 'eventsource';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { execa, type ResultPromise } from 'execa';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WSClient, WsEventSource, wsFetch, type WebSocketConstructorLike } from '../../reference/client/node.js';
import { CLI, REPO_ROOT, runCli } from '../helpers/cli.js';
import { startServerCli, type ServerCli } from '../helpers/server-process.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { commitAll } from '../codemods/git-repo.js';
import { LIGHT_LOAD_TEST, LIGHT_THRESHOLDS } from '../migration/helpers/example-app.js';
import { envValue, foreignStatus, phaseCommits, transport } from '../migration/helpers/flow.js';
import { freePort, stopRecordedService } from '../migration/helpers/service.js';
import { initRepo } from '../migration/helpers/temp-repo.js';

const EXAMPLE = path.join(REPO_ROOT, 'examples/sse-news-app');
const TSC = path.join(REPO_ROOT, 'node_modules/typescript/bin/tsc');
const FEATURES_MODULE = 'frontend/src/config/features.ts';
/** What `npm install` would put in the app's node_modules; linked from this checkout (wsmig is the checkout itself). */
const LINKED_PACKAGES = ['express', 'better-sse', '@microsoft/fetch-event-source', 'typescript'];
const SSE_FILES = ['frontend/src/chat-stream.ts', 'frontend/src/chat.ts', 'frontend/src/news.ts', 'frontend/src/notifications.ts'];

interface RunningApp {
  url: string;
  child: ResultPromise;
}

interface Seen {
  type: string;
  id: string;
  data: string;
}

type Listenable = { addEventListener(type: string, listener: (event: MessageEvent) => void): void };

/** Undone after the suite (processes, folders). */
const cleanups: Array<() => unknown> = [];
/** Undone after each test (streams and sockets), so a test sees only its own subscribers. */
const closers: Array<() => unknown> = [];

/** Copies the example (without dependencies) into a new committed git repository, its node_modules linked. */
async function copyApp(prefix: string): Promise<string> {
  const root = await fs.realpath(await makeTempDir(prefix));
  await fs.cp(EXAMPLE, root, { recursive: true, filter: (source) => !/[\\/](node_modules|dist)([\\/]|$)/.test(path.relative(EXAMPLE, source)) });
  await fs.mkdir(path.join(root, 'node_modules/@microsoft'), { recursive: true });
  await fs.symlink(REPO_ROOT, path.join(root, 'node_modules/wsmig'), 'dir');
  for (const name of LINKED_PACKAGES) await fs.symlink(path.join(REPO_ROOT, 'node_modules', name), path.join(root, 'node_modules', name), 'dir');
  await initRepo(root, 'the news app');
  return root;
}

/** Starts `node server.mjs` in `root` on a free port; resolves once it prints its listening line. */
async function startApp(root: string, env: Record<string, string> = {}): Promise<RunningApp> {
  const child = execa(process.execPath, ['server.mjs'], { cwd: root, env: { PORT: '0', ...env }, reject: false });
  cleanups.push(async () => {
    child.kill('SIGTERM');
    await child;
  });
  const url = await new Promise<string>((resolve, reject) => {
    let seen = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      seen += String(chunk);
      const line = seen.split('\n').find((candidate) => candidate.startsWith('{"event":"listening"'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    void child.then((result) => reject(new Error(`the news app exited (${String(result.exitCode)}): ${String(result.stderr)}`)));
  });
  return { url, child };
}

async function typecheckFrontend(root: string): Promise<{ exitCode: number; output: string }> {
  const result = await execa(process.execPath, [TSC, '-p', 'frontend/tsconfig.json'], { cwd: root, reject: false });
  return { exitCode: result.exitCode ?? -1, output: `${result.stdout}${result.stderr}` };
}

/** Signs `user` in on the app; returns the session cookie (`sid=<user>`) a browser would keep. */
async function login(appUrl: string, user: string): Promise<string> {
  const response = await fetch(`${appUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user }) });
  expect(response.status).toBe(200);
  const cookie = /^sid=[^;]+/.exec(response.headers.get('set-cookie') ?? '')?.[0];
  expect(cookie).toBe(`sid=${user}`);
  return cookie as string;
}

/** A `ws` WebSocket that sends `cookie` on its upgrade, as a browser sends the page's cookies. */
function webSocketWithCookie(cookie: string): WebSocketConstructorLike {
  class CookieWebSocket extends WebSocket {
    constructor(address: string) {
      super(address, [], { headers: { cookie } });
    }
  }
  return CookieWebSocket as unknown as WebSocketConstructorLike;
}

function newClient(wsUrl: string, cookie?: string): WSClient {
  const client = new WSClient({ url: wsUrl, ...(cookie ? { WebSocket: webSocketWithCookie(cookie) } : {}) });
  closers.push(() => client.close());
  return client;
}

function record(source: Listenable, type: string, into: Seen[]): void {
  source.addEventListener(type, (event) => into.push({ type: event.type, id: event.lastEventId, data: String(event.data) }));
}

/** The events of an SSE body, parsed as a browser's EventSource parses them. */
async function sseEvents(response: Response): Promise<Pick<EventSourceMessage, 'event' | 'id' | 'data'>[]> {
  const events: Pick<EventSourceMessage, 'event' | 'id' | 'data'>[] = [];
  const parser = createParser({ onEvent: ({ event, id, data }) => events.push({ event, id, data }) });
  parser.feed(await response.text());
  return events;
}

function chatRequest(prompt: string): RequestInit {
  return { method: 'POST', headers: { 'content-type': 'application/json', accept: 'text/event-stream' }, body: JSON.stringify({ prompt }) };
}

/** How many messages of `type` the gateway has received (`wsmig_ws_messages_total`). */
async function messagesIn(server: ServerCli, type: string): Promise<number> {
  const metrics = await (await fetch(`${server.listening.url}/metrics`)).text();
  const line = metrics.split('\n').find((candidate) => candidate.startsWith('wsmig_ws_messages_total{') && candidate.includes('direction="in"') && candidate.includes(`type="${type}"`));
  return line === undefined ? 0 : Number(line.split(' ').at(-1));
}

interface BridgedRoute {
  path: string;
  shared: boolean;
  subscribers: number;
}

/** The routes the gateway relays now, as its `/health` lists them. */
async function bridgedRoutes(server: ServerCli): Promise<BridgedRoute[]> {
  const health = (await (await fetch(`${server.listening.url}/health`)).json()) as { bridge?: { routes: BridgedRoute[] } };
  return health.bridge?.routes ?? [];
}

async function subscribersOf(server: ServerCli, route: string): Promise<number> {
  return (await bridgedRoutes(server)).filter((candidate) => candidate.path === route).reduce((sum, candidate) => sum + candidate.subscribers, 0);
}

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});
afterAll(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('the news app through the SSE bridge', () => {
  let root: string;
  let app: RunningApp;
  let gateway: ServerCli;

  beforeAll(async () => {
    root = await copyApp('wsmig-news-app-');
    cleanups.push(() => removeDir(root));
    await fs.writeFile(path.join(root, 'wsmig.config.json'), `${JSON.stringify({ codemods: { featuresModule: FEATURES_MODULE } }, null, 2)}\n`);
    await execa('git', ['add', 'wsmig.config.json'], { cwd: root });
    await commitAll(root, 'wsmig config');
    app = await startApp(root);
    gateway = await startServerCli({ args: ['--upstream', app.url, '--shared-route', '/api/news/stream', '--flag', 'true'] });
    cleanups.push(async () => {
      gateway.child.kill('SIGTERM');
      await gateway.child;
    });
  }, 60_000);

  it('serves its streams over SSE as shipped, and its frontend type-checks', async () => {
    expect(await typecheckFrontend(root)).toEqual({ exitCode: 0, output: '' });
    expect((await fetch(`${app.url}/api/notifications/stream`)).status).toBe(401);
    const chat = await fetch(`${app.url}/api/chat`, chatRequest('the weather'));
    expect(chat.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const events = await sseEvents(chat);
    expect(events.at(-1)).toMatchObject({ event: 'done' });
    expect(events.filter((event) => event.event === 'token').map((event) => (JSON.parse(event.data) as { word: string }).word).join(' ')).toContain('You asked about the weather.');
  }, 30_000);

  it('sse-to-ws swaps every SSE site of the frontend to its drop-in adapter; a second run changes nothing', async () => {
    const result = await runCli(['codemod', 'run', 'sse-to-ws', 'frontend/src', '--json'], { cwd: root });
    expect(result.exitCode, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { changed: string[]; manual: unknown[]; failed: unknown[]; sitesConverted: number; sitesIgnored: number };
    expect(summary).toMatchObject({ manual: [], failed: [], sitesConverted: 4, sitesIgnored: 0 });
    expect([...summary.changed].sort()).toEqual(SSE_FILES);
    const read = (file: string) => fs.readFile(path.join(root, file), 'utf8');
    expect(await read('frontend/src/news.ts')).toContain("features.useNewWSSync\n    ? new WsEventSource('/api/news/stream')\n    : new EventSource('/api/news/stream');");
    expect(await read('frontend/src/notifications.ts')).toContain(
      "features.useNewWSSync\n\t\t? new WsEventSource('/api/notifications/stream', { withCredentials: true })\n\t\t: new EventSource('/api/notifications/stream', { withCredentials: true })\n",
    );
    expect(await read('frontend/src/chat.ts')).toContain('await (features.useNewWSSync ? wsFetchEventSource : fetchEventSource)("/api/chat", {');
    expect(await read('frontend/src/chat-stream.ts')).toContain("await (features.useNewWSSync ? wsFetch : fetch)('/api/chat', {");
    for (const file of SSE_FILES) expect(await read(file), file).toMatch(/^import \{ features \} from ["']\.\/config\/features\.js["'];?$/m);
    // Not SSE: the login request and the page's wiring stay as they were.
    expect((await execa('git', ['diff', '--quiet', '--', 'frontend/src/session.ts', 'frontend/src/main.ts', 'server.mjs'], { cwd: root, reject: false })).exitCode).toBe(0);

    await commitAll(root, 'sse-to-ws');
    const again = await runCli(['codemod', 'run', 'sse-to-ws', 'frontend/src', '--json'], { cwd: root });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ changed: [], manual: [], failed: [], sitesConverted: 0 });
    expect((await execa('git', ['status', '--porcelain'], { cwd: root })).stdout).toBe('');
  }, 60_000);

  it('the converted frontend type-checks', async () => {
    expect(await typecheckFrontend(root)).toEqual({ exitCode: 0, output: '' });
  }, 60_000);

  it('the headlines arrive over WebSocket with the ids, names, data and order EventSource gets from the app', async () => {
    const direct: Seen[] = [];
    const native = new EventSource(`${app.url}/api/news/stream`);
    closers.push(() => native.close());
    record(native as unknown as Listenable, 'headline', direct);

    const relayed: Seen[] = [];
    const source = new WsEventSource('/api/news/stream', {}, { client: newClient(gateway.listening.wsUrl), transport: 'ws', baseUrl: app.url });
    closers.push(() => source.close());
    record(source, 'headline', relayed);

    const commonIds = () => new Set(direct.map((event) => event.id).filter((id) => relayed.some((event) => event.id === id)));
    await vi.waitFor(() => expect(commonIds().size).toBeGreaterThanOrEqual(12), { timeout: 20_000, interval: 100 });
    source.close();
    native.close();

    const common = commonIds();
    expect(relayed.filter((event) => common.has(event.id))).toEqual(direct.filter((event) => common.has(event.id)));
    for (const seen of [direct, relayed]) {
      expect(seen.map((event) => Number(event.id))).toEqual(seen.map((_event, index) => Number(seen[0]?.id) + index));
      expect(seen.every((event) => (JSON.parse(event.data) as { n: number }).n === Number(event.id))).toBe(true);
    }
    expect(await bridgedRoutes(gateway)).toEqual(expect.arrayContaining([expect.objectContaining({ path: '/api/news/stream', shared: true })]));
  }, 30_000);

  it('each signed-in user gets only their own notifications through the gateway; without a session the stream fails with the upstream 401', async () => {
    const users = ['ada', 'grace'];
    const seenBy = new Map<string, Seen[]>();
    for (const user of users) {
      const cookie = await login(app.url, user);
      const seen: Seen[] = [];
      const source = new WsEventSource('/api/notifications/stream', { withCredentials: true }, { client: newClient(gateway.listening.wsUrl, cookie), transport: 'ws', baseUrl: app.url });
      closers.push(() => source.close());
      record(source, 'notification', seen);
      seenBy.set(user, seen);
    }
    await vi.waitFor(() => expect(Math.min(...users.map((user) => seenBy.get(user)?.length ?? 0))).toBeGreaterThanOrEqual(5), { timeout: 20_000, interval: 100 });
    for (const user of users) {
      const seen = (seenBy.get(user) ?? []).slice(0, 5);
      expect(seen.map((event) => event.id)).toEqual([1, 2, 3, 4, 5].map((n) => `${user}:${n}`));
      expect(seen.map((event) => JSON.parse(event.data) as { for: string }).every((body) => body.for === user)).toBe(true);
    }

    const anonymous = new WsEventSource('/api/notifications/stream', { withCredentials: true }, { client: newClient(gateway.listening.wsUrl), transport: 'ws', baseUrl: app.url });
    closers.push(() => anonymous.close());
    const errors: unknown[] = [];
    anonymous.addEventListener('error', (event) => errors.push((event as Event & { cause?: unknown }).cause));
    await vi.waitFor(() => expect(anonymous.readyState).toBe(WsEventSource.CLOSED), { timeout: 15_000, interval: 50 });
    expect(errors.at(-1)).toMatchObject({ code: 'UPSTREAM_STATUS' });
  }, 40_000);

  it('the chat reply streams through wsFetch with the events a direct fetch gets, and a bad request answers as the app does', async () => {
    const client = newClient(gateway.listening.wsUrl);
    const direct = await fetch(`${app.url}/api/chat`, chatRequest('elections'));
    const relayed = await wsFetch('/api/chat', chatRequest('elections'), { client, transport: 'ws', baseUrl: app.url });
    expect(relayed.status).toBe(200);
    expect(relayed.headers.get('content-type')).toBe(direct.headers.get('content-type'));
    const [directEvents, relayedEvents] = await Promise.all([sseEvents(direct), sseEvents(relayed)]);
    expect(relayedEvents).toEqual(directEvents);
    expect(relayedEvents.filter((event) => event.event === 'token').length).toBeGreaterThan(5);

    const bad = await wsFetch('/api/chat', chatRequest(''), { client, transport: 'ws', baseUrl: app.url });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ error: 'prompt is required' });
  }, 30_000);

  it('with the flag on, the converted frontend reads headlines, notifications and both chat shapes over the one WebSocket', async () => {
    const features = path.join(root, FEATURES_MODULE);
    await fs.writeFile(features, (await fs.readFile(features, 'utf8')).replace('useNewWSSync: false', 'useNewWSSync: true'));
    // The page: served by the app, its cookies sent on the WebSocket upgrade, WS_ENDPOINT baked in.
    const cookie = await login(app.url, 'linus');
    vi.stubGlobal('location', new URL(`${app.url}/`));
    vi.stubEnv('WS_ENDPOINT', gateway.listening.wsUrl);
    vi.resetModules();
    // Created first, so the frontend's adapters share it (the options of the first call count).
    const shared = (await import('wsmig/client')) as unknown as { getSharedClient(options?: { WebSocket?: WebSocketConstructorLike }): WSClient };
    const client = shared.getSharedClient({ WebSocket: webSocketWithCookie(cookie) });
    closers.push(() => client.close());
    const frontend = (file: string) => import(path.join(root, 'frontend/src', file));
    const news = (await frontend('news.ts')) as { followHeadlines(on: (headline: { n: number }) => void): () => void };
    const notifications = (await frontend('notifications.ts')) as { watchNotifications(show: (n: { for: string }) => void, onSignedOut: () => void): { close(): void } };
    const chat = (await frontend('chat.ts')) as { askAssistant(prompt: string, onToken: (word: string) => void): Promise<void> };
    const chatStream = (await frontend('chat-stream.ts')) as { readReply(prompt: string): Promise<string[]> };
    const fetchesBefore = await messagesIn(gateway, 'sse:fetch');
    // The earlier tests' subscriptions are gone once their sockets closed.
    await vi.waitFor(async () => expect(await subscribersOf(gateway, '/api/news/stream') + (await subscribersOf(gateway, '/api/notifications/stream'))).toBe(0), { timeout: 10_000, interval: 100 });
    try {
      const headlines: number[] = [];
      const stopHeadlines = news.followHeadlines((headline) => headlines.push(headline.n));
      const inbox: string[] = [];
      const stream = notifications.watchNotifications((notification) => inbox.push(notification.for), () => inbox.push('signed out'));
      const words: string[] = [];
      await chat.askAssistant('markets', (word) => words.push(word));
      const read = await chatStream.readReply('markets');
      await vi.waitFor(() => expect(headlines.length >= 5 && inbox.length >= 3).toBe(true), { timeout: 20_000, interval: 100 });
      // All of it rode the gateway's socket: the two chat requests, and a subscription to each stream.
      expect(await messagesIn(gateway, 'sse:fetch')).toBe(fetchesBefore + 2);
      expect(await subscribersOf(gateway, '/api/news/stream')).toBe(1);
      expect(await subscribersOf(gateway, '/api/notifications/stream')).toBe(1);
      stopHeadlines();
      stream.close();

      expect(headlines).toEqual(headlines.map((_n, index) => (headlines[0] as number) + index));
      expect(new Set(inbox)).toEqual(new Set(['linus']));
      expect(words.join(' ')).toContain('You asked about markets.');
      expect(read).toEqual(words);
    } finally {
      vi.unstubAllGlobals();
      vi.unstubAllEnvs();
    }
  }, 60_000);

  it('once the app publishes the headlines itself on its embedded gateway, the same adapter reads them there: same event, ids and data', async () => {
    const native = await startApp(root, { NEWS_NATIVE_WS: '1' });
    const client = newClient(`${native.url.replace('http', 'ws')}/ws`);
    const seen: Seen[] = [];
    const headlines = new WsEventSource(`${native.url}/api/news/stream`, {}, { client, transport: 'ws' });
    closers.push(() => headlines.close());
    record(headlines, 'headline', seen);
    await vi.waitFor(() => expect(seen.length).toBeGreaterThanOrEqual(3), { timeout: 20_000, interval: 100 });
    expect(seen.map((event) => Number(event.id))).toEqual(seen.map((_event, index) => Number(seen[0]?.id) + index));
    for (const event of seen) expect(JSON.parse(event.data)).toMatchObject({ n: Number(event.id), title: `Headline ${event.id}` });
    // Closed by default: a channel the app did not open is refused on its gateway.
    const notifications = new WsEventSource(`${native.url}/api/notifications/stream`, {}, { client, transport: 'ws' });
    closers.push(() => notifications.close());
    await vi.waitFor(() => expect(notifications.readyState).toBe(WsEventSource.CLOSED), { timeout: 10_000 });
  }, 60_000);
});

describe('the news app migrated with wsmig migrate, the SSE bridge as its WebSocket service', () => {
  const env = { NODE_ENV: 'test' };
  let root: string;
  let app: RunningApp;
  let port: number;

  beforeAll(async () => {
    root = await copyApp('wsmig-news-migrate-');
    await fs.rm(path.join(root, 'wsmig.config.json'), { force: true });
    await fs.writeFile(path.join(root, 'load-thresholds.json'), `${JSON.stringify(LIGHT_THRESHOLDS, null, 2)}\n`);
    await execa('git', ['add', '-A'], { cwd: root });
    await commitAll(root, 'load-test thresholds');
    cleanups.push(async () => {
      await stopRecordedService(root);
      await removeDir(root);
    });
    app = await startApp(root);
    port = await freePort();
  }, 60_000);

  it('init finds the frontend and its features module; the service becomes the bridge in front of the app', async () => {
    const init = await runCli(['migrate', 'init', '--yes'], { cwd: root });
    expect(init.exitCode, init.stderr).toBe(0);
    const file = path.join(root, 'wsmig.config.json');
    const config = JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ codemodPaths: ['frontend/src'], flag: { featuresFile: FEATURES_MODULE } });
    // What docs/migration.md tells a team with its own SSE server to change: the service is
    // `wsmig server --upstream <the app>`, the legacy file is the app's SSE server, and the probes
    // name its public stream on both sides.
    Object.assign(config, {
      service: {
        command: [process.execPath, CLI, 'server', '--port', String(port), '--flag-file', '.env', '--upstream', app.url, '--shared-route', '/api/news/stream'],
        baseUrl: `http://127.0.0.1:${port}`,
        startTimeout: '20s',
        stopTimeout: '5s',
      },
      wsEndpoint: { name: 'WS_ENDPOINT', value: `ws://127.0.0.1:${port}/ws` },
      legacyFiles: ['server.mjs'],
      thresholds: 'load-thresholds.json',
      loadTest: LIGHT_LOAD_TEST,
      timeline: { prepare: '3d', migrate: '1s', stabilize: '3d' },
      verify: {
        sse: { url: `${app.url}/api/news/stream`, event: 'headline', withinMs: 10_000 },
        ws: { channel: 'sse:/api/news/stream', event: 'headline', withinMs: 10_000 },
      },
    });
    await fs.writeFile(file, `${JSON.stringify(config, null, 2)}\n`);
  }, 60_000);

  it('prepare starts the bridge, probes the headlines on both sides and passes the baseline', async () => {
    const result = await runCli(['migrate', 'phase', 'prepare', '--yes', '--json'], { cwd: root, env, timeoutMs: 120_000 });
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { status: string; outcomes: { id: string; status: string; detail?: string }[] };
    expect(report.status).toBe('done');
    expect(report.outcomes.find((outcome) => outcome.id === 'prepare.probes')).toMatchObject({ status: 'done' });
    expect(await envValue(root, 'USE_NEW_WS_SYNC')).toBe('false');
    expect(await transport(`http://127.0.0.1:${port}`)).toBe('sse');
    expect(await phaseCommits(root, 'prepare')).toHaveLength(1);
    expect(await foreignStatus(root)).toBe('');
  }, 150_000);

  it('migrate swaps the four SSE sites in one commit and turns the flag on; the converted code then reads the app over the bridge', async () => {
    const result = await runCli(['migrate', 'phase', 'migrate', '--yes', '--json'], { cwd: root, env, timeoutMs: 120_000 });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(await phaseCommits(root, 'migrate')).toHaveLength(1);
    const changed = (await execa('git', ['show', '--name-only', '--format=', (await phaseCommits(root, 'migrate'))[0] as string], { cwd: root })).stdout.split('\n').filter(Boolean).sort();
    expect(changed).toEqual(expect.arrayContaining(SSE_FILES));
    expect(await fs.readFile(path.join(root, 'frontend/src/news.ts'), 'utf8')).toContain('new WsEventSource(');
    expect(await envValue(root, 'USE_NEW_WS_SYNC')).toBe('true');
    expect(await fs.readFile(path.join(root, FEATURES_MODULE), 'utf8')).toContain('useNewWSSync: true');
    expect(await transport(`http://127.0.0.1:${port}`)).toBe('ws');
    expect(await typecheckFrontend(root)).toEqual({ exitCode: 0, output: '' });
    expect(await foreignStatus(root)).toBe('');

    // The converted code as the page runs it: auto transport, the service's flag says ws.
    vi.stubGlobal('location', new URL(`${app.url}/`));
    vi.stubEnv('WS_ENDPOINT', `ws://127.0.0.1:${port}/ws`);
    try {
      vi.resetModules();
      const shared = (await import('wsmig/client')) as unknown as { getSharedClient(): WSClient };
      closers.push(() => shared.getSharedClient().close());
      const news = (await import(path.join(root, 'frontend/src/news.ts'))) as { followHeadlines(on: (headline: { n: number }) => void): () => void };
      const headlines: number[] = [];
      const stop = news.followHeadlines((headline) => headlines.push(headline.n));
      closers.push(stop);
      await vi.waitFor(() => expect(headlines.length).toBeGreaterThanOrEqual(3), { timeout: 20_000, interval: 100 });
      expect(headlines).toEqual(headlines.map((_n, index) => (headlines[0] as number) + index));
      const health = (await (await fetch(`http://127.0.0.1:${port}/health`)).json()) as { bridge: { routes: BridgedRoute[] } };
      expect(health.bridge.routes.find((route) => route.path === '/api/news/stream')?.subscribers).toBeGreaterThanOrEqual(1);
    } finally {
      vi.unstubAllGlobals();
      vi.unstubAllEnvs();
    }
  }, 150_000);

  it('stabilize refuses to remove the app\'s SSE server while the bridge relays its headlines, and changes nothing', async () => {
    const head = (await execa('git', ['rev-parse', 'HEAD'], { cwd: root })).stdout;
    const result = await runCli(['migrate', 'phase', 'stabilize', '--yes'], { cwd: root, env, timeoutMs: 60_000 });
    expect(result.exitCode, result.stderr).toBe(3);
    expect(result.stderr).toContain('still relays streams these legacy files serve');
    expect(result.stderr).toMatch(/server\.mjs: \/api\/news\/stream \(shared/);
    expect((await execa('git', ['rev-parse', 'HEAD'], { cwd: root })).stdout).toBe(head);
    expect(await fs.readFile(path.join(root, 'server.mjs'), 'utf8')).toContain('createChannel');
  }, 90_000);

  it('rollback turns the flag off, commits the features default back, and verifies the headlines over SSE from the app itself', async () => {
    const result = await runCli(['rollback', '--reason', 'news e2e', '--json'], { cwd: root, env, timeoutMs: 90_000 });
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { verified: boolean; verification: { checks: { name: string; ok: boolean; detail?: string }[] } };
    expect(report.verified).toBe(true);
    expect(report.verification.checks.length).toBeGreaterThan(0);
    expect(report.verification.checks.every((check) => check.ok)).toBe(true);
    expect(await envValue(root, 'USE_NEW_WS_SYNC')).toBe('false');
    expect(await transport(`http://127.0.0.1:${port}`)).toBe('sse');
    expect(await fs.readFile(path.join(root, FEATURES_MODULE), 'utf8')).toContain('useNewWSSync: false');
    // Both flips of the build-time default are in git, so what is deployed from a commit says what the files say.
    const flips = (await execa('git', ['log', '--format=%s', '--', FEATURES_MODULE], { cwd: root })).stdout.split('\n');
    expect(flips.slice(0, 2)).toEqual([`wsmig: USE_NEW_WS_SYNC off by default in ${FEATURES_MODULE}`, `wsmig: USE_NEW_WS_SYNC on by default in ${FEATURES_MODULE}`]);
    expect(await foreignStatus(root)).toBe('');
    expect(await fs.readFile(path.join(root, 'server.mjs'), 'utf8')).toContain('createChannel');
  }, 120_000);
});
