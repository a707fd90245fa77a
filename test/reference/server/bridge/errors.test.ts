import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { WsmigError } from '../../../../lib/errors.js';
import { errorBodyOf } from '../../../../reference/server/bridge/index.js';
import { bridgeTo, follow, until } from './harness.js';
import { openSse, startUpstream } from './upstream-server.js';

const anonymous = { headers: {} };

/** The WsmigError a promise rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<WsmigError> {
  const outcome = await promise.then(
    () => undefined,
    (error: unknown) => error,
  );
  expect(outcome).toBeInstanceOf(WsmigError);
  return outcome as WsmigError;
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('SSE bridge: upstream failures are typed errors, never hangs', () => {
  it('401 → UPSTREAM_STATUS with the status, headers and body; not retryable', async () => {
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' }).end('{"error":"login first"}');
    });
    const { bridge } = bridgeTo(upstream.url);
    const error = await rejection(bridge.attach('sse:/me/events', anonymous, {}));
    expect(error.code).toBe('UPSTREAM_STATUS');
    expect(error.details).toMatchObject({ status: 401, body: '{"error":"login first"}', headers: { 'www-authenticate': 'Bearer', 'content-type': 'application/json' } });
    expect(errorBodyOf(error)).toMatchObject({ code: 'UPSTREAM_STATUS', retryable: false });
    expect(bridge.status().upstreamStreams).toBe(0);
  });

  it('500 → UPSTREAM_STATUS, retryable; a body above 64 KiB is cut', async () => {
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(500, { 'content-type': 'text/plain' }).end('x'.repeat(200_000));
    });
    const { bridge } = bridgeTo(upstream.url);
    const error = await rejection(bridge.attach('sse:/events', anonymous, {}));
    expect(error.code).toBe('UPSTREAM_STATUS');
    expect((error.details as { status: number; body: string }).status).toBe(500);
    expect((error.details as { body: string }).body).toHaveLength(64 * 1024);
    expect(errorBodyOf(error).retryable).toBe(true);
  });

  it('200 text/html → UPSTREAM_NOT_SSE with the page in details', async () => {
    const upstream = await startUpstream((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end('<h1>Sign in</h1>');
    });
    const { bridge } = bridgeTo(upstream.url);
    const error = await rejection(bridge.attach('sse:/events', anonymous, {}));
    expect(error.code).toBe('UPSTREAM_NOT_SSE');
    expect(error.details).toMatchObject({ status: 200, body: '<h1>Sign in</h1>' });
  });

  it('no response headers within connectTimeoutMs → UPSTREAM_TIMEOUT', async () => {
    const upstream = await startUpstream(() => undefined);
    const { bridge } = bridgeTo(upstream.url, { connectTimeoutMs: 100 });
    const error = await rejection(bridge.attach('sse:/stalls', anonymous, {}));
    expect(error.code).toBe('UPSTREAM_TIMEOUT');
    await until(() => upstream.openResponses() === 0, 'the stalled request to be abandoned');
  });

  it('connection refused → UPSTREAM_UNREACHABLE, for attach and for fetch', async () => {
    const { bridge } = bridgeTo(`http://127.0.0.1:${await closedPort()}`);
    const attachError = await rejection(bridge.attach('sse:/events', anonymous, {}));
    expect(attachError.code).toBe('UPSTREAM_UNREACHABLE');
    expect(attachError.message).toContain('ECONNREFUSED');
    expect((await rejection(bridge.fetch({ url: '/chat', method: 'POST', body: '{}' }, anonymous))).code).toBe('UPSTREAM_UNREACHABLE');
  });

  it('HTTP 204 → the channel ends with sse:end (as EventSource stops on 204)', async () => {
    const upstream = await startUpstream((_req, res) => res.writeHead(204).end());
    const { hub, bridge } = bridgeTo(upstream.url);
    const attachment = await bridge.attach('sse:/finished', anonymous, {});
    const client = await follow(hub, attachment.hubChannel);
    await until(() => client.events.length === 1, 'sse:end');
    expect(client.events[0]).toMatchObject({ type: 'sse:end', data: { reason: 'upstream-closed' } });
  });

  it('ends with sse:error after maxRetries failed reconnects; a 4xx on reconnect ends it at once', async () => {
    let calls = 0;
    const flaky = await startUpstream((_req, res) => {
      calls += 1;
      if (calls === 1) {
        openSse(res);
        res.end('id: 1\ndata: only event\n\n');
      } else res.writeHead(503).end('down for maintenance');
    });
    const { hub, bridge } = bridgeTo(flaky.url, { retryMs: 5, maxRetries: 3 });
    const attachment = await bridge.attach('sse:/events', anonymous, {});
    const client = await follow(hub, attachment.hubChannel);
    await until(() => client.events.some((e) => e.type === 'sse:error'), 'sse:error');
    expect(client.events[0]).toMatchObject({ type: 'message', data: 'only event', eventId: '1' });
    expect(client.events[1]).toMatchObject({ type: 'sse:error', data: { code: 'UPSTREAM_STATUS', retryable: true, details: { status: 503, body: 'down for maintenance' } } });
    expect(flaky.requests).toHaveLength(1 + 3);

    let logins = 0;
    const expiring = await startUpstream((_req, res) => {
      logins += 1;
      if (logins === 1) {
        openSse(res);
        res.end('data: hello\n\n');
      } else res.writeHead(401).end();
    });
    const second = bridgeTo(expiring.url, { retryMs: 5, maxRetries: 10 });
    const expiringAttachment = await second.bridge.attach('sse:/events', anonymous, {});
    const expiringClient = await follow(second.hub, expiringAttachment.hubChannel);
    await until(() => expiringClient.events.some((e) => e.type === 'sse:error'), 'sse:error after a 401');
    expect(expiringClient.events[1]).toMatchObject({ type: 'sse:error', data: { code: 'UPSTREAM_STATUS', details: { status: 401 } } });
    expect(expiring.requests).toHaveLength(2);
  });

  it('an event longer than maxEventLength fails the stream with UPSTREAM_NOT_SSE', async () => {
    const upstream = await startUpstream((_req, res) => {
      openSse(res);
      res.write(`data: ${'y'.repeat(5_000)}\n\n`);
    });
    const { hub, bridge } = bridgeTo(upstream.url, { maxEventLength: 1_000 });
    const attachment = await bridge.attach('sse:/huge', anonymous, {});
    const client = await follow(hub, attachment.hubChannel);
    await until(() => client.events.length === 1, 'sse:error');
    expect(client.events[0]).toMatchObject({ type: 'sse:error', data: { code: 'UPSTREAM_NOT_SSE' } });
  });

  it('refuses a stream beyond maxUpstreamStreams with a retryable UPSTREAM_UNREACHABLE', async () => {
    const upstream = await startUpstream((_req, res) => openSse(res));
    const { bridge } = bridgeTo(upstream.url, { maxUpstreamStreams: 1 });
    await bridge.attach('sse:/a', anonymous, {});
    const error = await rejection(bridge.attach('sse:/b', anonymous, {}));
    expect(error.code).toBe('UPSTREAM_UNREACHABLE');
    expect(errorBodyOf(error).retryable).toBe(true);
    expect(upstream.requests.map((r) => r.url)).toEqual(['/a']);
  });
});

describe('SSE bridge: only the upstream origin, only allowed routes', () => {
  it('never contacts another host (SSRF): //host paths stay paths on the upstream, other URLs are reduced or refused', async () => {
    const internal = await startUpstream((_req, res) => res.end('secret'));
    const upstream = await startUpstream((_req, res) => res.writeHead(404).end());
    const { bridge } = bridgeTo(upstream.url);
    const host = `127.0.0.1:${internal.port}`;
    for (const channel of [`sse://${host}/secret`, `sse:/\\${host}/secret`, `sse:/@${host}/secret`]) {
      expect((await rejection(bridge.attach(channel, anonymous, {}))).code).toBe('UPSTREAM_STATUS');
    }
    expect((await rejection(bridge.attach(`sse:http://${host}/secret`, anonymous, {}))).code).toBe('NO_ROUTE');
    expect((await rejection(bridge.fetch({ url: `http://${host}/secret` }, anonymous))).code).toBe('UPSTREAM_STATUS');
    expect((await rejection(bridge.fetch({ url: `//${host}/secret` }, anonymous))).code).toBe('NO_ROUTE');
    expect(internal.connections()).toBe(0);
    expect(upstream.requests.map((r) => r.headers.host)).toEqual(Array(4).fill(`127.0.0.1:${upstream.port}`));
  });

  it('relays only the configured routes, after resolving dot segments', async () => {
    const upstream = await startUpstream((_req, res) => openSse(res));
    const { bridge } = bridgeTo(upstream.url, { routes: ['/public/*', '/events'] });
    expect(bridge.handles('sse:/events?x=1')).toBe(true);
    expect(bridge.handles('sse:/public/news')).toBe(true);
    expect(bridge.handles('sse:/admin/events')).toBe(false);
    expect(bridge.handles('sse:/public/../admin/events')).toBe(false);
    expect(bridge.handles('sync:1')).toBe(false);
    expect((await rejection(bridge.attach('sse:/public/%2e%2e/admin', anonymous, {}))).code).toBe('NO_ROUTE');
    expect((await rejection(bridge.fetch({ url: '/admin/export', method: 'POST', body: '' }, anonymous))).code).toBe('NO_ROUTE');
    await bridge.attach('sse:/public/news', anonymous, {});
    expect(upstream.requests.map((r) => r.url)).toEqual(['/public/news']);
  });
});
