/**
 * The "done when", on a server nobody here wrote: the `sse-channel` package's own Node.js
 * example, started as it ships, serves its streams to `WsEventSource` through `wsmig server
 * --upstream` with the same events, ids and order that an `EventSource` (the `eventsource` package)
 * gets from it directly.
 */
import { EventSource } from 'eventsource';
import { execa, type ResultPromise } from 'execa';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WSClient, WsEventSource } from '../../reference/client/node.js';
import { REPO_ROOT } from '../helpers/cli.js';
import { freePort } from '../helpers/free-port.js';
import { startServerCli } from '../helpers/server-process.js';

const EXAMPLE = path.join(REPO_ROOT, 'node_modules/sse-channel/examples/node.js/server.js');

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Starts the example exactly as its README says (`node examples/node.js/server.js <port>`); resolves once it listens. */
async function startExample(): Promise<{ url: string; child: ResultPromise }> {
  const port = await freePort();
  const child = execa(process.execPath, [EXAMPLE, String(port)], { reject: false, buffer: false });
  cleanups.push(() => child.kill());
  await new Promise<void>((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      if (String(chunk).includes('Listening on')) resolve();
    });
    void child.then((result) => reject(new Error(`the sse-channel example exited (${String(result.exitCode)}): ${String(result.stderr)}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

interface Seen {
  type: string;
  id: string;
  data: string;
}

type Listenable = { addEventListener(type: string, listener: (event: MessageEvent) => void): void };

function record(source: Listenable, types: readonly string[], into: Seen[]): void {
  for (const type of types) source.addEventListener(type, (event) => into.push({ type: event.type, id: event.lastEventId, data: String(event.data) }));
}

/** The events of `seen` whose ids are in `ids`, in their order. */
function restrictTo(seen: readonly Seen[], ids: ReadonlySet<string>): Seen[] {
  return seen.filter((event) => ids.has(event.id));
}

function idsAreConsecutive(seen: readonly Seen[]): boolean {
  return seen.every((event, index) => index === 0 || Number(event.id) === Number(seen[index - 1]?.id) + 1);
}

describe('a third-party SSE server through wsmig server --upstream', () => {
  it.each([
    ['a shared route (one upstream stream for every subscriber)', ['--shared-route', '/channel/*']],
    ['a per-user route (the default)', []],
  ])('relays sse-channel example events with the same names, ids, data and order as EventSource sees directly: %s', async (_name, flags) => {
    const example = await startExample();
    const gateway = await startServerCli({ args: ['--upstream', example.url, ...flags] });
    cleanups.push(() => gateway.child.kill());
    const client = new WSClient({ url: gateway.listening.wsUrl });
    cleanups.push(() => client.close());

    const types = ['freemem', 'loadavg'];
    const direct: Seen[] = [];
    const native = new EventSource(`${example.url}/channel/sysInfo`);
    cleanups.push(() => native.close());
    record(native as unknown as Listenable, types, direct);

    const relayed: Seen[] = [];
    const source = new WsEventSource(`${example.url}/channel/sysInfo`, {}, { client, transport: 'ws' });
    cleanups.push(() => source.close());
    record(source, types, relayed);

    // The example publishes two events every 250 ms; wait until both have seen a good stretch of the same ids.
    await vi.waitFor(
      () => {
        const common = new Set(direct.map((event) => event.id).filter((id) => relayed.some((event) => event.id === id)));
        expect(common.size).toBeGreaterThanOrEqual(16);
      },
      { timeout: 20_000, interval: 100 },
    );
    expect(source.transport).toBe('ws');
    source.close();
    native.close();

    const common = new Set(direct.map((event) => event.id).filter((id) => relayed.some((event) => event.id === id)));
    const directPart = restrictTo(direct, common);
    const relayedPart = restrictTo(relayed, common);
    // Same events (name, id, data) in the same order, each once.
    expect(relayedPart).toEqual(directPart);
    // No gap and no duplicate on either side: the example numbers its events 1, 2, 3, …
    expect(idsAreConsecutive(relayed)).toBe(true);
    expect(idsAreConsecutive(direct)).toBe(true);
    expect(relayedPart.map((event) => event.type)).toEqual(expect.arrayContaining(['freemem', 'loadavg']));
  });

  it('loses and repeats nothing when the gateway is restarted mid-stream: the new one resumes the upstream with Last-Event-ID', async () => {
    const example = await startExample();
    const first = await startServerCli({ args: ['--upstream', example.url] });
    const port = first.listening.port;
    const client = new WSClient({ url: first.listening.wsUrl, reconnectDelay: 50 });
    cleanups.push(() => client.close());

    const relayed: Seen[] = [];
    const source = new WsEventSource(`${example.url}/channel/sysInfo`, {}, { client, transport: 'ws' });
    cleanups.push(() => source.close());
    record(source, ['freemem', 'loadavg'], relayed);
    await vi.waitFor(() => expect(relayed.length).toBeGreaterThanOrEqual(6), { timeout: 10_000, interval: 50 });

    first.child.kill('SIGKILL');
    await first.child;
    const before = relayed.length;
    const second = await startServerCli({ port, args: ['--upstream', example.url] });
    cleanups.push(() => second.child.kill());
    await vi.waitFor(() => expect(relayed.length).toBeGreaterThanOrEqual(before + 8), { timeout: 20_000, interval: 50 });
    source.close();

    expect(relayed.map((event) => event.id)).toEqual(relayed.map((_event, index) => String(Number(relayed[0]?.id) + index)));
  });

  it('relays an id-less JSON stream of the same example (the random channel) with its data intact and no ids', async () => {
    const example = await startExample();
    const gateway = await startServerCli({ args: ['--upstream', example.url] });
    cleanups.push(() => gateway.child.kill());
    const client = new WSClient({ url: gateway.listening.wsUrl });
    cleanups.push(() => client.close());

    const relayed: Seen[] = [];
    const source = new WsEventSource(`${example.url}/channel/random`, {}, { client, transport: 'ws' });
    cleanups.push(() => source.close());
    record(source, ['message'], relayed);
    await vi.waitFor(() => expect(relayed.length).toBeGreaterThanOrEqual(2), { timeout: 10_000, interval: 100 });
    expect(source.transport).toBe('ws');
    for (const event of relayed) {
      const body = JSON.parse(event.data) as { time?: unknown; randomNumber?: unknown };
      expect(typeof body.time).toBe('string');
      expect(typeof body.randomNumber).toBe('number');
      expect(event.id).toBe('');
    }
  });
});
