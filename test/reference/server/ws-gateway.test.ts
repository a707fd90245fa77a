import { randomBytes } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import type { WSMessage } from '../../../reference/protocol/index.js';
import { serversPerTest } from '../../helpers/reference-servers.js';
import { RawClient, serves, upgradeStatus } from './raw-client.js';

const { start } = serversPerTest();

/** Opens a WebSocket by hand and then never answers anything (not even a close frame). */
function silentPeer(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      const key = randomBytes(16).toString('base64');
      socket.write(`GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${key}\r\nSec-WebSocket-Version: 13\r\n\r\n`);
    });
    socket.once('data', (chunk) => (String(chunk).startsWith('HTTP/1.1 101') ? resolve(socket) : reject(new Error(String(chunk)))));
    socket.on('error', () => undefined);
  });
}

/** Opens a WebSocket offering `protocols`; resolves with the subprotocol the server chose (never the bearer one). */
function subprotocolAnswer(url: string, protocols: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols);
    ws.once('open', () => {
      resolve(ws.protocol);
      ws.close();
    });
    ws.once('error', reject);
  });
}

describe('upgrade checks answered over HTTP before any WebSocket exists', () => {
  it('requires the token (header or wsmig.bearer. subprotocol) when one is configured: 401 otherwise, 400 in the URL', async () => {
    const { wsUrl, registry } = await start({ token: 's3cret' });
    expect(await upgradeStatus(wsUrl)).toBe(401);
    expect(await upgradeStatus(wsUrl, { headers: { authorization: 'Bearer wrong' } })).toBe(401);
    expect(await upgradeStatus(wsUrl, { headers: { 'sec-websocket-protocol': 'wsmig.v1, wsmig.bearer.wrong' } })).toBe(401);
    expect(await upgradeStatus(`${wsUrl}?token=wrong`)).toBe(400);
    expect(await upgradeStatus(`${wsUrl}?token=s3cret`)).toBe(400);
    expect(await upgradeStatus(wsUrl, { headers: { authorization: 'Bearer s3cret' } })).toBe(101);
    expect(await subprotocolAnswer(wsUrl, ['wsmig.v1', 'wsmig.bearer.s3cret'])).toBe('wsmig.v1');
    expect(await serves(wsUrl, { headers: { authorization: 'Bearer s3cret' } })).toBe(true);
    const text = await registry.getSingleMetricAsString('wsmig_ws_connection_attempts_total');
    expect(text).toContain('wsmig_ws_connection_attempts_total{outcome="unauthorized"} 3');
    expect(text).toContain('wsmig_ws_connection_attempts_total{outcome="bad_request"} 2');
  });

  it('accepts ?token= from old clients only with allowQueryToken', async () => {
    const { wsUrl } = await start({ token: 's3cret', allowQueryToken: true });
    expect(await upgradeStatus(`${wsUrl}?token=s3cret`)).toBe(101);
    expect(await upgradeStatus(`${wsUrl}?token=wrong`)).toBe(401);
  });

  it('refuses an Origin outside the allowlist with 403 and accepts listed ones', async () => {
    const { wsUrl } = await start({ allowedOrigins: ['https://app.example.com'] });
    expect(await upgradeStatus(wsUrl, { origin: 'https://evil.example.com' })).toBe(403);
    expect(await upgradeStatus(wsUrl, { origin: 'https://app.example.com' })).toBe(101);
    expect(await serves(wsUrl, { origin: 'https://app.example.com' })).toBe(true);
  });

  it('answers 404 for an upgrade on another path', async () => {
    const { url } = await start();
    expect(await upgradeStatus(`${url.replace('http', 'ws')}/socket`)).toBe(404);
  });

  it('closes a connection over maxConnections with 4202 and keeps serving the others', async () => {
    const { wsUrl } = await start({ maxConnections: 2 });
    const first = await RawClient.connect(wsUrl);
    const second = await RawClient.connect(wsUrl);
    const third = await RawClient.connect(wsUrl);
    expect((await third.closed).code).toBe(4202);
    expect((await first.request('echo', 1)).type).toBe('reply');
    second.close();
    await second.closed;
    expect(await serves(wsUrl)).toBe(true);
    first.close();
  });
});

describe('heartbeat', () => {
  it('terminates a peer that does not answer pings, and keeps one that does', async () => {
    const { wsUrl } = await start({ heartbeatIntervalMs: 400 });
    const silent = await RawClient.connect(wsUrl, { autoPong: false });
    const healthy = await RawClient.connect(wsUrl);
    let pings = 0;
    healthy.ws.on('ping', () => (pings += 1));
    const closed = await silent.closed;
    expect(closed.code).toBe(1006);
    // Counted in heartbeats, not in ms: the one that answers is still open after three more pings.
    const seen = pings;
    await vi.waitFor(() => expect(pings).toBeGreaterThanOrEqual(seen + 3), { timeout: 10_000, interval: 50 });
    expect(healthy.ws.readyState).toBe(healthy.ws.OPEN);
    expect((await healthy.request('echo', 'alive')).payload).toBe('alive');
    healthy.close();
  });
});

describe('kick', () => {
  it('closes WebSocket clients with 4300 and reports how many', async () => {
    const s = await start();
    const clients = await Promise.all([1, 2, 3].map(() => RawClient.connect(s.wsUrl)));
    expect(s.kick(2)).toBe(2);
    expect(s.kick()).toBe(1);
    const codes = await Promise.all(clients.map(async (c) => (await c.closed).code));
    expect(codes).toEqual([4300, 4300, 4300]);
    expect(await serves(s.wsUrl)).toBe(true);
  });
});

describe('drain', () => {
  async function drainNotices(clients: RawClient[]): Promise<{ retryAfterMs: number; code: number }[]> {
    return Promise.all(
      clients.map(async (client) => {
        const notice: WSMessage = await client.next((m) => m.type === 'drain');
        const { code } = await client.closed;
        expect(notice).toMatchObject({ id: 'drain', channel: 'sys', payload: { reason: 'restart' } });
        return { retryAfterMs: (notice.payload as { retryAfterMs: number }).retryAfterMs, code };
      }),
    );
  }

  it('spreads retryAfterMs over the window with the injected random, and closes with 1012', async () => {
    const draws = [0.05, 0.15, 0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.95];
    let next = 0;
    const s = await start({ random: () => draws[next++ % draws.length] as number, drainWindowMs: 8000 });
    const clients = [];
    for (let i = 0; i < draws.length; i += 1) clients.push(await RawClient.connect(s.wsUrl));
    const noticesPromise = drainNotices(clients);
    await s.drain();
    const notices = await noticesPromise;
    expect(notices.map((n) => n.code)).toEqual(draws.map(() => 1012));
    expect(notices.map((n) => n.retryAfterMs).sort((a, b) => a - b)).toEqual(draws.map((d) => Math.floor(d * 8000)));
  });

  it('spreads 200 clients over the window with the real random source', async () => {
    const s = await start();
    const clients = await Promise.all(Array.from({ length: 200 }, () => RawClient.connect(s.wsUrl)));
    const noticesPromise = drainNotices(clients);
    await s.drain({ windowMs: 10_000 });
    const delays = (await noticesPromise).map((n) => n.retryAfterMs);
    expect(delays.every((d) => d >= 0 && d < 10_000)).toBe(true);
    // Uniform over the window: every tenth of it gets some clients, none gets a burst.
    const perTenth = Array.from({ length: 10 }, (_, i) => delays.filter((d) => Math.floor(d / 1000) === i).length);
    expect(Math.min(...perTenth)).toBeGreaterThan(0);
    expect(Math.max(...perTenth)).toBeLessThan(60);
  });

  it('refuses new upgrades (503) and reports draining while waiting, then terminates what is left after the timeout', async () => {
    const s = await start();
    const stuck = await silentPeer(s.port);
    const stuckClosed = new Promise<void>((resolve) => stuck.on('close', () => resolve()));
    const drained = s.drain({ windowMs: 1000, timeoutMs: 1500 });
    expect(s.draining).toBe(true);
    expect(await upgradeStatus(s.wsUrl)).toBe(503);
    const health = await fetch(`${s.url}/health`);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'draining' });
    await drained;
    await stuckClosed;
    expect(s.connections).toBe(0);
    await expect(fetch(`${s.url}/health`)).rejects.toThrow();
  });
});
