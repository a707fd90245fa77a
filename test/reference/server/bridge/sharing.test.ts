import type { ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import { bridgeTo, follow, until } from './harness.js';
import { openSse, startUpstream } from './upstream-server.js';

/** An upstream whose `/me/events` streams each user's own events (by cookie) and `/news` a public feed; `send` pushes to the open streams. */
async function appServer(): Promise<{ url: string; send(user: string, data: string): void; upstream: Awaited<ReturnType<typeof startUpstream>> }> {
  const streams: Array<{ user: string; res: ServerResponse }> = [];
  const upstream = await startUpstream((req, res) => {
    openSse(res);
    const user = /user=(\w+)/.exec(req.headers.cookie ?? '')?.[1] ?? 'anonymous';
    streams.push({ user, res });
    res.write(`: stream for ${user}\n\n`);
  });
  return {
    url: upstream.url,
    upstream,
    send: (user, data) => {
      for (const stream of streams) if (stream.user === user && !stream.res.writableEnded) stream.res.write(`data: ${data}\n\n`);
    },
  };
}

describe('SSE bridge: per-user streams and shared routes', () => {
  it('opens one upstream stream per user, with that user\'s credentials; each user gets only their events', async () => {
    const app = await appServer();
    const { hub, bridge } = bridgeTo(app.url, { forwardHeaders: ['x-tenant'] });
    const alice = { headers: { cookie: 'user=alice', authorization: 'Bearer a', 'x-tenant': 't1', 'x-not-configured': 'no' } };
    const bob = { headers: { cookie: 'user=bob' } };
    const aliceAttachment = await bridge.attach('sse:/me/events', alice, {});
    const bobAttachment = await bridge.attach('sse:/me/events', bob, {});
    // Alice's second tab shares her stream.
    const aliceAgain = await bridge.attach('sse:/me/events', alice, {});
    expect(aliceAttachment.hubChannel).not.toBe(bobAttachment.hubChannel);
    expect(aliceAgain.hubChannel).toBe(aliceAttachment.hubChannel);
    expect(aliceAttachment.hubChannel.startsWith('sse:/me/events#')).toBe(true);
    expect(aliceAttachment.hubChannel).not.toContain('alice');

    const aliceClient = await follow(hub, aliceAttachment.hubChannel);
    const bobClient = await follow(hub, bobAttachment.hubChannel);
    app.send('alice', 'alice 1');
    app.send('bob', 'bob 1');
    app.send('alice', 'alice 2');
    await until(() => aliceClient.events.length === 2 && bobClient.events.length === 1, 'each user\'s events');
    expect(aliceClient.events.map((e) => e.data)).toEqual(['alice 1', 'alice 2']);
    expect(bobClient.events.map((e) => e.data)).toEqual(['bob 1']);

    expect(app.upstream.requests).toHaveLength(2);
    const [aliceRequest, bobRequest] = app.upstream.requests;
    expect(aliceRequest?.headers).toMatchObject({ cookie: 'user=alice', authorization: 'Bearer a', 'x-tenant': 't1' });
    expect(aliceRequest?.headers['x-not-configured']).toBeUndefined();
    expect(bobRequest?.headers.cookie).toBe('user=bob');
    expect(bobRequest?.headers.authorization).toBeUndefined();
  });

  it('forwards per-subscription headers (the eventsource polyfill\'s) and keys the stream by them too', async () => {
    const app = await appServer();
    const { bridge } = bridgeTo(app.url);
    const caller = { headers: {} };
    const withToken = await bridge.attach('sse:/me/events', caller, { headers: { Authorization: 'Bearer polyfill', Host: 'evil.example' } });
    const without = await bridge.attach('sse:/me/events', caller, {});
    expect(withToken.hubChannel).not.toBe(without.hubChannel);
    expect(app.upstream.requests[0]?.headers.authorization).toBe('Bearer polyfill');
    expect(app.upstream.requests[0]?.headers.host).toBe(`127.0.0.1:${app.upstream.port}`);
  });

  it('uses one credential-less upstream connection for all subscribers of a shared route', async () => {
    const app = await appServer();
    const { hub, bridge } = bridgeTo(app.url, { sharedRoutes: ['/news'] });
    const attachments = await Promise.all(Array.from({ length: 25 }, (_, i) => bridge.attach('sse:/news', { headers: { cookie: `user=u${i}` } }, {})));
    expect(new Set(attachments.map((a) => a.hubChannel))).toEqual(new Set(['sse:/news']));
    const client = await follow(hub, 'sse:/news');
    app.send('anonymous', 'breaking');
    await until(() => client.events.length === 1, 'the broadcast');
    expect(app.upstream.connections()).toBe(1);
    expect(app.upstream.requests).toHaveLength(1);
    expect(app.upstream.requests[0]?.headers.cookie).toBeUndefined();
    expect(bridge.status().routes).toEqual([{ path: '/news', shared: true, subscribers: 25, lastActiveMs: expect.any(Number) }]);
  });

  it('keeps the upstream through lingerMs after the last subscriber leaves, then closes it', async () => {
    const app = await appServer();
    const { bridge } = bridgeTo(app.url, { sharedRoutes: ['/news'], lingerMs: 300 });
    const first = await bridge.attach('sse:/news', { headers: {} }, {});
    first.release();
    first.release();
    // A client that comes back within lingerMs finds the same stream.
    const second = await bridge.attach('sse:/news', { headers: {} }, {});
    expect(app.upstream.requests).toHaveLength(1);
    expect(bridge.status().routes[0]?.subscribers).toBe(1);
    second.release();
    await until(() => app.upstream.openResponses() === 0, 'the upstream stream to be closed');
    expect(bridge.status()).toMatchObject({ upstreamStreams: 0, routes: [{ path: '/news', subscribers: 0 }] });
  });

  it('aborts every upstream stream on close, and refuses new ones after it', async () => {
    const app = await appServer();
    const { bridge } = bridgeTo(app.url, { sharedRoutes: ['/news'] });
    await bridge.attach('sse:/news', { headers: {} }, {});
    await bridge.attach('sse:/me/events', { headers: { cookie: 'user=alice' } }, {});
    expect(bridge.status().upstreamStreams).toBe(2);
    await bridge.close();
    await until(() => app.upstream.openResponses() === 0, 'the upstream streams to be closed');
    await expect(bridge.attach('sse:/news', { headers: {} }, {})).rejects.toMatchObject({ code: 'UPSTREAM_UNREACHABLE' });
  });
});
