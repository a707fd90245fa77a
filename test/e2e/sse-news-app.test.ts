/**
 * The second example (examples/sse-news-app): an Express + better-sse app, migrated with the real CLI.
 * Its frontend's SSE sites are swapped to the drop-in adapters; with `wsmig server --upstream` in
 * front of the unchanged app, every stream reaches those adapters over WebSocket — the public
 * headlines with the same ids and order as EventSource gets directly, each user's notifications to
 * that user only, the POSTed chat reply word for word; then the app publishes the headlines itself
 * on its own embedded gateway, and the same adapter code reads them there.
 */
import { EventSource } from 'eventsource';
import { execa, type ResultPromise } from 'execa';
import { promises as fs } from 'node:fs';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { WSClient, WsEventSource, wsFetch } from '../../reference/client/node.js';
import { REPO_ROOT, runCli } from '../helpers/cli.js';
import { startServerCli } from '../helpers/server-process.js';
import { makeTempDir, removeDir } from '../helpers/temp-dir.js';
import { commitAll } from '../codemods/git-repo.js';

const APP = path.join(REPO_ROOT, 'examples/sse-news-app');

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
    });
  });
}

/** Starts the example's server as its README says (`npm start`, i.e. `node server.mjs`); resolves with its URL once it listens. */
async function startApp(env: Record<string, string> = {}): Promise<string> {
  const port = await freePort();
  const child: ResultPromise = execa(process.execPath, [path.join(APP, 'server.mjs')], { env: { PORT: String(port), ...env }, reject: false, buffer: false });
  cleanups.push(() => child.kill());
  return new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      const line = String(chunk).split('\n').find((text) => text.startsWith('{"event":"listening"'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    void child.then((result) => reject(new Error(`the example app exited (${String(result.exitCode)}): ${String(result.stderr)}`)));
  });
}

async function login(appUrl: string, user: string): Promise<string> {
  const response = await fetch(`${appUrl}/api/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ user }) });
  expect(response.status).toBe(200);
  return (response.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
}

interface Seen {
  id: string;
  data: string;
}

type Listenable = { addEventListener(type: string, listener: (event: MessageEvent) => void): void };

function record(source: Listenable, type: string, into: Seen[]): void {
  source.addEventListener(type, (event) => into.push({ id: event.lastEventId, data: String(event.data) }));
}

function gatewayClient(wsUrl: string): WSClient {
  const client = new WSClient({ url: wsUrl });
  client.on('error', () => undefined);
  cleanups.push(() => client.close());
  return client;
}

describe('examples/sse-news-app migrated through the SSE bridge', () => {
  let repo: string;

  beforeAll(async () => {
    repo = await makeTempDir('wsmig-news-app-');
    await fs.cp(path.join(APP, 'frontend'), path.join(repo, 'frontend'), { recursive: true });
    await fs.copyFile(path.join(APP, 'wsmig.config.json'), path.join(repo, 'wsmig.config.json'));
    await execa('git', ['init', '-q'], { cwd: repo });
    await execa('git', ['add', '-A'], { cwd: repo });
    await commitAll(repo, 'the news app frontend, before WebSocket');
  });
  afterAll(async () => {
    await removeDir(repo);
  });

  it('sse-to-ws swaps every SSE site of the frontend to its drop-in adapter behind the flag, and a second run changes nothing', async () => {
    const result = await runCli(['codemod', 'run', 'sse-to-ws', 'frontend/src', '--json'], { cwd: repo });
    expect(result.exitCode, result.stderr).toBe(0);
    const summary = JSON.parse(result.stdout) as { changed: string[]; manual: unknown[]; failed: unknown[]; sitesConverted: number };
    expect(summary.failed).toEqual([]);
    expect(summary.manual).toEqual([]);
    expect(summary.sitesConverted).toBe(4);
    expect(summary.changed.sort()).toEqual(['frontend/src/chat-stream.ts', 'frontend/src/chat.ts', 'frontend/src/news.ts', 'frontend/src/notifications.ts']);
    const read = (file: string): Promise<string> => fs.readFile(path.join(repo, 'frontend/src', file), 'utf8');
    const news = await read('news.ts');
    expect(news).toContain("import { features } from './config/features.js';");
    expect(news.replace(/\s+/g, ' ')).toContain("const source = features.useNewWSSync ? new WsEventSource('/api/news/stream') : new EventSource('/api/news/stream');");
    expect(await read('chat.ts')).toContain('(features.useNewWSSync ? wsFetchEventSource : fetchEventSource)("/api/chat", {');
    expect(await read('chat-stream.ts')).toContain("(features.useNewWSSync ? wsFetch : fetch)('/api/chat', {");
    const notifications = await read('notifications.ts');
    expect(notifications).toContain('? new WsEventSource(`${base}/api/notifications/stream`, { withCredentials: true })');
    // The tab-indented, semicolon-free file stays so.
    expect(notifications).not.toMatch(/;\n/);
    expect(notifications).toMatch(/\n\tconst stream = /);

    await commitAll(repo, 'sse-to-ws');
    const again = await runCli(['codemod', 'run', 'sse-to-ws', 'frontend/src', '--json'], { cwd: repo });
    expect((JSON.parse(again.stdout) as { changed: string[] }).changed).toEqual([]);
  }, 90_000);

  it('relays the public headlines, each user\'s own notifications and the POSTed chat reply over WebSocket, as the app serves them directly', async () => {
    const appUrl = await startApp();
    const gateway = await startServerCli({ args: ['--upstream', appUrl, '--shared-route', '/api/news/stream'] });
    cleanups.push(() => gateway.child.kill());
    const client = gatewayClient(gateway.listening.wsUrl);
    const adapter = { client, transport: 'ws' as const };

    // Headlines: the same ids, data and order as an EventSource straight to the app.
    const direct: Seen[] = [];
    const native = new EventSource(`${appUrl}/api/news/stream`);
    cleanups.push(() => native.close());
    record(native as unknown as Listenable, 'headline', direct);
    const relayed: Seen[] = [];
    const headlines = new WsEventSource(`${appUrl}/api/news/stream`, {}, adapter);
    cleanups.push(() => headlines.close());
    record(headlines, 'headline', relayed);
    const common = (): Set<string> => new Set(direct.map((event) => event.id).filter((id) => relayed.some((event) => event.id === id)));
    await vi.waitFor(() => expect(common().size).toBeGreaterThanOrEqual(8), { timeout: 20_000, interval: 100 });
    expect(headlines.transport).toBe('ws');
    const ids = common();
    expect(relayed.filter((event) => ids.has(event.id))).toEqual(direct.filter((event) => ids.has(event.id)));
    expect(relayed.map((event) => Number(event.id))).toEqual(relayed.map((_event, index) => Number(relayed[0]?.id) + index));

    // Notifications: per user (one socket each, as two browsers), with the session cookie forwarded upstream; each user sees only their own.
    const byUser = new Map<string, Seen[]>();
    for (const user of ['ada', 'grace']) {
      const seen: Seen[] = [];
      byUser.set(user, seen);
      const own = { client: gatewayClient(gateway.listening.wsUrl), transport: 'ws' as const };
      const stream = new WsEventSource(`${appUrl}/api/notifications/stream`, { headers: { cookie: await login(appUrl, user) } }, own);
      cleanups.push(() => stream.close());
      record(stream, 'notification', seen);
    }
    await vi.waitFor(() => expect([...byUser.values()].every((seen) => seen.length >= 3)).toBe(true), { timeout: 20_000, interval: 100 });
    for (const [user, seen] of byUser) {
      for (const event of seen) expect((JSON.parse(event.data) as { for: string }).for).toBe(user);
      expect(seen[0]?.id).toBe(`${user}:1`);
    }
    // Without a session the app answers 401, and the adapter reports it as EventSource would: error, then closed.
    const anonymous = new WsEventSource(`${appUrl}/api/notifications/stream`, {}, adapter);
    cleanups.push(() => anonymous.close());
    await vi.waitFor(() => expect(anonymous.readyState).toBe(WsEventSource.CLOSED), { timeout: 10_000 });

    // Chat: the POSTed reply through wsFetch carries the same events as the one a direct fetch reads.
    const init = { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ prompt: 'what is new today' }) };
    const directReply = await (await fetch(`${appUrl}/api/chat`, init)).text();
    const relayedResponse = await wsFetch(`${appUrl}/api/chat`, init, adapter);
    expect(relayedResponse.status).toBe(200);
    expect(relayedResponse.headers.get('content-type')).toContain('text/event-stream');
    const relayedReply = await relayedResponse.text();
    // better-sse writes `data:x`, the relayed body `data: x`: both mean the same to every SSE parser.
    const tokens = (text: string): string[] => [...text.matchAll(/^data: ?(.*)$/gm)].map((match) => match[1] ?? '');
    expect(tokens(relayedReply)).toEqual(tokens(directReply));
    expect(tokens(relayedReply)).toContain('{"word":"today","i":5}');
  }, 90_000);

  it('once the app publishes the headlines itself on its embedded gateway, the same adapter reads them there, same event and shape', async () => {
    const appUrl = await startApp({ NEWS_NATIVE_WS: '1', WSMIG_SERVER_MODULE: path.join(REPO_ROOT, 'dist/reference/server/index.js') });
    const client = gatewayClient(`${appUrl.replace('http', 'ws')}/ws`);
    const seen: Seen[] = [];
    const headlines = new WsEventSource(`${appUrl}/api/news/stream`, {}, { client, transport: 'ws' });
    cleanups.push(() => headlines.close());
    record(headlines, 'headline', seen);
    await vi.waitFor(() => expect(seen.length).toBeGreaterThanOrEqual(3), { timeout: 20_000, interval: 100 });
    expect(seen.map((event) => Number(event.id))).toEqual(seen.map((_event, index) => Number(seen[0]?.id) + index));
    for (const event of seen) expect(JSON.parse(event.data)).toMatchObject({ n: Number(event.id), title: `Headline ${event.id}` });
  }, 60_000);
});
