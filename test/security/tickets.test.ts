/**
 * Browser credentials without long-lived tokens in URLs: one-time tickets (`POST /api/ws-ticket`,
 * `gateway.issueTicket`), the `wsmig.bearer.` subprotocol, and the browser path of the client.
 * Each case is a real request against a real server on port 0.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket as NodeWebSocket } from 'ws';
import { WSClient, type WSGiveUpEvent } from '../../reference/client/ws-client.js';
import { waitForOpen } from '../../reference/client/wait-for-open.js';
import { createGateway, type Gateway } from '../../reference/server/index.js';
import { serversPerTest } from '../helpers/reference-servers.js';
import { RawClient } from '../reference/server/raw-client.js';
import { answer, postJson, upgrade } from './http-probe.js';

const { start } = serversPerTest();
const TOKEN = 'tok-s3cret-browser';
const bearer = { authorization: `Bearer ${TOKEN}` };

async function ticketFrom(url: string, headers: Record<string, string> = bearer): Promise<{ ticket: string; expiresInMs: number }> {
  const response = await postJson(`${url}/api/ws-ticket`, {}, headers);
  expect(response.status).toBe(200);
  return (await response.json()) as { ticket: string; expiresInMs: number };
}

describe('POST /api/ws-ticket and ?ticket= on the upgrade', () => {
  it('issues a random ticket for the token holder, which opens one connection, once', async () => {
    const s = await start({ token: TOKEN });
    const first = await ticketFrom(s.url);
    const second = await ticketFrom(s.url);
    expect(first.expiresInMs).toBe(10_000);
    expect(first.ticket).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(second.ticket).not.toBe(first.ticket);
    expect(first.ticket).not.toContain(TOKEN);
    expect((await upgrade(`${s.wsUrl}?ticket=${first.ticket}`)).status).toBe(101);
    expect(await upgrade(`${s.wsUrl}?ticket=${first.ticket}`)).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(await upgrade(`${s.wsUrl}?ticket=made-up`)).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    const client = await RawClient.connect(`${s.wsUrl}?ticket=${second.ticket}`);
    expect((await client.request('echo', { via: 'ticket' })).payload).toEqual({ via: 'ticket' });
    client.close();
  });

  it('refuses to issue one without the token (401), with the token in the URL (400), or cross-site (403)', async () => {
    const s = await start({ token: TOKEN });
    expect(await answer(await postJson(`${s.url}/api/ws-ticket`, {}))).toEqual({ status: 401, code: 'UNAUTHORIZED' });
    expect(await answer(await postJson(`${s.url}/api/ws-ticket`, {}, { authorization: 'Bearer wrong' }))).toEqual({ status: 401, code: 'UNAUTHORIZED' });
    expect(await answer(await postJson(`${s.url}/api/ws-ticket?token=${TOKEN}`, {}))).toEqual({ status: 400, code: 'TOKEN_IN_URL' });
    expect(await answer(await postJson(`${s.url}/api/ws-ticket`, {}, { ...bearer, origin: 'https://evil.example.com' }))).toEqual({ status: 403, code: 'FORBIDDEN_ORIGIN' });
    expect(await answer(await fetch(`${s.url}/api/ws-ticket`, { headers: bearer }))).toEqual({ status: 405, code: 'METHOD_NOT_ALLOWED' });
  });

  it('expires a ticket after ticketTtlMs', async () => {
    let nowMs = 1_700_000_000_000;
    const s = await start({ token: TOKEN, ticketTtlMs: 200, clock: () => nowMs });
    const { ticket, expiresInMs } = await ticketFrom(s.url);
    const early = await ticketFrom(s.url);
    expect(expiresInMs).toBe(200);
    nowMs += 199;
    expect((await upgrade(`${s.wsUrl}?ticket=${early.ticket}`)).status).toBe(101);
    nowMs += 1;
    expect(await upgrade(`${s.wsUrl}?ticket=${ticket}`)).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  });

  it('keeps at most maxTickets waiting: one more gets 503 TOO_MANY_TICKETS, and a redeemed one frees its place', async () => {
    const s = await start({ token: TOKEN, maxTickets: 2 });
    const first = await ticketFrom(s.url);
    await ticketFrom(s.url);
    const refused = await postJson(`${s.url}/api/ws-ticket`, {}, bearer);
    expect(refused.headers.get('retry-after')).toBe('5');
    expect(await answer(refused)).toEqual({ status: 503, code: 'TOO_MANY_TICKETS' });
    expect((await upgrade(`${s.wsUrl}?ticket=${first.ticket}`)).status).toBe(101);
    await ticketFrom(s.url);
  });

  it('refuses a long-lived ?token= on the upgrade (400 TOKEN_IN_URL) and accepts the wsmig.bearer. subprotocol, answering with the real one', async () => {
    const s = await start({ token: TOKEN });
    expect(await upgrade(`${s.wsUrl}?token=${TOKEN}`)).toMatchObject({ status: 400, code: 'TOKEN_IN_URL' });
    expect(await upgrade(s.wsUrl, { 'sec-websocket-protocol': `wsmig.v1, wsmig.bearer.${TOKEN}` })).toEqual({ status: 101, code: undefined, protocol: 'wsmig.v1' });
    expect(await upgrade(s.wsUrl, { 'sec-websocket-protocol': 'wsmig.v1, wsmig.bearer.wrong' })).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
  });
});

describe('gateway.issueTicket (embedded)', () => {
  let gateway: Gateway<{ id: string }> | undefined;
  afterEach(async () => {
    await gateway?.close();
    gateway = undefined;
  });

  it('hands the ticket\'s identity to the connection, without token or authenticate, once', async () => {
    let authenticateCalls = 0;
    gateway = await createGateway<{ id: string }>({
      port: 0,
      token: 'gateway-token',
      authenticate: () => {
        authenticateCalls += 1;
        return undefined;
      },
    });
    gateway.handle('whoami', (_payload, { identity }) => identity);
    const url = gateway.url as string;
    const { ticket, expiresInMs } = gateway.issueTicket({ id: 'ada' });
    expect(expiresInMs).toBe(10_000);
    const client = await RawClient.connect(`${url}?ticket=${ticket}`);
    expect((await client.request('whoami')).payload).toEqual({ id: 'ada' });
    client.close();
    expect(await upgrade(`${url}?ticket=${ticket}`)).toMatchObject({ status: 401, code: 'UNAUTHORIZED' });
    expect(authenticateCalls).toBe(0);
  });
});

describe('the client in a browser (no headers on an upgrade)', () => {
  /** `ws` standing in for the browser's WebSocket: not registered as taking headers, so the client takes its browser path. */
  function browserWebSocket() {
    const urls: string[] = [];
    class BrowserWebSocket extends NodeWebSocket {
      constructor(url: string, protocols?: string | string[]) {
        super(url, protocols);
        urls.push(url);
      }
    }
    return { WebSocket: BrowserWebSocket as unknown as ConstructorParameters<typeof WSClient>[0]['WebSocket'], urls };
  }

  function recordingFetch() {
    const calls: Array<{ url: string; method: string | undefined; authorization: string | undefined }> = [];
    const fetchImpl: typeof fetch = async (input, init) => {
      calls.push({ url: String(input), method: init?.method, authorization: (init?.headers as Record<string, string> | undefined)?.['Authorization'] });
      return fetch(input, init);
    };
    return { fetch: fetchImpl, calls };
  }

  let client: WSClient | undefined;
  afterEach(() => {
    client?.close();
    client = undefined;
  });

  it('gets a ticket before each connection attempt and never puts the token in a URL', async () => {
    const s = await start({ token: TOKEN });
    const browser = browserWebSocket();
    const desk = recordingFetch();
    client = new WSClient({ url: s.wsUrl, token: TOKEN, WebSocket: browser.WebSocket, fetch: desk.fetch, reconnectDelay: 10, heartbeatInterval: 0 });
    await waitForOpen(client, { timeoutMs: 5_000 });
    expect(await client.request('echo', { from: 'browser' })).toEqual({ from: 'browser' });
    expect(desk.calls).toEqual([{ url: `${s.url}/api/ws-ticket`, method: 'POST', authorization: `Bearer ${TOKEN}` }]);
    expect(browser.urls).toHaveLength(1);
    expect(new URL(browser.urls[0] as string).searchParams.get('ticket')).toMatch(/^[A-Za-z0-9_-]{32}$/);
    // A kick: the reconnect gets a fresh ticket (the first one is spent).
    const reopened = new Promise<void>((resolve) => client?.on('open', () => resolve()));
    s.kick();
    await reopened;
    expect(desk.calls).toHaveLength(2);
    expect(browser.urls).toHaveLength(2);
    expect(browser.urls[1]).not.toBe(browser.urls[0]);
    for (const url of browser.urls) expect(url).not.toContain(TOKEN);
  });

  it('gives up (reauthenticate) when the ticket endpoint refuses its token, without opening a socket', async () => {
    const s = await start({ token: TOKEN });
    const browser = browserWebSocket();
    client = new WSClient({ url: s.wsUrl, token: 'wrong-token', WebSocket: browser.WebSocket, reconnectDelay: 10, heartbeatInterval: 0 });
    client.on('error', () => undefined);
    const gaveUp = await new Promise<WSGiveUpEvent>((resolve) => client?.on('give-up', resolve));
    expect(gaveUp.cause).toBe('reauthenticate');
    expect(browser.urls).toEqual([]);
  });

  it('uses a ticket provider of the app\'s own when given one', async () => {
    const s = await start({ token: TOKEN });
    const browser = browserWebSocket();
    client = new WSClient({ url: s.wsUrl, ticket: () => s.issueTicket().ticket, WebSocket: browser.WebSocket, heartbeatInterval: 0 });
    await waitForOpen(client, { timeoutMs: 5_000 });
    expect(await client.request('echo', 1)).toBe(1);
    expect(new URL(browser.urls[0] as string).searchParams.has('ticket')).toBe(true);
  });
});
