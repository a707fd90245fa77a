import { describe, expect, it } from 'vitest';
import { eventNameOfFrameType, type WSMessage } from '../../../reference/protocol/index.js';
import { WsmigError } from '../../../reference/server/index.js';
import { gatewaysPerTest } from '../../helpers/gateways.js';
import { RawClient, upgradeStatus } from './raw-client.js';

const start = gatewaysPerTest();

describe('closed by default', () => {
  it('without authorize or channels, refuses every application channel with NO_ROUTE and answers only handled request types', async () => {
    const gateway = await start();
    expect(gateway.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/ws$/);
    const client = await RawClient.connect(gateway.url);
    for (const channel of ['news:1', 'sys', 'sse:/events', 'sync:1']) {
      expect((await client.request('subscribe', null, channel)).error).toMatchObject({ code: 'NO_ROUTE', retryable: false });
    }
    expect((await client.request('sync:start', { chatId: 1 })).error?.code).toBe('UNKNOWN_TYPE');
    expect((await client.request('echo', { still: 'here' })).payload).toEqual({ still: 'here' });
    gateway.handle('app:ping', () => 'pong');
    expect((await client.request('app:ping')).payload).toBe('pong');
    expect(gateway.connections).toBe(1);
    expect(await gateway.registry.getSingleMetricAsString('wsmig_ws_connections')).toContain('wsmig_ws_connections 1');
    expect((await fetch(gateway.url.replace('ws:', 'http:'))).status).toBe(426);
    client.close();
  });

  it('opens the channels matching its patterns (exact, or prefix with *), and refuses names that break the naming rules', async () => {
    const gateway = await start({ channels: ['news:*', 'weather'] });
    const client = await RawClient.connect(gateway.url);
    expect((await client.request('subscribe', null, 'news:sport')).type).toBe('reply');
    expect((await client.request('subscribe', null, 'weather')).type).toBe('reply');
    expect((await client.request('subscribe', null, 'weather:paris')).error?.code).toBe('NO_ROUTE');
    expect((await client.request('subscribe', null, 'news:a b')).error?.code).toBe('NO_ROUTE');
    expect((await client.request('subscribe', null, 'news:a#b')).error?.code).toBe('NO_ROUTE');
    client.close();
  });
});

describe('authenticate and authorize', () => {
  it('asks authorize on every subscribe and request with the identity authenticate gave; a refusal is FORBIDDEN', async () => {
    const asked: unknown[] = [];
    const gateway = await start<{ user: string }>({
      authenticate: (req) => (req.headers['x-user'] === undefined ? undefined : { user: String(req.headers['x-user']) }),
      authorize: async (request) => {
        asked.push(request);
        return request.identity.user === 'ada' && (request.channel.startsWith('ada:') || request.type === 'whoami');
      },
    });
    gateway.handle('whoami', (_payload, { identity, channel }) => ({ user: identity.user, channel }));
    expect(await upgradeStatus(gateway.url)).toBe(401);
    const ada = await RawClient.connect(gateway.url, { headers: { 'x-user': 'ada' } });
    const bob = await RawClient.connect(gateway.url, { headers: { 'x-user': 'bob' } });
    expect((await ada.request('subscribe', null, 'ada:inbox')).type).toBe('reply');
    expect((await ada.request('whoami', null, 'me')).payload).toEqual({ user: 'ada', channel: 'me' });
    expect((await bob.request('subscribe', null, 'ada:inbox')).error).toMatchObject({ code: 'FORBIDDEN', retryable: false });
    expect((await bob.request('whoami', null, 'me')).error?.code).toBe('FORBIDDEN');
    expect((await ada.request('echo', 1)).error?.code).toBe('FORBIDDEN');
    expect(asked).toEqual([
      { identity: { user: 'ada' }, action: 'subscribe', channel: 'ada:inbox' },
      { identity: { user: 'ada' }, action: 'request', channel: 'me', type: 'whoami' },
      { identity: { user: 'bob' }, action: 'subscribe', channel: 'ada:inbox' },
      { identity: { user: 'bob' }, action: 'request', channel: 'me', type: 'whoami' },
      { identity: { user: 'ada' }, action: 'request', channel: 'test', type: 'echo' },
    ]);
    for (const client of [ada, bob]) client.close();
  });
});

describe('publish', () => {
  it('escapes event names that read as control frames, and the client decodes them back', async () => {
    const gateway = await start({ channels: ['feed'] });
    const client = await RawClient.connect(gateway.url);
    await client.request('subscribe', null, 'feed');
    for (const name of ['error', 'reply', 'event:x', 'message', 'sync:progress']) await gateway.publish('feed', name, { name });
    const events = await Promise.all([1, 2, 3, 4, 5].map((seq) => client.next((m) => m.channel === 'feed' && m.seq === seq)));
    expect(events.map((m) => m.type)).toEqual(['event:error', 'event:reply', 'event:event:x', 'message', 'event:sync:progress']);
    expect(events.map((m) => eventNameOfFrameType(m.type))).toEqual(['error', 'reply', 'event:x', 'message', 'sync:progress']);
    client.close();
  });

  it('refuses channel names, event names and ids the protocol does not allow', async () => {
    const gateway = await start();
    await expect(gateway.publish('a b', 'x', null)).rejects.toMatchObject({ code: 'INVALID_CHANNEL' });
    await expect(gateway.publish('ok', '', null)).rejects.toMatchObject({ code: 'INVALID_EVENT' });
    await expect(gateway.publish('ok', 'x'.repeat(65), null)).rejects.toMatchObject({ code: 'INVALID_EVENT' });
    await expect(gateway.publish('ok', 'x', null, { id: 'a\nb' })).rejects.toMatchObject({ code: 'INVALID_EVENT' });
    expect(() => gateway.handle('reply', () => null)).toThrow(WsmigError);
  });

  it('resumes with fromSeq and epoch: the missed events replayed in order with their eventIds, then live', async () => {
    const gateway = await start({ channels: ['room:*'] });
    const first = await RawClient.connect(gateway.url);
    await first.request('subscribe', null, 'room:1');
    await gateway.publish('room:1', 'said', 'one', { id: 'm1' });
    const seen = await first.next((m) => m.type === 'said');
    first.close();
    await first.closed;
    for (const [i, text] of ['two', 'three'].entries()) await gateway.publish('room:1', 'said', text, { id: `m${i + 2}` });
    const second = await RawClient.connect(gateway.url);
    const reply = await second.request('subscribe', { fromSeq: seen.seq, epoch: seen.epoch }, 'room:1');
    expect(reply.payload).toMatchObject({ seq: 3, replayed: 2 });
    await gateway.publish('room:1', 'said', 'four', { id: 'm4' });
    await second.next((m) => m.seq === 4);
    expect(second.events('room:1', ['said']).map((m) => [m.seq, m.eventId, m.payload])).toEqual([
      [2, 'm2', 'two'],
      [3, 'm3', 'three'],
      [4, 'm4', 'four'],
    ]);
    second.close();
  });

  it('answers a resume it cannot replay with a resync carrying the snapshot of the longest matching prefix', async () => {
    const gateway = await start({ channels: ['doc:*'] });
    gateway.resyncSnapshot('doc:', () => ({ from: 'doc' })).resyncSnapshot('doc:special:', async (channel) => ({ from: 'special', channel }));
    await gateway.publish('doc:special:1', 'edit', 1);
    const client = await RawClient.connect(gateway.url);
    await client.request('subscribe', { fromSeq: 1, epoch: 'another' }, 'doc:special:1');
    await client.request('subscribe', { fromSeq: 5 }, 'doc:2');
    const resyncs: WSMessage[] = await Promise.all(['doc:special:1', 'doc:2'].map((channel) => client.next((m) => m.type === 'resync' && m.channel === channel)));
    expect(resyncs.map((m) => m.payload)).toEqual([
      { reason: 'epoch-changed', epoch: gateway.epoch, seq: 1, snapshot: { from: 'special', channel: 'doc:special:1' } },
      { reason: 'future-seq', epoch: gateway.epoch, seq: 0, snapshot: { from: 'doc' } },
    ]);
    client.close();
  });
});

describe('handle', () => {
  it('replies with what the handler returns or resolves; a thrown WsmigError keeps its code and details, anything else is INTERNAL', async () => {
    const gateway = await start();
    gateway.handle('double', async (payload) => (payload as number) * 2);
    gateway.handle('refuse', () => {
      throw new WsmigError('NOT_FOUND', 'no such order', { details: { orderId: 7 } });
    });
    gateway.handle('crash', () => Promise.reject(new Error('boom')));
    const client = await RawClient.connect(gateway.url);
    expect((await client.request('double', 21)).payload).toBe(42);
    expect((await client.request('refuse')).error).toEqual({ code: 'NOT_FOUND', message: 'no such order', retryable: false, details: { orderId: 7 } });
    expect((await client.request('crash')).error).toMatchObject({ code: 'INTERNAL', retryable: true, message: expect.stringContaining('boom') });
    client.close();
  });
});

describe('limits', () => {
  it('refuses a subscription over maxSubscriptionsPerConnection with TOO_MANY_SUBSCRIPTIONS; resubscribing or unsubscribing frees no more than it should', async () => {
    const gateway = await start({ channels: ['c:*'], maxSubscriptionsPerConnection: 2 });
    const client = await RawClient.connect(gateway.url);
    expect((await client.request('subscribe', null, 'c:1')).type).toBe('reply');
    expect((await client.request('subscribe', null, 'c:2')).type).toBe('reply');
    expect((await client.request('subscribe', null, 'c:2')).type).toBe('reply');
    expect((await client.request('subscribe', null, 'c:3')).error).toMatchObject({ code: 'TOO_MANY_SUBSCRIPTIONS', retryable: false });
    await client.request('unsubscribe', null, 'c:1');
    expect((await client.request('subscribe', null, 'c:3')).type).toBe('reply');
    client.close();
  });
});
