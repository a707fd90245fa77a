import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { MigrationContext } from '../../migration/context.js';
import { stabilizeSteps } from '../../migration/phases/stabilize.js';
import { probeWs } from '../../migration/probes/ws-probe.js';
import { literalServesPath, pathLiterals } from '../../migration/relayed-routes.js';
import { planSteps, runSteps, type Step } from '../../migration/steps.js';
import { createGateway, type Gateway } from '../../reference/server/index.js';
import { serversPerTest } from '../helpers/reference-servers.js';
import { removedAfterEachTest } from '../helpers/temp-dir.js';
import { freePort } from './helpers/service.js';
import { startSseApp } from './helpers/sse-app.js';
import { baseConfig, contextFor, createRepo, exists } from './helpers/temp-repo.js';

const NEWS = 'packages/server/src/legacy-news.ts';
const TOPICS = 'packages/server/src/legacy-topics.ts';
const OTHER = 'packages/server/src/legacy-other.ts';
const LEGACY_FILES = {
  [NEWS]: "app.get('/api/news/stream', (req, res) => streamNews(res));\n",
  [TOPICS]: 'router.get(`/api/:topic/stream`, topicStream);\n',
  [OTHER]: "app.get(\"/api/other/stream?x=1\", otherStream);\n",
};

function relayedRoutesStep(force = false): Step {
  return stabilizeSteps({ force }).find((step) => step.id === 'stabilize.relayed-routes') as Step;
}

describe('which legacy source text names a route', () => {
  it('reads the path literals of a source text, without query, an absolute URL reduced to its path', () => {
    const text = "const a = '/api/news/stream?x=1';\nconst b = \"http://localhost:3001/events#top\";\nconst c = `${base}/chat/${id}`;\nconst d = 'not a path';\nconst e = 'application/json';";
    expect(pathLiterals(text)).toEqual(['/api/news/stream', '/events', '${base}/chat/${id}']);
  });

  it.each([
    ['/api/news/stream', '/api/news/stream'],
    ['/api/news/stream/', '/api/news/stream'],
    ['/api/chats/:id/stream', '/api/chats/42/stream'],
    ['/api/chats/${chatId}/stream', '/api/chats/42/stream'],
    ['/api/chats/{id}/stream', '/api/chats/42/stream'],
    ['/api/chats/[id]/stream', '/api/chats/42/stream'],
    ['/api/[...rest]', '/api/chats/42/stream'],
    ['/api/*', '/api/chats/42/stream'],
    ['${API}/news/stream', '/v2/news/stream'],
  ])('%s serves %s', (literal, route) => {
    expect(literalServesPath(literal, route)).toBe(true);
  });

  it.each([
    ['/api/news', '/api/news/stream'],
    ['/api/news/stream', '/api/news'],
    ['/api/chats/:id/stream', '/api/chats/42/43/stream'],
    ['/api/chats/:id', '/api/users/42'],
    ['/api.news', '/api/news'],
  ])('%s does not serve %s', (literal, route) => {
    expect(literalServesPath(literal, route)).toBe(false);
  });
});

describe('stabilize refuses to remove a legacy file whose routes the bridge still relays', () => {
  const removeLater = removedAfterEachTest();
  const servers = serversPerTest();

  async function repoFor(baseUrl: string, legacyFiles: string[]): Promise<MigrationContext> {
    const config = baseConfig({ service: { command: ['node', 'server.js'], baseUrl }, legacyFiles });
    return contextFor(removeLater(await createRepo({ config, files: LEGACY_FILES })));
  }

  /** The reference server bridging the legacy app, with /api/news/stream relayed once. */
  async function bridgingService(): Promise<{ url: string }> {
    const app = await startSseApp();
    const service = await servers.start({ upstream: app.url });
    expect(await probeWs({ channel: 'sse:/api/news/stream', event: 'news', withinMs: 5_000 }, { url: service.wsUrl })).toMatchObject({ ok: true });
    return service;
  }

  it('refuses (exit 3) naming each file and route and what to do; journaled; nothing removed', async () => {
    const service = await bridgingService();
    const context = await repoFor(service.url, [NEWS, TOPICS, OTHER]);
    const result = await runSteps(context, [relayedRoutesStep()], { command: 'stabilize', dryRun: false });
    expect(result.error).toMatchObject({ code: 'LEGACY_ROUTES_RELAYED', exitCode: 3, details: { files: [{ file: NEWS, routes: [{ path: '/api/news/stream' }] }, { file: TOPICS, routes: [{ path: '/api/news/stream' }] }] } });
    const message = result.error?.message ?? '';
    expect(message).toContain(`${NEWS}: /api/news/stream`);
    expect(message).toContain(`${TOPICS}: /api/news/stream`);
    expect(message).not.toContain(OTHER);
    expect(message).toContain("gateway.publish('sse:/api/news/stream', event, data)");
    expect(message).toContain('--force');
    expect((await context.journal.read()).map((entry) => [entry.event, entry.step])).toEqual([['step-start', 'stabilize.relayed-routes'], ['step-fail', 'stabilize.relayed-routes']]);
    for (const file of [NEWS, TOPICS, OTHER]) expect(await exists(path.join(context.root, file))).toBe(true);
  });

  it('is dry-runnable: the plan names what blocks, and changes nothing', async () => {
    const service = await bridgingService();
    const context = await repoFor(service.url, [NEWS]);
    expect(await planSteps(context, [relayedRoutesStep()])).toMatchObject([
      { status: 'would-apply', detail: `the bridge still relays routes of legacy files: ${NEWS} (/api/news/stream)`, changes: [expect.stringContaining('unless --force')] },
    ]);
    expect(await context.journal.read()).toEqual([]);
  });

  it('goes on with --force, with a warning', async () => {
    const service = await bridgingService();
    const context = await repoFor(service.url, [NEWS]);
    const warnings: string[] = [];
    context.progress = (event) => void (event.kind === 'warning' && warnings.push(event.message));
    const result = await runSteps(context, [relayedRoutesStep(true)], { command: 'stabilize', dryRun: false });
    expect(result.error).toBeUndefined();
    expect(result.outcomes[0]?.detail).toContain('--force: going on although the bridge still relays routes of legacy files');
    expect(warnings).toEqual([expect.stringContaining(NEWS)]);
  });

  it('passes when no legacy file names a relayed route', async () => {
    const service = await bridgingService();
    const context = await repoFor(service.url, [OTHER, 'packages/server/src/legacy-sync.ts']);
    expect(await planSteps(context, [relayedRoutesStep()])).toMatchObject([{ status: 'skipped', detail: 'the bridge relays 1 route(s) (/api/news/stream), none named in the legacy files' }]);
  });

  it('passes, saying so, when the service has no bridge or does not answer', async () => {
    const plain = await servers.start();
    const [noBridge] = await planSteps(await repoFor(plain.url, [NEWS]), [relayedRoutesStep()]);
    expect(noBridge).toMatchObject({ status: 'skipped', detail: expect.stringContaining('shows no SSE bridge') });
    const [unreachable] = await planSteps(await repoFor(`http://127.0.0.1:${await freePort()}`, [NEWS]), [relayedRoutesStep()]);
    expect(unreachable).toMatchObject({ status: 'skipped', detail: expect.stringContaining('does not answer') });
  });

  describe('an app that embeds the gateway', () => {
    const closers: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const close of closers.splice(0).reverse()) await close();
    });

    /** node:http with the gateway attached and a /health that reports the bridge, as the app would. */
    async function appWithGateway(upstream: string): Promise<{ url: string; wsUrl: string; gateway: Gateway }> {
      let gateway: Gateway | undefined;
      const server: Server = createHttpServer((req, res) => {
        if (req.url === '/health') return void res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'ok', bridge: gateway?.bridge }));
        res.writeHead(404).end();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      closers.push(() => new Promise((resolve) => server.close(() => resolve())));
      gateway = await createGateway({ server, upstream });
      closers.push(() => (gateway as Gateway).close());
      const { port } = server.address() as AddressInfo;
      return { url: `http://127.0.0.1:${port}`, wsUrl: `ws://127.0.0.1:${port}/ws`, gateway };
    }

    it('passes once the app publishes the channel itself', async () => {
      const legacy = await startSseApp();
      const app = await appWithGateway(legacy.url);
      expect(await probeWs({ channel: 'sse:/api/news/stream', event: 'news', withinMs: 5_000 }, { url: app.wsUrl })).toMatchObject({ ok: true });
      const context = await repoFor(app.url, [NEWS]);
      expect(await planSteps(context, [relayedRoutesStep()])).toMatchObject([{ status: 'would-apply' }]);
      await app.gateway.publish('sse:/api/news/stream', 'news', { title: 'from the app' });
      expect(await planSteps(context, [relayedRoutesStep()])).toMatchObject([{ status: 'skipped', detail: 'the bridge relays 0 route(s), none named in the legacy files' }]);
    });
  });
});
