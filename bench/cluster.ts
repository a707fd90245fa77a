/**
 * `npm run bench:cluster`: the Redis engine against the memory engine, both measured in this run
 * (ratios, never numbers from another machine or day), and a reconnect storm across two instances.
 * Needs `redis-server` on PATH (it starts its own, on a free port, without persistence); says so and
 * exits 0 without it. Bounded: about a minute.
 *
 * 1. Events per second: one publisher, subscribers spread over the instances; memory engine on one
 *    instance vs the Redis engine on two. Target: ≥ 0.5×.
 * 2. Reconnect storm: 2,000 clients, each running its own sync, spread over two instances on Redis;
 *    kill -9 one: its clients reconnect to the other, which takes its runs over. Target: every client
 *    back, every sync completed, 0 lost and 0 duplicated events; the time and the survivor's event-loop lag printed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { MessageType, encodeFrame, type WSMessage } from '../reference/protocol/index.js';
import { freePort } from './helpers/free-port.js';
import { ServerProcess } from './helpers/server-process.js';
import { StormClient } from './helpers/storm-client.js';

const SUBSCRIBERS = 4;
const PUBLISH_MS = 5_000;
const IN_FLIGHT = 128;
const STORM_CLIENTS = 2_000;
const STORM_SYNC = { totalMessages: 100, batchSize: 5, batchDelayMs: 100 };
const JOB_LEASE_MS = 1_000;

const results: { target: string; pass: boolean; detail: string }[] = [];

function verdict(target: string, pass: boolean, detail: string): void {
  results.push({ target, pass, detail });
  console.log(`  ${pass ? 'PASS' : 'MISS'}  ${target}: ${detail}`);
}

async function redisBinary(): Promise<string | undefined> {
  for (const dir of [...(process.env['PATH'] ?? '').split(path.delimiter), '/usr/bin', '/usr/local/bin']) {
    if (dir === '') continue;
    const file = path.join(dir, 'redis-server');
    const ok = await import('node:fs/promises').then((fs) => fs.access(file).then(() => true, () => false));
    if (ok) return file;
  }
  return undefined;
}

interface RedisProcess {
  url: string;
  stop(): Promise<void>;
}

async function startRedis(binary: string): Promise<RedisProcess> {
  const port = await freePort();
  const dir = await mkdtemp(path.join(tmpdir(), 'wsmig-bench-redis-'));
  const child: ChildProcess = spawn(binary, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  for (let i = 0; i < 200; i += 1) {
    const up = await new Promise<boolean>((resolve) => {
      const socket = net.connect({ port, host: '127.0.0.1' }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (up) break;
    await sleep(25);
  }
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: async () => {
      child.kill('SIGKILL');
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A subscriber counting the events it receives and checking their seqs follow each other. */
class Subscriber {
  received = 0;
  seqErrors = 0;
  private lastSeq: number | undefined;
  private constructor(private readonly ws: WebSocket) {}

  static async open(url: string, channel: string): Promise<Subscriber> {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const subscriber = new Subscriber(ws);
    const subscribed = new Promise<void>((resolve) => {
      ws.on('message', (data) => {
        const message = JSON.parse(String(data)) as WSMessage;
        if (message.type === MessageType.reply) {
          resolve();
          return;
        }
        if (message.type !== 'tick') return;
        const seq = message.seq as number;
        if (subscriber.lastSeq !== undefined && seq !== subscriber.lastSeq + 1) subscriber.seqErrors += 1;
        subscriber.lastSeq = seq;
        subscriber.received += 1;
      });
    });
    ws.send(encodeFrame({ id: 's', channel, type: MessageType.subscribe, payload: null }));
    await subscribed;
    return subscriber;
  }

  close(): void {
    this.ws.terminate();
  }
}

/** Events per second reaching the subscribers (per subscriber), publishing from `publisher`. */
async function eventsPerSecond(publisher: ServerProcess, instances: readonly ServerProcess[], channel: string): Promise<{ eps: number; published: number; seqErrors: number; lost: number; cpuMicrosPerEvent: number }> {
  const subscribers = await Promise.all(Array.from({ length: SUBSCRIBERS }, (_, i) => Subscriber.open((instances[i % instances.length] as ServerProcess).wsUrl, channel)));
  const cpuBefore = await Promise.all(instances.map((instance) => instance.stats()));
  const { count } = await publisher.publish(channel, PUBLISH_MS, IN_FLIGHT);
  // Let the last events arrive.
  const deadline = performance.now() + 10_000;
  while (subscribers.some((s) => s.received < count) && performance.now() < deadline) await sleep(50);
  const delivered = subscribers.reduce((sum, s) => sum + s.received, 0) / subscribers.length;
  const seqErrors = subscribers.reduce((sum, s) => sum + s.seqErrors, 0);
  const lost = subscribers.reduce((sum, s) => sum + Math.max(0, count - s.received), 0);
  const cpuAfter = await Promise.all(instances.map((instance) => instance.stats()));
  const cpuMicros = cpuAfter.reduce((sum, stats, i) => sum + stats.cpuMicros - (cpuBefore[i] as { cpuMicros: number }).cpuMicros, 0);
  for (const s of subscribers) s.close();
  return { eps: delivered / (PUBLISH_MS / 1000), published: count, seqErrors, lost, cpuMicrosPerEvent: cpuMicros / Math.max(1, count) };
}

async function throughputBenchmark(redisUrl: string): Promise<void> {
  console.log(`\n1. Events per second: one publisher (${IN_FLIGHT} publishes in flight, ${PUBLISH_MS / 1000} s), ${SUBSCRIBERS} subscribers`);
  const memory = await ServerProcess.start({ kind: 'gateway', port: 0 });
  const baseline = await eventsPerSecond(memory, [memory], 'bench:memory');
  await memory.kill();
  console.log(`   memory engine, one instance: ${Math.round(baseline.eps).toLocaleString('en-US')} events/s per subscriber (${baseline.published} published, ${baseline.lost} lost, ${baseline.seqErrors} seq errors; ${baseline.cpuMicrosPerEvent.toFixed(1)} µs of instance CPU per event)`);
  const a = await ServerProcess.start({ kind: 'gateway', port: 0, redis: { url: redisUrl, prefix: 'bench:' } });
  const b = await ServerProcess.start({ kind: 'gateway', port: 0, redis: { url: redisUrl, prefix: 'bench:' } });
  const shared = await eventsPerSecond(a, [a, b], 'bench:redis');
  await Promise.all([a.kill(), b.kill()]);
  console.log(`   Redis engine, two instances (subscribers on both): ${Math.round(shared.eps).toLocaleString('en-US')} events/s per subscriber (${shared.published} published, ${shared.lost} lost, ${shared.seqErrors} seq errors; ${shared.cpuMicrosPerEvent.toFixed(1)} µs of instance CPU per event, both instances)`);
  const ratio = shared.eps / baseline.eps;
  verdict('Redis engine events/s ≥ 0.5× the memory engine', ratio >= 0.5 && shared.lost === 0 && shared.seqErrors === 0, `${ratio.toFixed(2)}× (${Math.round(shared.eps)} vs ${Math.round(baseline.eps)} events/s), ${shared.lost} lost, ${shared.seqErrors} seq errors`);
}


async function stormBenchmark(redisUrl: string): Promise<void> {
  console.log(`\n2. Reconnect storm: ${STORM_CLIENTS.toLocaleString('en-US')} clients running syncs on two instances on Redis; kill -9 one`);
  const redis = { url: redisUrl, prefix: 'storm:', jobLeaseMs: JOB_LEASE_MS };
  const a = await ServerProcess.start({ kind: 'reference', port: 0, sync: STORM_SYNC, redis });
  const b = await ServerProcess.start({ kind: 'reference', port: 0, sync: STORM_SYNC, redis });
  let resubscribed = 0;
  let onAllBack: () => void = () => undefined;
  const allBack = new Promise<void>((resolve) => (onAllBack = resolve));
  // Even clients start on the instance that will be killed; their reconnects go to the other.
  const victims = STORM_CLIENTS / 2;
  const clients = Array.from({ length: STORM_CLIENTS }, (_, i) => new StormClient(i % 2 === 0 ? [a.wsUrl, b.wsUrl] : [b.wsUrl], i + 1, () => {
    resubscribed += 1;
    if (resubscribed === victims) onAllBack();
  }));
  for (let i = 0; i < clients.length; i += 200) await Promise.all(clients.slice(i, i + 200).map((c) => c.start()));
  await sleep(600);
  await a.kill();
  const killedAt = performance.now();
  await b.lagP99Seconds();
  const outcome = await Promise.race([allBack.then(() => 'ok' as const), sleep(60_000).then(() => 'timeout' as const)]);
  const reconnectMs = performance.now() - killedAt;
  const deadline = performance.now() + 60_000;
  while (clients.some((c) => !c.completed) && performance.now() < deadline) await sleep(100);
  const completedMs = performance.now() - killedAt;
  const lagP99 = await b.lagP99Seconds();
  const completed = clients.filter((c) => c.completed).length;
  const seqErrors = clients.reduce((sum, c) => sum + c.seqErrors, 0);
  for (const c of clients) c.stop();
  await b.kill();
  console.log(`   the ${victims.toLocaleString('en-US')} clients of the killed instance resubscribed on the other ${Math.round(reconnectMs)} ms after the kill${outcome === 'timeout' ? ' (TIMED OUT)' : ''}`);
  console.log(`   every sync completed ${Math.round(completedMs)} ms after the kill (its runs taken over after the ${JOB_LEASE_MS} ms lease)`);
  console.log(`   survivor's event-loop lag p99: ${(lagP99 * 1000).toFixed(1)} ms`);
  verdict('all resumed, 0 lost, 0 duplicated', outcome === 'ok' && completed === STORM_CLIENTS && seqErrors === 0, `${resubscribed}/${victims} back in ${Math.round(reconnectMs)} ms, ${completed}/${STORM_CLIENTS} syncs completed, ${seqErrors} seq gaps or repeats`);
}

const startedAt = performance.now();
console.log(`wsmig cluster benchmark — Node ${process.version}, ratios measured in this run`);
const binary = await redisBinary();
if (binary === undefined) {
  console.log('skipped: no redis-server on PATH (install the redis-server package)');
} else {
  const redis = await startRedis(binary);
  try {
    await throughputBenchmark(redis.url);
    await stormBenchmark(redis.url);
  } finally {
    await redis.stop();
  }
  const missed = results.filter((r) => !r.pass);
  console.log(`\n${results.length - missed.length}/${results.length} targets met in ${Math.round((performance.now() - startedAt) / 1000)} s${missed.length > 0 ? `; missed: ${missed.map((r) => r.target).join(', ')}` : ''}`);
}
