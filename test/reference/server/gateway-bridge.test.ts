/**
 * The gateway side of the SSE bridge: `sse:` subscriptions attached to upstream streams with the
 * connection's forwarded credentials, upstream failures as `error` frames, `sse:fetch` requests,
 * and the bridge's status. The bridge itself is tested in ./bridge/.
 */
import { describe, expect, it } from 'vitest';
import { eventNameOfFrameType } from '../../../reference/protocol/index.js';
import { gatewaysPerTest } from '../../helpers/gateways.js';
import { openSse, startUpstream } from './bridge/upstream-server.js';
import { RawClient } from './raw-client.js';

const start = gatewaysPerTest();

/** A legacy app: `/events` streams two events (one named `error`) to a signed-in user, `/chat` answers a POST with a streamed reply. */
function legacyApp(): ReturnType<typeof startUpstream> {
  return startUpstream((req, res, body) => {
    if (req.url === '/events') {
      if (req.headers.cookie !== 'session=ada') return void res.writeHead(401, { 'content-type': 'text/plain' }).end('sign in first');
      openSse(res);
      res.write('id: 1\ndata: hello\n\n');
      res.write('id: 2\nevent: error\ndata: {"oops":true}\n\n');
      return;
    }
    if (req.url === '/chat' && req.method === 'POST') {
      openSse(res);
      res.end(`event: token\ndata: ${body}\n\n`);
      return;
    }
    res.writeHead(404).end();
  });
}

describe('gateway with an upstream (SSE bridge)', () => {
  it('relays a GET stream on the sse: channel the client subscribed to, with eventIds, escaped names and only the allowed headers forwarded', async () => {
    const upstream = await legacyApp();
    const gateway = await start({ upstream: { upstream: upstream.url, forwardHeaders: ['X-Tenant'] } });
    const client = await RawClient.connect(gateway.url, { headers: { cookie: 'session=ada', 'x-tenant': 't1', 'x-secret': 'no' } });
    const reply = await client.request('subscribe', null, 'sse:/events');
    expect(reply).toMatchObject({ type: 'reply', channel: 'sse:/events', payload: { channel: 'sse:/events' } });
    const second = await client.next((m) => m.channel === 'sse:/events' && m.eventId === '2');
    const events = client.messages.filter((m) => m.channel === 'sse:/events' && m.type !== 'reply');
    expect(events.map((m) => [eventNameOfFrameType(m.type), m.eventId, m.payload, m.id])).toEqual([
      ['message', '1', 'hello', reply.id],
      ['error', '2', '{"oops":true}', reply.id],
    ]);
    expect(second.type).toBe('event:error');
    expect(upstream.requests[0]?.headers).toMatchObject({ cookie: 'session=ada', 'x-tenant': 't1' });
    expect(upstream.requests[0]?.headers['x-secret']).toBeUndefined();
    expect(gateway.bridge).toMatchObject({ upstream: expect.stringContaining('127.0.0.1'), upstreamStreams: 1 });
    client.close();
  });

  it('answers a subscribe the upstream refuses with an error frame carrying the subscribe id, the code and the upstream answer', async () => {
    const upstream = await legacyApp();
    const gateway = await start({ upstream: upstream.url });
    const client = await RawClient.connect(gateway.url, { headers: { cookie: 'session=eve' } });
    const refused = await client.request('subscribe', null, 'sse:/events');
    expect(refused).toMatchObject({ type: 'error', channel: 'sse:/events', error: { code: 'UPSTREAM_STATUS', retryable: false, details: { status: 401, body: 'sign in first' } } });
    expect((await client.request('subscribe', null, 'news')).error?.code).toBe('NO_ROUTE');
    client.close();
  });

  it('performs sse:fetch and relays the streamed response on its sse-fetch: channel until sse:end', async () => {
    const upstream = await legacyApp();
    const gateway = await start({ upstream: upstream.url });
    const client = await RawClient.connect(gateway.url);
    const fetched = await client.request('sse:fetch', { url: '/chat', method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"q":1}' });
    const { channel } = fetched.payload as { channel: string; status: number };
    expect(fetched.payload).toMatchObject({ status: 200, channel: expect.stringMatching(/^sse-fetch:/) });
    await client.request('subscribe', { fromSeq: 0 }, channel);
    await client.next((m) => m.channel === channel && m.type === 'sse:end');
    expect(client.events(channel, ['token', 'sse:end']).map((m) => [m.type, m.payload])).toEqual([
      ['token', '{"q":1}'],
      ['sse:end', { reason: 'upstream-ended' }],
    ]);
    expect((await client.request('sse:fetch', { method: 'POST' })).error?.code).toBe('INVALID_PAYLOAD');
    client.close();
  });

  it('with authorize, asks it for bridged channels too', async () => {
    const upstream = await legacyApp();
    const gateway = await start({ upstream: upstream.url, authorize: ({ channel }) => channel !== 'sse:/events' });
    const client = await RawClient.connect(gateway.url, { headers: { cookie: 'session=ada' } });
    expect((await client.request('subscribe', null, 'sse:/events')).error?.code).toBe('FORBIDDEN');
    expect(upstream.requests).toHaveLength(0);
    client.close();
  });

  it('stops relaying a route once the app publishes it itself: new subscribers get the app\'s events, /health no longer lists the route', async () => {
    const upstream = await legacyApp();
    const gateway = await start({ upstream: upstream.url });
    const before = await RawClient.connect(gateway.url, { headers: { cookie: 'session=ada' } });
    await before.request('subscribe', null, 'sse:/events');
    await before.next((m) => m.channel === 'sse:/events' && m.eventId === '2');
    expect(gateway.bridge?.routes.map((route) => route.path)).toEqual(['/events']);
    before.close();

    await gateway.publish('sse:/events', 'message', 'from the app', { id: 'a1' });
    const after = await RawClient.connect(gateway.url, { headers: { cookie: 'session=ada' } });
    const reply = await after.request('subscribe', { fromSeq: 0 }, 'sse:/events');
    expect(reply.type).toBe('reply');
    await after.next((m) => m.channel === 'sse:/events' && m.eventId === 'a1');
    expect(after.events('sse:/events', ['message']).map((m) => [m.eventId, m.payload])).toEqual([['a1', 'from the app']]);
    expect(upstream.requests).toHaveLength(1);
    expect(gateway.bridge?.routes).toEqual([]);
    after.close();
  });
});
