/**
 * Third-party SSE servers behind the bridge, compared with what the `eventsource` package (the
 * `EventSource` of Node) gets from them directly: `sse-channel`'s own example server started as it
 * is, and a server written with `better-sse`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer as createHttpServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { createSession } from 'better-sse';
import { EventSource } from 'eventsource';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../../../helpers/free-port.js';
import { bridgeTo, follow, until, type Received } from './harness.js';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** Reads `types` events from `url` with the `eventsource` package, as `{ type, data, eventId }`. */
function direct(url: string, types: readonly string[]): Received[] {
  const events: Received[] = [];
  const source = new EventSource(url);
  for (const type of types) source.addEventListener(type, (event) => events.push({ type, data: event.data, eventId: event.lastEventId }));
  cleanups.push(() => source.close());
  return events;
}

/** Starts `node_modules/sse-channel/examples/node.js/server.js` unchanged, on a free port given as argv[2]. */
async function startSseChannelExample(): Promise<string> {
  const port = await freePort();
  const script = path.resolve('node_modules/sse-channel/examples/node.js/server.js');
  const child: ChildProcess = spawn(process.execPath, [script, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  cleanups.push(() => child.kill());
  await new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the sse-channel example exited with ${code}`)));
    child.stdout?.on('data', (chunk: Buffer) => {
      if (String(chunk).includes('Listening on')) resolve();
    });
  });
  return `http://127.0.0.1:${port}`;
}

describe('SSE bridge: third-party SSE servers, compared with EventSource', () => {
  it('relays sse-channel\'s example (freemem/loadavg with ids) exactly as EventSource receives it directly', async () => {
    const upstream = await startSseChannelExample();
    const types = ['freemem', 'loadavg'];
    // Wait for the server's first event, then read from there with both: its history makes the two sequences start alike.
    const probe = direct(`${upstream}/channel/sysInfo`, types);
    await until(() => probe.length > 0, 'a first event from the example server');
    const streamPath = `/channel/sysInfo?lastEventId=${probe[0]?.eventId ?? ''}`;

    const { hub, bridge } = bridgeTo(upstream);
    const attachment = await bridge.attach(`sse:${streamPath}`, { headers: {} }, {});
    const bridged = await follow(hub, attachment.hubChannel);
    const directly = direct(`${upstream}${streamPath}`, types);
    await until(() => bridged.events.length >= 8 && directly.length >= 8, 'eight events on each side');

    expect(bridged.events.slice(0, 8)).toEqual(directly.slice(0, 8));
    const ids = bridged.events.slice(0, 8).map((e) => Number(e.eventId));
    expect(ids).toEqual(ids.map((_, i) => (ids[0] ?? 0) + i));
    expect(bridged.events.slice(0, 8).map((e) => e.type)).toEqual(expect.arrayContaining(types));
  });

  it('relays a better-sse server, resuming with Last-Event-ID after it drops, as EventSource does', async () => {
    const server: Server = createHttpServer((req, res) => {
      void createSession(req, res, { retry: 20, keepAlive: 50 }).then((session) => {
        const after = Number(session.lastId || 0);
        for (let n = after + 1; n <= after + 3; n += 1) session.push({ n }, 'tick', String(n));
        // The first connection drops after three ticks; the one that resumes stays open.
        if (after === 0) setTimeout(() => res.destroy(), 30);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => {
      server.closeAllConnections();
      server.close();
    });
    const upstream = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const { hub, bridge } = bridgeTo(upstream, { retryMs: 60_000 });
    const attachment = await bridge.attach('sse:/ticks', { headers: {} }, {});
    const bridged = await follow(hub, attachment.hubChannel);
    const directly = direct(`${upstream}/ticks`, ['tick']);
    await until(() => bridged.events.length >= 6 && directly.length >= 6, 'six ticks on each side');

    expect(bridged.events).toEqual(directly);
    expect(bridged.events.map((e) => [e.eventId, e.data])).toEqual([1, 2, 3, 4, 5, 6].map((n) => [String(n), JSON.stringify({ n })]));
  });
});
