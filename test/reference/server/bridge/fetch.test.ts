import { describe, expect, it } from 'vitest';
import { WsmigError } from '../../../../lib/errors.js';
import { bridgeTo, follow, until } from './harness.js';
import { openSse, startUpstream } from './upstream-server.js';

const alice = { headers: { cookie: 'session=alice' } };
const mallory = { headers: { cookie: 'session=mallory' } };

/** A chat endpoint: POST a JSON prompt, get its words back as `token` events, then the response ends. */
async function chatServer(): Promise<Awaited<ReturnType<typeof startUpstream>>> {
  return startUpstream((req, res, body) => {
    if (req.method !== 'POST') return void res.writeHead(405).end();
    const { prompt } = JSON.parse(body) as { prompt: string };
    openSse(res);
    prompt.split(' ').forEach((word, i) => res.write(`event: token\nid: t${i}\ndata: ${JSON.stringify({ word })}\n\n`));
    res.end('event: done\ndata: [DONE]\n\n');
  });
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: unknown) => (error instanceof WsmigError ? error.code : String(error)),
  );
}

describe('SSE bridge: streamed responses (sse:fetch)', () => {
  it('performs the upstream request (method, headers, body) and relays its events on a new channel, then sse:end', async () => {
    const upstream = await chatServer();
    const { hub, bridge } = bridgeTo(upstream.url);
    const reply = await bridge.fetch({ url: 'https://app.example/api/chat?model=x', method: 'post', headers: { 'Content-Type': 'application/json', 'X-Request': 'r1' }, body: '{"prompt":"hello over websocket"}' }, alice);
    expect(reply.channel).toMatch(/^sse-fetch:[A-Za-z0-9_-]{22}$/);
    expect(reply).toMatchObject({ status: 200, headers: { 'content-type': 'text/event-stream' } });
    expect(bridge.handles(reply.channel)).toBe(true);

    const attachment = await bridge.attach(reply.channel, alice, {});
    expect(attachment.hubChannel).toBe(reply.channel);
    const client = await follow(hub, reply.channel, true);
    await until(() => client.events.some((e) => e.type === 'sse:end'), 'sse:end');
    expect(client.events).toEqual([
      { type: 'token', data: '{"word":"hello"}', eventId: 't0' },
      { type: 'token', data: '{"word":"over"}', eventId: 't1' },
      { type: 'token', data: '{"word":"websocket"}', eventId: 't2' },
      { type: 'done', data: '[DONE]', eventId: undefined },
      { type: 'sse:end', data: { reason: 'upstream-ended' }, eventId: undefined },
    ]);
    expect(upstream.requests[0]).toMatchObject({ method: 'POST', url: '/api/chat?model=x', body: '{"prompt":"hello over websocket"}' });
    expect(upstream.requests[0]?.headers).toMatchObject({ 'content-type': 'application/json', 'x-request': 'r1', cookie: 'session=alice', 'content-length': '33' });
  });

  it('gives every request its own unguessable channel, readable only by the caller that sent it', async () => {
    const upstream = await chatServer();
    const { bridge } = bridgeTo(upstream.url);
    const request = { url: '/api/chat', method: 'POST', body: '{"prompt":"a b"}' };
    const first = await bridge.fetch(request, alice);
    const second = await bridge.fetch(request, alice);
    expect(first.channel).not.toBe(second.channel);
    expect(await codeOf(bridge.attach(first.channel, mallory, {}))).toBe('FORBIDDEN');
    expect(await codeOf(bridge.attach('sse-fetch:AAAAAAAAAAAAAAAAAAAAAA', alice, {}))).toBe('NO_ROUTE');
    expect(bridge.handles('sse-fetch:AAAAAAAAAAAAAAAAAAAAAA')).toBe(false);
  });

  it('forgets the channel a grace period after the response ended', async () => {
    const upstream = await chatServer();
    const { hub, bridge } = bridgeTo(upstream.url, { lingerMs: 50 });
    const reply = await bridge.fetch({ url: '/api/chat', method: 'POST', body: '{"prompt":"bye"}' }, alice);
    const attachment = await bridge.attach(reply.channel, alice, {});
    const client = await follow(hub, reply.channel, true);
    await until(() => client.events.some((e) => e.type === 'sse:end'), 'sse:end');
    attachment.release();
    await until(() => !bridge.handles(reply.channel), 'the channel to be forgotten');
    expect(await codeOf(bridge.attach(reply.channel, alice, {}))).toBe('NO_ROUTE');
  });

  it('aborts the upstream request when no one reads the response within lingerMs', async () => {
    const upstream = await startUpstream((_req, res) => {
      openSse(res);
      res.write('data: waiting for a reader\n\n');
    });
    const { bridge } = bridgeTo(upstream.url, { lingerMs: 50 });
    await bridge.fetch({ url: '/stream', method: 'POST', body: '' }, alice);
    await until(() => upstream.openResponses() === 0, 'the unread response to be aborted');
    expect(bridge.status().upstreamStreams).toBe(0);
  });

  it('refuses a body above maxRequestBodyBytes, bad headers and a GET with a body, before contacting the upstream', async () => {
    const upstream = await chatServer();
    const { bridge } = bridgeTo(upstream.url, { maxRequestBodyBytes: 10 });
    expect(await codeOf(bridge.fetch({ url: '/api/chat', method: 'POST', body: '{"prompt":"far too long"}' }, alice))).toBe('INVALID_PAYLOAD');
    expect(await codeOf(bridge.fetch({ url: '/api/chat', method: 'POST', headers: { 'x-bad': 'line\r\nbreak' }, body: '{}' }, alice))).toBe('INVALID_PAYLOAD');
    expect(await codeOf(bridge.fetch({ url: '/api/chat', body: 'x' }, alice))).toBe('INVALID_PAYLOAD');
    expect(await codeOf(bridge.fetch({ url: '/api/chat', method: 'CONNECT' }, alice))).toBe('INVALID_PAYLOAD');
    expect(upstream.requests).toHaveLength(0);
  });

  it('relays the upstream\'s answer when it is not a stream: 405 → UPSTREAM_STATUS', async () => {
    const upstream = await chatServer();
    const { bridge } = bridgeTo(upstream.url);
    expect(await codeOf(bridge.fetch({ url: '/api/chat', method: 'PUT', body: '{}' }, alice))).toBe('UPSTREAM_STATUS');
  });
});
