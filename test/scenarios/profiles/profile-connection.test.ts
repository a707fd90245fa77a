/**
 * The profile side of the native engine, in-process (WorkloadRunner with one worker's share)
 * against a scripted text protocol: a raw-text handshake, a server ping answered by the profile's
 * auto-reply, replies recognised as "the next matching message" with an error rule, events with a
 * gap and a repeat, and the unsubscribe and close the profile asks for at the end.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import type { WorkerMessage, WorkerSpec } from '../../../scenarios/engines/native/messages.js';
import { WorkloadRunner } from '../../../scenarios/engines/native/workload-runner.js';
import { profileSchema, type ProtocolProfile } from '../../../scenarios/profiles/schema.js';

const PROFILE: ProtocolProfile = profileSchema.parse({
  name: 'scripted',
  handshake: { send: 'HELLO {{vu}}', expect: { path: 'type', equals: 'welcome' } },
  autoReplies: [{ match: { path: 'type', equals: 'ping' }, send: { type: 'pong' } }],
  request: { send: { type: 'echo', n: '{{seq}}' }, reply: { match: { path: 'type', equals: 'echoed' } }, error: { path: 'type', equals: 'oops' } },
  subscribe: { send: { type: 'sub', id: 'sub-{{id}}' } },
  events: { match: { path: 'type', equals: 'event' }, seqPath: 'data.seq', timestampPath: 'data.ts' },
  unsubscribe: { send: { type: 'unsub', id: 'sub-{{id}}' } },
  close: { code: 4000, reason: 'bye' },
});

/** What the scripted server saw. */
interface Seen {
  hello: string[];
  pongs: number;
  requests: number;
  subscribes: string[];
  unsubscribes: string[];
  closeCodes: number[];
}

let wss: WebSocketServer | undefined;
afterEach(async () => {
  await new Promise((resolve) => wss?.close(resolve) ?? resolve(undefined));
  wss = undefined;
});

async function scriptedServer(): Promise<{ url: string; seen: Seen }> {
  const seen: Seen = { hello: [], pongs: 0, requests: 0, subscribes: [], unsubscribes: [], closeCodes: [] };
  wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  wss.on('connection', (socket: WebSocket) => {
    socket.on('close', (code) => seen.closeCodes.push(code));
    socket.on('message', (data) => {
      const text = String(data);
      if (text.startsWith('HELLO')) {
        seen.hello.push(text);
        socket.send(JSON.stringify({ type: 'welcome' }));
        socket.send(JSON.stringify({ type: 'ping' }));
        return;
      }
      const message = JSON.parse(text) as { type: string; id?: string };
      if (message.type === 'pong') seen.pongs += 1;
      if (message.type === 'unsub') seen.unsubscribes.push(message.id ?? '');
      if (message.type === 'echo') {
        seen.requests += 1;
        // Every third request fails: the next matching message answers the oldest one waiting.
        socket.send(JSON.stringify({ type: seen.requests % 3 === 0 ? 'oops' : 'echoed' }));
      }
      if (message.type === 'sub') {
        seen.subscribes.push(message.id ?? '');
        // seq 3 never comes (one lost), seq 5 comes twice (one duplicate).
        for (const seq of [1, 2, 4, 5, 5, 6]) socket.send(JSON.stringify({ type: 'event', data: { seq, ts: Date.now() } }));
      }
    });
  });
  return { url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`, seen };
}

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('ProfileConnection through WorkloadRunner', () => {
  it('handshakes, answers pings, times every request to the next matching reply, counts the gap and the repeat, and says goodbye as the profile asks', async () => {
    const { url, seen } = await scriptedServer();
    const posted: WorkerMessage[] = [];
    const spec: WorkerSpec = {
      scenario: 'latency',
      wsUrl: url,
      startMs: Date.now(),
      intervalMs: 1_000,
      firstConnection: 0,
      connections: 1,
      ratePerSecond: 50,
      chatPrefix: 'profile-test',
      workload: {
        kind: 'ws',
        connections: 1,
        ratePerSecond: 50,
        payloadBytes: 0,
        durationMs: 60_000,
        rampUpMs: 0,
        syncs: 1,
        requestTimeoutMs: 5_000,
        reconnect: { baseDelayMs: 100, maxDelayMs: 1_000 },
        cuts: null,
        profile: PROFILE,
      },
      lateToleranceMs: 50,
      maxLagMs: 1_000,
      progressIntervalMs: 200,
      statusIntervalMs: 50,
    };
    const runner = new WorkloadRunner(spec, (message) => posted.push(message), { random: () => 0.5 });
    runner.handle({ type: 'start' });
    await until(() => seen.requests >= 9 && seen.pongs === 1);
    runner.handle({ type: 'stop' });
    await until(() => posted.some((message) => message.type === 'done'));
    await until(() => seen.closeCodes.length === 1);
    const done = posted.find((message) => message.type === 'done');
    if (done?.type !== 'done') throw new Error('no done message');
    const metric = (name: string) => done.snapshot.metrics.find((m) => m.name === name);

    expect(seen.hello).toEqual(['HELLO 0']);
    expect(seen.subscribes).toEqual(['sub-2']);
    const answered = seen.requests;
    expect(metric('checks')?.total).toEqual({ passes: answered - Math.floor(answered / 3), fails: Math.floor(answered / 3) });
    expect(metric('ws_rpc_duration')?.total).toMatchObject({ count: answered });
    expect(metric('ws_msgs_lost')?.total).toMatchObject({ sum: 1, samples: 6 });
    expect(metric('ws_msgs_duplicated')?.total).toMatchObject({ sum: 1, samples: 6 });
    expect(metric('ws_event_latency')?.total).toMatchObject({ count: 5 });
    expect(metric('ws_event_interarrival')).toBeUndefined();
    expect(done.stats.profile).toMatchObject({ events: 6, eventsWithSeq: 6, eventsWithTimestamp: 5, unrecognised: 0, handshakeTimeouts: 0 });
    expect(seen.unsubscribes).toEqual(['sub-2']);
    expect(seen.closeCodes).toEqual([4000]);
  });
});
