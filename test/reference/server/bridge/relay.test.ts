import { describe, expect, it } from 'vitest';
import { bridgeTo, follow, until } from './harness.js';
import { openSse, startUpstream } from './upstream-server.js';

const anonymous = { headers: {} };

describe('SSE bridge: relaying a GET stream', () => {
  it('relays events, names, ids, multi-line data and order exactly as a node:http upstream writes them; comments are not events', async () => {
    const upstream = await startUpstream((_req, res) => {
      openSse(res);
      res.write(': hello, this is a comment\n\n');
      res.write('id: 1\ndata: first\n\n');
      res.write('event: progress\nid: 2\ndata: {"pct":50}\n\n');
      // One event split across writes, CRLF line ends, two data lines.
      res.write('event: note\r\ndata: line one\r\n');
      res.write('data: line two\r\n\r\n');
      res.write('event: error\ndata: an app event named like a control frame\n\n');
      res.write(':keep-alive\n\n');
      res.write('id: 5\nevent: done\ndata:\n\n');
    });
    const { hub, bridge } = bridgeTo(upstream.url);
    const attachment = await bridge.attach('sse:/events?room=1', anonymous, {});
    const client = await follow(hub, attachment.hubChannel);
    await until(() => client.events.length === 5, 'five relayed events');
    expect(client.events).toEqual([
      { type: 'message', data: 'first', eventId: '1' },
      { type: 'progress', data: '{"pct":50}', eventId: '2' },
      { type: 'note', data: 'line one\nline two', eventId: undefined },
      { type: 'event:error', data: 'an app event named like a control frame', eventId: undefined },
      { type: 'done', data: '', eventId: '5' },
    ]);
    expect(upstream.requests[0]).toMatchObject({ method: 'GET', url: '/events?room=1' });
    expect(upstream.requests[0]?.headers['accept']).toBe('text/event-stream');
    expect(upstream.requests[0]?.headers['last-event-id']).toBeUndefined();
  });

  it('resumes a dropped upstream with Last-Event-ID: no event lost, none repeated', async () => {
    const all = ['a', 'b', 'c', 'd', 'e', 'f'];
    let connection = 0;
    const upstream = await startUpstream((req, res) => {
      connection += 1;
      openSse(res);
      const after = Number(req.headers['last-event-id'] ?? 0);
      const batch = all.slice(after, after + 3);
      batch.forEach((data, i) => res.write(`id: ${after + i + 1}\ndata: ${data}\n\n`));
      // The first connection drops mid-stream (a reset, no clean end); the second stays open.
      if (connection === 1) setTimeout(() => res.socket?.destroy(), 20);
    });
    const { hub, bridge } = bridgeTo(upstream.url, { retryMs: 10 });
    const attachment = await bridge.attach('sse:/feed', anonymous, {});
    const client = await follow(hub, attachment.hubChannel);
    await until(() => client.events.length === 6, 'six events over two upstream connections');
    expect(client.events.map((e) => [e.eventId, e.data])).toEqual(all.map((data, i) => [String(i + 1), data]));
    expect(upstream.requests.map((r) => r.headers['last-event-id'])).toEqual([undefined, '3']);
  });

  it('opens a new upstream stream from the newest relayed id, or else from the subscriber\'s lastEventId', async () => {
    const upstream = await startUpstream((req, res) => {
      openSse(res);
      res.write(`id: after-${req.headers['last-event-id'] ?? 'none'}\ndata: x\n\n`);
    });
    const { hub, bridge } = bridgeTo(upstream.url, { lingerMs: 1 });
    const first = await bridge.attach('sse:/feed', anonymous, { lastEventId: 'client-7' });
    const client = await follow(hub, first.hubChannel);
    await until(() => client.events.length === 1, 'the first event');
    first.release();
    await until(() => bridge.status().upstreamStreams === 0, 'the upstream stream to close after lingerMs');
    const second = await bridge.attach('sse:/feed', anonymous, { lastEventId: 'client-7' });
    await until(() => client.events.length === 2, 'the event of the reopened stream');
    second.release();
    expect(upstream.requests.map((r) => r.headers['last-event-id'])).toEqual(['client-7', 'after-client-7']);
  });

  it('honours the upstream\'s retry: field as the reconnect delay', async () => {
    let connection = 0;
    const upstream = await startUpstream((_req, res) => {
      connection += 1;
      openSse(res);
      res.write(`retry: 20\nid: ${connection}\ndata: hello ${connection}\n\n`);
      if (connection === 1) res.end();
    });
    // Without honouring retry: the bridge would wait an hour before reconnecting.
    const { hub, bridge } = bridgeTo(upstream.url, { retryMs: 3_600_000 });
    const attachment = await bridge.attach('sse:/feed', anonymous, {});
    const client = await follow(hub, attachment.hubChannel);
    await until(() => client.events.length === 2, 'the event of the reconnected stream');
    expect(client.events.map((e) => e.data)).toEqual(['hello 1', 'hello 2']);
  });

  it('counts comments (keep-alives) as life: a stream that only sends comments is not reconnected as idle', async () => {
    const upstream = await startUpstream((_req, res) => {
      openSse(res);
      let beats = 0;
      const timer = setInterval(() => {
        beats += 1;
        if (beats < 20) res.write(': keep-alive\n\n');
        else {
          clearInterval(timer);
          res.write('data: after the keep-alives\n\n');
        }
      }, 25);
      res.on('close', () => clearInterval(timer));
    });
    const { hub, bridge } = bridgeTo(upstream.url, { idleTimeoutMs: 250, retryMs: 10 });
    const attachment = await bridge.attach('sse:/feed', anonymous, {});
    const client = await follow(hub, attachment.hubChannel);
    await until(() => client.events.length === 1, 'the event after the keep-alives');
    expect(client.events[0]?.data).toBe('after the keep-alives');
    expect(upstream.requests).toHaveLength(1);
  });

  it('reconnects a stream that went silent past idleTimeoutMs', async () => {
    const upstream = await startUpstream((_req, res) => {
      openSse(res);
      res.write(`id: ${upstream.requests.length}\ndata: connection ${upstream.requests.length}\n\n`);
    });
    const { hub, bridge } = bridgeTo(upstream.url, { idleTimeoutMs: 100, retryMs: 10 });
    const attachment = await bridge.attach('sse:/quiet', anonymous, {});
    const client = await follow(hub, attachment.hubChannel);
    await until(() => client.events.length >= 2, 'an event from a second connection');
    expect(client.events[1]?.data).toBe('connection 2');
    expect(upstream.requests[1]?.headers['last-event-id']).toBe('1');
  });
});
