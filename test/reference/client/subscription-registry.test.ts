import { describe, expect, it } from 'vitest';
import { WSClient } from '../../../reference/client/ws-client.js';
import type { WSRequestError } from '../../../reference/client/request-error.js';
import type { SubscribeReply } from '../../../reference/protocol/index.js';
import { FakeClock, settle } from '../../helpers/fake-clock.js';
import { scriptedWebSocket } from '../../helpers/scripted-websocket.js';

function setUp() {
  const clock = new FakeClock();
  const sockets = scriptedWebSocket();
  const client = new WSClient({ url: 'ws://test.invalid/ws', WebSocket: sockets.WebSocket, clock, heartbeatInterval: 0, random: () => 0.5 });
  const clientErrors: Error[] = [];
  client.on('error', (error) => clientErrors.push(error));
  return { client, clock, sockets, clientErrors };
}

describe('subscriptions to bridged SSE channels', () => {
  it('send lastEventId and headers in every (re)subscribe, the lastEventId following the delivered events', async () => {
    const { client, clock, sockets } = setUp();
    client.subscribe('sse:/feed', () => undefined, { lastEventId: '41', headers: { authorization: 'Bearer u1' } });
    sockets.last().accept();
    expect(sockets.last().lastSent('subscribe').payload).toEqual({ lastEventId: '41', headers: { authorization: 'Bearer u1' } });
    sockets.last().reply('subscribe', { channel: 'sse:/feed', epoch: 'e1', seq: 3, replayed: 0 });
    sockets.last().push({ channel: 'sse:/feed', type: 'message', payload: 'a', seq: 4, epoch: 'e1', eventId: '42' });
    sockets.last().push({ channel: 'sse:/feed', type: 'message', payload: 'b', seq: 5, epoch: 'e1' });

    sockets.last().drop();
    await clock.advance(1_000);
    sockets.last().accept();
    expect(sockets.last().lastSent('subscribe').payload).toEqual({ fromSeq: 5, epoch: 'e1', lastEventId: '42', headers: { authorization: 'Bearer u1' } });
  });

  it('hand a refusal with its code and details to onError instead of the client’s error event', () => {
    const { client, sockets, clientErrors } = setUp();
    const refusals: WSRequestError[] = [];
    client.subscribe('sse:/private', () => undefined, { onError: (error) => refusals.push(error) });
    sockets.last().accept();
    const subscribe = sockets.last().lastSent('subscribe');
    const details = { status: 401, headers: {}, body: 'login first' };
    sockets.last().push({ id: subscribe.id, channel: 'sse:/private', type: 'error', error: { code: 'UPSTREAM_STATUS', message: 'upstream answered 401', retryable: false, details } });
    expect(refusals.map((error) => [error.code, error.retryable, error.details])).toEqual([['UPSTREAM_STATUS', false, details]]);
    expect(clientErrors).toEqual([]);
  });

  it('tell a handler joining a channel that is already subscribed that it stands, with the latest reply', async () => {
    const { client, sockets } = setUp();
    client.subscribe('sse:/feed', () => undefined);
    sockets.last().accept();
    const reply: SubscribeReply = { channel: 'sse:/feed', epoch: 'e1', seq: 7, replayed: 0 };
    sockets.last().reply('subscribe', reply);
    const joined: SubscribeReply[] = [];
    client.subscribe('sse:/feed', () => undefined, { onSubscribed: (latest) => joined.push(latest) });
    await settle();
    expect(joined).toEqual([reply]);
    expect(sockets.last().sent.filter((frame) => frame.type === 'subscribe')).toHaveLength(1);
  });
});

describe('a channel subscribed again before the server answered', () => {
  it('drops what the replaced subscription still sends and its late reply; the new one replays from its fromSeq', async () => {
    const { client, sockets } = setUp();
    sockets.last().accept();
    const first: SubscribeReply[] = [];
    const leave = client.subscribe('sync:9', () => undefined, { onSubscribed: (reply) => first.push(reply) });
    const replaced = sockets.last().lastSent('subscribe');
    leave();
    const seen: number[] = [];
    const replies: SubscribeReply[] = [];
    client.subscribe('sync:9', (message) => seen.push(message.seq ?? -1), { fromSeq: 5, epoch: 'e1', onSubscribed: (reply) => replies.push(reply) });
    const current = sockets.last().lastSent('subscribe');
    expect(current.id).not.toBe(replaced.id);
    // Sent by the server before it read the unsubscribe and the new subscribe.
    sockets.last().push({ id: replaced.id, channel: 'sync:9', type: 'reply', payload: { channel: 'sync:9', epoch: 'e1', seq: 8, replayed: 0 } });
    sockets.last().push({ id: replaced.id, channel: 'sync:9', type: 'tick', seq: 9, epoch: 'e1', payload: null });
    sockets.last().push({ id: current.id, channel: 'sync:9', type: 'reply', payload: { channel: 'sync:9', epoch: 'e1', seq: 9, replayed: 4 } });
    for (const seq of [6, 7, 8, 9, 10]) sockets.last().push({ id: current.id, channel: 'sync:9', type: 'tick', seq, epoch: 'e1', payload: null });
    await settle();
    expect(seen).toEqual([6, 7, 8, 9, 10]);
    expect(replies.map((reply) => reply.seq)).toEqual([9]);
    expect(first).toEqual([]);
  });
});
