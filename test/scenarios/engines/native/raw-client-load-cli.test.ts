/**
 * `wsmig load run latency --target ws://…` (the real CLI) against a plain `ws` JSON echo server
 * wsmig did not write, once on the native engine's own RFC 6455 client (WSMIG_NATIVE_WS_CLIENT=raw)
 * and once on `ws` (the default): both give the same Result shape, every request timed
 * into the histogram and checked. Outcomes only, never timings. Needs `npm run build`.
 */
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocketServer } from 'ws';
import type { MetricResult, Result } from '../../../../scenarios/result/types.js';
import { runCli } from '../../../helpers/cli.js';
import { tempDirPerTest } from '../../../helpers/temp-dir.js';

const dir = tempDirPerTest('wsmig-raw-client-');
let wss: WebSocketServer;
let url: string;
let connections = 0;

beforeAll(async () => {
  // A JSON echo in wsmig's envelope shape: each request answered by a `reply` with its id, as the protocol's echo does.
  wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await once(wss, 'listening');
  wss.on('connection', (socket) => {
    connections += 1;
    socket.on('message', (data) => {
      const frame = JSON.parse(String(data)) as { id: string; channel: string; payload?: unknown };
      socket.send(JSON.stringify({ id: frame.id, channel: frame.channel, type: 'reply', payload: frame.payload ?? null }));
    });
  });
  url = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/ws`;
});

afterAll(async () => {
  for (const client of wss.clients) client.terminate();
  await new Promise((resolve) => wss.close(resolve));
});

function aggregate(result: Result, name: string): MetricResult | undefined {
  return result.metrics.find((m) => m.name === name && m.tags['scenario'] === 'latency');
}

async function latencyRun(env: Record<string, string>): Promise<Result> {
  const run = await runCli(
    ['load', 'run', 'latency', '--target', url, '--duration', '3s', '--ramp-up', '500ms', '--connections', '4', '--rate', '60', '--workers', '1', '--set', 'syncs=0', '--out', dir(), '--json'],
    { env, timeoutMs: 90_000 },
  );
  expect(run.stdout.trim().startsWith('{'), `no Result on stdout (exit ${run.exitCode}): ${run.stderr}`).toBe(true);
  return JSON.parse(run.stdout) as Result;
}

describe('the native engine on its raw client and on ws, against a foreign JSON echo', () => {
  it('times and checks every reply on either client, into the same Result shape', async () => {
    const before = connections;
    const raw = await latencyRun({ WSMIG_NATIVE_WS_CLIENT: 'raw' });
    expect(connections - before, 'the raw client connected').toBeGreaterThanOrEqual(4);
    const onWs = await latencyRun({});
    for (const [client, result] of [['raw', raw], ['ws', onWs]] as const) {
      const iterations = (aggregate(result, 'iterations')?.values as { count: number } | undefined)?.count ?? 0;
      expect(iterations, client).toBeGreaterThan(50);
      const rpc = aggregate(result, 'ws_rpc_duration');
      expect(rpc?.values, client).toMatchObject({ count: iterations });
      expect(rpc?.histogram?.encoding, client).toBe('hdr-compressed-base64');
      expect(aggregate(result, 'checks')?.values, client).toMatchObject({ passes: iterations, fails: 0 });
      expect(aggregate(result, 'ws_msgs_received')?.values, client).toMatchObject({ count: iterations });
      expect(aggregate(result, 'ws_connect_success')?.values, client).toMatchObject({ passes: 4, fails: 0 });
      expect(aggregate(result, 'ws_unexpected_disconnects')?.values ?? { count: 0 }, client).toMatchObject({ count: 0 });
    }
    const shape = (result: Result): string[] => result.metrics.map((m) => `${m.name}${JSON.stringify(m.tags)}:${m.type}:${m.histogram ? 'h' : ''}`).sort();
    expect(shape(raw)).toEqual(shape(onWs));
    expect(Object.keys(raw).sort()).toEqual(Object.keys(onWs).sort());
  });
});
