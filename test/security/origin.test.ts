/**
 * Cross-site attacks: a foreign page opening the WebSocket or an SSE stream with the user's
 * cookies (cross-site WebSocket hijacking), and simple cross-site POSTs (`text/plain`, forms).
 * Each case is a real request against a real server on port 0.
 */
import { createServer as createHttpServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateway, type Gateway } from '../../reference/server/index.js';
import { serversPerTest } from '../helpers/reference-servers.js';
import { answer, postJson, upgrade } from './http-probe.js';

const { start } = serversPerTest();
const EVIL = 'https://evil.example.com';
const COOKIE = { cookie: 'session=alice-session-cookie' };

async function syncsStarted(registry: { getSingleMetricAsString(name: string): Promise<string> }): Promise<number> {
  const text = await registry.getSingleMetricAsString('wsmig_sync_jobs_total');
  return Number(/wsmig_sync_jobs_total\{status="started"\} (\d+)/.exec(text)?.[1] ?? 0);
}

describe('the WebSocket upgrade', () => {
  it('refuses a foreign Origin carrying cookies by default: 403 FORBIDDEN_ORIGIN, no WebSocket', async () => {
    const s = await start();
    expect(await upgrade(s.wsUrl, { origin: EVIL, ...COOKIE })).toMatchObject({ status: 403, code: 'FORBIDDEN_ORIGIN' });
    expect(await upgrade(s.wsUrl, { origin: EVIL })).toMatchObject({ status: 403, code: 'FORBIDDEN_ORIGIN' });
    expect(await upgrade(s.wsUrl, { origin: 'null', ...COOKIE })).toMatchObject({ status: 403, code: 'FORBIDDEN_ORIGIN' });
    expect(s.connections).toBe(0);
  });

  it('accepts its own origin (Origin host = Host), listed origins, and non-browsers (no Origin)', async () => {
    const s = await start({ allowedOrigins: ['https://app.example.com'] });
    expect((await upgrade(s.wsUrl, { origin: s.url, ...COOKIE })).status).toBe(101);
    expect((await upgrade(s.wsUrl, { origin: 'https://app.example.com', ...COOKIE })).status).toBe(101);
    expect((await upgrade(s.wsUrl, COOKIE)).status).toBe(101);
    // Another port on the same host is another origin.
    expect(await upgrade(s.wsUrl, { origin: 'http://127.0.0.1:1' })).toMatchObject({ status: 403, code: 'FORBIDDEN_ORIGIN' });
  });

  it('with "*", serves a foreign origin only without cookies: with them 403 CROSS_SITE_COOKIES', async () => {
    const s = await start({ allowedOrigins: ['*'] });
    expect((await upgrade(s.wsUrl, { origin: EVIL })).status).toBe(101);
    expect(await upgrade(s.wsUrl, { origin: EVIL, ...COOKIE })).toMatchObject({ status: 403, code: 'CROSS_SITE_COOKIES' });
    expect((await upgrade(s.wsUrl, { origin: s.url, ...COOKIE })).status).toBe(101);
  });
});

describe('the bridge never carries a foreign page\'s cookies upstream', () => {
  let upstream: Server | undefined;
  let gateway: Gateway | undefined;
  afterEach(async () => {
    await gateway?.close();
    await new Promise<void>((resolve) => (upstream ? upstream.close(() => resolve()) : resolve()));
    upstream = gateway = undefined;
  });

  it('refuses the upgrade (403) before any upstream request, even with allowedOrigins "*"', async () => {
    const seen: IncomingMessage['headers'][] = [];
    upstream = createHttpServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('data: private\n\n');
    });
    await new Promise<void>((resolve) => upstream?.listen(0, '127.0.0.1', resolve));
    gateway = await createGateway({ port: 0, allowedOrigins: ['*'], upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}` });
    const wsUrl = gateway.url as string;
    expect(await upgrade(wsUrl, { origin: EVIL, ...COOKIE })).toMatchObject({ status: 403, code: 'CROSS_SITE_COOKIES' });
    expect(await upgrade(`${wsUrl}?channel=sse:/me`, { origin: EVIL, ...COOKIE })).toMatchObject({ status: 403, code: 'CROSS_SITE_COOKIES' });
    expect(seen).toEqual([]);
  });
});

describe('the legacy SSE endpoints', () => {
  it('refuse a foreign Origin with cookies (GET and POST): 403, no sync started', async () => {
    const s = await start({ sync: { batchDelayMs: 1 } });
    expect(await answer(await fetch(`${s.url}/api/sync/1/events?start=1`, { headers: { origin: EVIL, ...COOKIE } }))).toEqual({ status: 403, code: 'FORBIDDEN_ORIGIN' });
    expect(await answer(await postJson(`${s.url}/commands/sync`, { chatId: 2 }, { origin: EVIL, ...COOKIE }))).toEqual({ status: 403, code: 'FORBIDDEN_ORIGIN' });
    expect(await syncsStarted(s.registry)).toBe(0);
  });

  it('with "*", refuse a foreign Origin only when it carries cookies: 403 CROSS_SITE_COOKIES', async () => {
    const s = await start({ allowedOrigins: ['*'], sync: { totalMessages: 10, batchSize: 10, batchDelayMs: 1 } });
    expect(await answer(await fetch(`${s.url}/api/sync/3/events?start=1`, { headers: { origin: EVIL, ...COOKIE } }))).toEqual({ status: 403, code: 'CROSS_SITE_COOKIES' });
    expect(await syncsStarted(s.registry)).toBe(0);
    const open = await fetch(`${s.url}/api/sync/3/events?start=1`, { headers: { origin: EVIL } });
    expect(open.status).toBe(200);
    expect(open.headers.get('access-control-allow-origin')).toBe(EVIL);
    expect(open.headers.get('access-control-allow-credentials')).toBeNull();
    await open.text();
  });

  it('serve the server\'s own pages and non-browsers', async () => {
    const s = await start({ sync: { totalMessages: 10, batchSize: 10, batchDelayMs: 1 } });
    const own = await postJson(`${s.url}/commands/sync`, { chatId: 4 }, { origin: s.url, ...COOKIE });
    expect(own.status).toBe(200);
    expect(await own.text()).toContain('event: complete');
    const plain = await fetch(`${s.url}/api/sync/6/events?start=1`, { headers: COOKIE });
    expect(plain.status).toBe(200);
    expect(await plain.text()).toContain('event: complete');
  });
});

describe('POST bodies that a foreign page could send without a preflight', () => {
  it('are refused with 415 UNSUPPORTED_MEDIA_TYPE (text/plain, form, multipart, none): no sync started', async () => {
    const s = await start({ sync: { batchDelayMs: 1 } });
    const body = JSON.stringify({ chatId: 5 });
    for (const type of ['text/plain;charset=UTF-8', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', undefined]) {
      const response = await fetch(`${s.url}/commands/sync`, { method: 'POST', headers: type === undefined ? {} : { 'content-type': type }, body: type === undefined ? undefined : body });
      expect(await answer(response), String(type)).toEqual({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    }
    expect(await answer(await fetch(`${s.url}/api/ws-ticket`, { method: 'POST', headers: { 'content-type': 'text/plain' }, body: '{}' }))).toEqual({ status: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    expect(await syncsStarted(s.registry)).toBe(0);
  });
});
