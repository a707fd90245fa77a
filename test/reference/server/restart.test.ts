// Restarts of the real CLI (`wsmig server --state-file F`), built into dist/ by `npm test` before vitest runs.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ResyncPayload, SubscribeReply, SyncProgressEvent, SyncStatusReply, WSMessage } from '../../../reference/protocol/index.js';
import { startServerCli, type ServerCli } from '../../helpers/server-process.js';
import { RawClient } from './raw-client.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const SYNC_ARGS = ['--sync-total', '100', '--sync-batch-size', '10', '--sync-batch-delay', '150ms', '--drain-window', '100ms'];

/** Starts `wsmig server` on `port` with the state file, and kills it after the test. */
async function startServer(port: number, stateFile: string): Promise<ServerCli> {
  const server = await startServerCli({ port, args: ['--state-file', stateFile, ...SYNC_ARGS] });
  cleanups.push(async () => {
    server.child.kill('SIGKILL');
    await server.child;
  });
  return server;
}

async function savedHistory(file: string): Promise<{ clean: boolean; channels: { name: string; seq: number }[] }> {
  return JSON.parse(await readFile(file, 'utf8')) as { clean: boolean; channels: { name: string; seq: number }[] };
}

const syncEvents = (messages: readonly WSMessage[]): WSMessage[] => messages.filter((m) => m.channel === 'sync:7' && ['sync:progress', 'sync:complete', 'sync:error'].includes(m.type));
const processedOf = (messages: readonly WSMessage[]): number[] => messages.filter((m) => m.type === 'sync:progress').map((m) => (m.payload as SyncProgressEvent).processed);

async function subscribedMidSync(wsUrl: string): Promise<RawClient> {
  const client = await RawClient.connect(wsUrl);
  await client.request('subscribe', null, 'sync:7');
  await client.request('sync:start', { chatId: 7 });
  await client.next((m) => m.type === 'sync:progress' && (m.payload as SyncProgressEvent).processed >= 30, 20_000);
  return client;
}

/** A folder for the state file, removed after the test's servers are gone (cleanups run last-first). */
async function stateDir(): Promise<string> {
  const dir = await mkdtemp(path.join(tmpdir(), 'wsmig-restart-cli-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

describe('wsmig server --state-file across restarts', () => {

  it('SIGTERM and start again: same epoch, the resume replays exactly the missed events, one continuous sync', async () => {
    const dir = await stateDir();
    const stateFile = path.join(dir, 'state.json');
    const first = await startServer(0, stateFile);
    const client = await subscribedMidSync(first.listening.wsUrl);
    first.child.kill('SIGTERM');
    expect((await client.closed).code).toBe(1012);
    expect((await first.child).exitCode).toBe(0);
    const before = syncEvents(client.messages);
    const lastSeq = before.at(-1)?.seq as number;

    const second = await startServer(first.listening.port, stateFile);
    expect(second.listening.epoch).toBe(first.listening.epoch);
    // The resumed run goes on while the client is away: let it publish two events the client then misses.
    const watcher = await RawClient.connect(second.listening.wsUrl);
    await watcher.request('subscribe', null, 'sync:7');
    await watcher.next((m) => m.channel === 'sync:7' && m.seq !== undefined && m.seq >= lastSeq + 2, 20_000);
    const again = await RawClient.connect(second.listening.wsUrl);
    const reply = await again.request('subscribe', { fromSeq: lastSeq, epoch: first.listening.epoch }, 'sync:7');
    expect(reply.payload).toMatchObject({ epoch: first.listening.epoch });
    expect((reply.payload as SubscribeReply).replayed).toBeGreaterThanOrEqual(2);
    await again.next((m) => m.type === 'sync:complete', 20_000);
    expect(again.messages.some((m) => m.type === 'resync')).toBe(false);

    const stream = [...before, ...syncEvents(again.messages)];
    expect(stream.map((m) => m.seq)).toEqual(Array.from({ length: 11 }, (_, i) => i + 1));
    expect(processedOf(stream)).toEqual([10, 20, 30, 40, 50, 60, 70, 80, 90, 100]);
    expect(new Set(stream.map((m) => (m.payload as { runId: string }).runId)).size).toBe(1);
    expect(stream.at(-1)?.type).toBe('sync:complete');
    again.close();
    watcher.close();
  }, 60_000);

  it('kill -9 and start again: the saved history under a new epoch, an honest resync for the resume, then an unbroken stream to the end', async () => {
    const dir = await stateDir();
    const stateFile = path.join(dir, 'state.json');
    const first = await startServer(0, stateFile);
    const client = await subscribedMidSync(first.listening.wsUrl);
    // Crash once the periodic save has written some of the events.
    const hubFile = path.join(dir, 'state.hub.json');
    await vi.waitUntil(async () => ((await savedHistory(hubFile)).channels.find((c) => c.name === 'sync:7')?.seq ?? 0) >= 3, { timeout: 20_000, interval: 20 });
    first.child.kill('SIGKILL');
    expect((await first.child).signal).toBe('SIGKILL');
    const before = syncEvents(client.messages);
    const lastSeq = before.at(-1)?.seq as number;
    const saved = await savedHistory(hubFile);
    expect(saved.clean).toBe(false);
    const savedSeq = saved.channels.find((c) => c.name === 'sync:7')?.seq ?? 0;

    const second = await startServer(first.listening.port, stateFile);
    expect(second.listening.epoch).not.toBe(first.listening.epoch);
    const again = await RawClient.connect(second.listening.wsUrl);
    const reply = await again.request('subscribe', { fromSeq: lastSeq, epoch: first.listening.epoch }, 'sync:7');
    const resync = await again.next((m) => m.type === 'resync');
    const payload = resync.payload as ResyncPayload<SyncStatusReply>;
    expect(payload).toMatchObject({ reason: 'epoch-changed', epoch: second.listening.epoch, seq: (reply.payload as SubscribeReply).seq });
    expect(payload.snapshot).toMatchObject({ chatId: 7, runId: (before[0]?.payload as { runId: string }).runId });
    await again.next((m) => m.type === 'sync:complete', 20_000);

    // After the resync: every event once, in order, in the new epoch, going on from the snapshot's progress.
    const after = syncEvents(again.messages);
    expect(after.map((m) => m.seq)).toEqual(Array.from({ length: after.length }, (_, i) => payload.seq + 1 + i));
    expect(after.every((m) => m.epoch === second.listening.epoch)).toBe(true);
    const progress = processedOf(after);
    expect(progress).toEqual(Array.from({ length: progress.length }, (_, i) => (payload.snapshot?.processed ?? 0) + 10 * (i + 1)));
    expect(progress.at(-1) ?? payload.snapshot?.processed).toBe(100);
    // What was saved last is restored, under the new epoch: read from its start, it holds the saved
    // events as the client saw them, then the resumed run's, every seq once.
    const fromStart = await again.request('subscribe', { fromSeq: 0, epoch: second.listening.epoch }, 'sync:7');
    await again.next((m) => m.id === fromStart.id && m.type === 'sync:complete');
    const history = syncEvents(again.messages.filter((m) => m.id === fromStart.id));
    expect(history.map((m) => m.seq)).toEqual(Array.from({ length: history.length }, (_, i) => i + 1));
    const seenBeforeCrash = new Map(before.map((m) => [m.seq, m.payload]));
    for (const restored of history.slice(0, savedSeq)) if (seenBeforeCrash.has(restored.seq)) expect(restored.payload).toEqual(seenBeforeCrash.get(restored.seq));
    expect(history.slice(0, savedSeq).filter((m) => seenBeforeCrash.has(m.seq)).length).toBeGreaterThanOrEqual(3);
    expect(history.every((m) => m.epoch === second.listening.epoch)).toBe(true);
    expect(history.at(-1)?.type).toBe('sync:complete');
    again.close();
  }, 60_000);
});
