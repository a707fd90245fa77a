/**
 * A server process for the benchmarks, forked by bench/server.ts so the load generator never shares
 * its event loop: either the reference server or a bare `ws` JSON echo server (the baseline).
 * Talks to its parent over IPC: announces `listening`, answers `stats` with its CPU time and RSS.
 */
import { WebSocketServer } from 'ws';
import { DEFAULTS, createFileStatusStore, createGateway, createServer } from '../../reference/server/index.js';

/** What the parent asks this process to run. */
export interface BenchServerConfig {
  /** `gateway`: `createGateway` with `bench:*` channels open, publishing on the parent's `publish` command. */
  kind: 'bare' | 'reference' | 'gateway' | 'bare-broadcast';
  port: number;
  stateFile?: string;
  sync?: { totalMessages: number; batchSize: number; batchDelayMs: number };
  /** The Redis engine (reference server and gateway). */
  redis?: { url: string; prefix: string; jobLeaseMs?: number };
  /** Each publish lane waits for the next event-loop turn after every publish, so sockets get written between publishes (fan-out benchmark). */
  pacePublishes?: boolean;
  /** With `pacePublishes`: events published in one go (synchronously) per publish of a lane, as a batch arrives. */
  publishBurst?: number;
  /** The gateway kind's `writeDelayMs` (events held to be written together). */
  writeDelayMs?: number;
  /** Write a CPU profile (`.cpuprofile`, 100 µs sampling) of `durationMs` starting `afterMs` after listening. */
  cpuProfile?: { path: string; afterMs: number; durationMs: number };
}

/** A message from this process to the parent. */
export type BenchServerMessage =
  | { event: 'listening'; port: number }
  | { event: 'stats'; cpuMicros: number; rssBytes: number }
  | { event: 'published'; count: number; elapsedMs: number };

/** The parent's `publish` command: publish on `channel` for `durationMs`, keeping `inFlight` publishes going. */
interface PublishCommand {
  cmd: 'publish';
  channel: string;
  durationMs: number;
  inFlight: number;
}

let publishOn: ((channel: string, payload: unknown) => Promise<unknown>) | undefined;

async function publishFor(command: PublishCommand): Promise<void> {
  const publish = publishOn;
  if (publish === undefined) throw new Error('publish needs the gateway kind');
  const started = performance.now();
  const payload = { text: 'x'.repeat(89) };
  let count = 0;
  const lane = async (): Promise<void> => {
    while (performance.now() - started < command.durationMs) {
      await publish(command.channel, payload);
      count += 1;
    }
  };
  await Promise.all(Array.from({ length: command.inFlight }, lane));
  send({ event: 'published', count, elapsedMs: performance.now() - started });
}

async function listen(config: BenchServerConfig): Promise<number> {
  if (config.kind === 'bare') {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: config.port, backlog: DEFAULTS.listenBacklog, perMessageDeflate: false, clientTracking: false });
    wss.on('connection', (ws) => {
      ws.on('message', (data) => ws.send(JSON.stringify(JSON.parse(String(data)))));
      ws.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    return (wss.address() as { port: number }).port;
  }
  if (config.kind === 'bare-broadcast') {
    // The baseline of fan-out: the plainest broadcast loop, one JSON text per event sent to every client.
    const wss = new WebSocketServer({ host: '127.0.0.1', port: config.port, backlog: DEFAULTS.listenBacklog, perMessageDeflate: false });
    wss.on('connection', (ws) => ws.on('error', () => undefined));
    await new Promise<void>((resolve) => wss.once('listening', () => resolve()));
    let seq = 0;
    publishOn = async (channel, payload) => {
      seq += 1;
      const text = JSON.stringify({ id: 's', channel, type: 'tick', seq, ts: Date.now(), epoch: 'bare', payload });
      for (const ws of wss.clients) ws.send(text);
    };
    return (wss.address() as { port: number }).port;
  }
  if (config.kind === 'gateway') {
    const gateway = await createGateway({ port: config.port, channels: ['bench:*'], rateLimit: 1_000_000, maxSubscriptionsPerConnection: 1_000, ...(config.redis ? { redis: config.redis } : {}), ...(config.writeDelayMs === undefined ? {} : { writeDelayMs: config.writeDelayMs }) });
    publishOn = (channel, payload) => gateway.publish(channel, 'tick', payload);
    return gateway.port as number;
  }
  const server = await createServer({
    port: config.port,
    ...(config.redis ? { redis: config.redis } : {}),
    // The bucket still runs on every message; the benchmark's closed loop must not trip it.
    rateLimit: 1_000_000,
    ...(config.sync ? { sync: config.sync } : {}),
    ...(config.stateFile ? { store: createFileStatusStore(config.stateFile) } : {}),
  });
  return server.port;
}

function send(message: BenchServerMessage): void {
  process.send?.(message);
}

const config = JSON.parse(process.argv[2] ?? '{}') as BenchServerConfig;
const port = await listen(config);
process.on('message', (message: { cmd?: string; gc?: boolean } | PublishCommand) => {
  if (message.cmd === 'publish') {
    void publishFor(message as PublishCommand);
    return;
  }
  if (message.cmd !== 'stats') return;
  const collect = (globalThis as { gc?: () => void }).gc;
  if ((message as { gc?: boolean }).gc && collect) {
    collect();
    collect();
  }
  const cpu = process.cpuUsage();
  send({ event: 'stats', cpuMicros: cpu.user + cpu.system, rssBytes: process.memoryUsage().rss });
});
send({ event: 'listening', port });

if (config.pacePublishes && publishOn !== undefined) {
  const unpaced = publishOn;
  const burst = config.publishBurst ?? 1;
  publishOn = async (channel, payload) => {
    const published = await Promise.all(Array.from({ length: burst }, () => unpaced(channel, payload)));
    await new Promise((resolve) => setImmediate(resolve));
    return published;
  };
}

if (config.cpuProfile !== undefined) {
  const { path, afterMs, durationMs } = config.cpuProfile;
  const { Session } = await import('node:inspector/promises');
  const { writeFile } = await import('node:fs/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  setTimeout(() => {
    void (async () => {
      await session.post('Profiler.start');
      await new Promise((resolve) => setTimeout(resolve, durationMs));
      const { profile } = await session.post('Profiler.stop');
      await writeFile(path, JSON.stringify(profile));
    })();
  }, afterMs);
}
