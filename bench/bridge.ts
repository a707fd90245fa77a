/**
 * `npm run bench:bridge` (issue 8, "Benchmarks"): the SSE bridge against a direct publish, both
 * measured in this run on the same gateway process and the same WebSocket connections.
 *
 * - Fan-out: one shared upstream SSE stream relayed to 5,000 subscribers, against the same events
 *   sent with `gateway.publish` to 5,000 subscribers of an app channel: deliveries per gateway
 *   CPU-second, as a ratio (target ≥ 0.8×).
 * - Latency at 1,000 subscribers: the p99 the bridge adds (target ≤ 5 ms).
 *
 * Every event starts in this process (the load generator), stamped with its send time: written to
 * the upstream SSE response (bridge), or sent over IPC to the gateway, which publishes it (direct).
 * Both paths cross one process boundary, so the difference is what the bridge costs. The gateway
 * (`createGateway` with `upstream`) runs in a child process of its own: its CPU time is measured alone.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import * as hdr from 'hdr-histogram-js';
import { WebSocket } from 'ws';
import { createGateway } from '../reference/server/index.js';
import { median } from './helpers/median.js';

const FAN_OUT_SUBSCRIBERS = 5_000;
const LATENCY_SUBSCRIBERS = 1_000;
const EVENTS_PER_SECOND = 20;
const EVENTS_PER_PHASE = 100;
const ROUNDS = 3;
/** Pads each event's data to about 100 bytes, as the server benchmark's payloads. */
const PADDING = 'x'.repeat(80);
const CHANNELS = {
  direct: { fan: 'bench-fan', latency: 'bench-latency' },
  bridge: { fan: 'sse:/bench/fan', latency: 'sse:/bench/latency' },
} as const;
type Mode = keyof typeof CHANNELS;

type ToGateway = { cmd: 'stats' } | { cmd: 'publish'; channel: string; data: string; id: string };
type FromGateway = { event: 'listening'; port: number } | { event: 'stats'; cpuMicros: number };

/** The child process: a gateway bridging the load generator's upstream, publishing on request. */
async function runGateway(upstream: string): Promise<void> {
  const gateway = await createGateway({ port: 0, authorize: () => true, upstream: { upstream, sharedRoutes: ['/bench/*'] } });
  const send = (message: FromGateway): boolean | undefined => process.send?.(message);
  process.on('message', (message: ToGateway) => {
    if (message.cmd === 'publish') void gateway.publish(message.channel, 'tick', message.data, { id: message.id });
    else {
      const cpu = process.cpuUsage();
      send({ event: 'stats', cpuMicros: cpu.user + cpu.system });
    }
  });
  process.on('disconnect', () => void gateway.close().then(() => process.exit(0)));
  send({ event: 'listening', port: gateway.port ?? 0 });
}

/** The upstream SSE server, in this process: one open response per path, written to on demand. */
async function startUpstream(): Promise<{ url: string; write(path: string, text: string): void; close(): void }> {
  const streams = new Map<string, ServerResponse>();
  const server = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(': open\n\n');
    streams.set(req.url ?? '', res);
  });
  const keepAlive = setInterval(() => {
    for (const res of streams.values()) res.write(': keep-alive\n\n');
  }, 10_000);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    write: (path, text) => streams.get(path)?.write(text),
    close: () => {
      clearInterval(keepAlive);
      server.closeAllConnections();
      server.close();
    },
  };
}

function startGatewayProcess(upstream: string): Promise<{ child: ChildProcess; port: number }> {
  const child = fork(fileURLToPath(import.meta.url), ['gateway', upstream], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`the gateway process exited with ${code} before listening`)));
    child.on('message', (message: FromGateway) => {
      if (message.event === 'listening') resolve({ child, port: message.port });
    });
  });
}

function gatewayCpuMicros(child: ChildProcess): Promise<number> {
  return new Promise((resolve) => {
    const onMessage = (message: FromGateway): void => {
      if (message.event !== 'stats') return;
      child.off('message', onMessage);
      resolve(message.cpuMicros);
    };
    child.on('message', onMessage);
    child.send({ cmd: 'stats' } satisfies ToGateway);
  });
}

function newHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
}

/** What the clients received during one phase. */
class Tally {
  delivered = 0;
  /** Latency of every delivery. */
  readonly histogram = newHistogram();
  /** Latency of each event's first delivery: the path to the gateway and through it, without the fan-out loop. */
  readonly firstDelivery = newHistogram();
  private readonly seen = new Set<number>();

  constructor(readonly channel: string, private readonly recordLatency: boolean) {}

  /** Counts a frame of this phase's channel, and records its latency (µs) from the send time in its data. */
  onFrame(text: string, receivedAt: number): void {
    if (!text.includes(`"channel":"${this.channel}"`) || !text.includes('"type":"tick"')) return;
    this.delivered += 1;
    if (!this.recordLatency) return;
    const start = text.indexOf('t=') + 2;
    const sentAt = Number.parseFloat(text.slice(start, text.indexOf(';', start)));
    const micros = Math.max(1, Math.round((receivedAt - sentAt) * 1000));
    this.histogram.recordValue(micros);
    if (this.seen.has(sentAt)) return;
    this.seen.add(sentAt);
    this.firstDelivery.recordValue(micros);
  }

  destroy(): void {
    this.histogram.destroy();
    this.firstDelivery.destroy();
  }
}

/** Opens `count` WebSockets and subscribes each to `channels(i)`, waiting for every reply. */
async function connectSubscribers(url: string, count: number, channels: (i: number) => string[], onFrame: (text: string, at: number) => void): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  const connectOne = (i: number): Promise<WebSocket> =>
    new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { perMessageDeflate: false });
      const wanted = channels(i);
      let replies = 0;
      ws.once('error', reject);
      ws.once('open', () => wanted.forEach((channel, k) => ws.send(JSON.stringify({ id: `s${k}`, channel, type: 'subscribe', payload: {} }))));
      ws.on('message', (data) => {
        const text = String(data);
        if (replies < wanted.length && text.includes('"type":"reply"')) {
          replies += 1;
          if (replies === wanted.length) resolve(ws);
        } else if (replies < wanted.length && text.includes('"type":"error"')) reject(new Error(`subscribe refused: ${text}`));
        else onFrame(text, performance.now());
      });
    });
  for (let i = 0; i < count; i += 250) sockets.push(...(await Promise.all(Array.from({ length: Math.min(250, count - i) }, (_, k) => connectOne(i + k)))));
  return sockets;
}

interface PhaseResult {
  delivered: number;
  expected: number;
  cpuSeconds: number;
  p50Micros: number;
  p99Micros: number;
  firstDeliveryP99Micros: number;
}

async function main(): Promise<void> {
  console.log(`wsmig bridge benchmark — Node ${process.version}, ratios measured in this run`);
  const upstream = await startUpstream();
  const { child, port } = await startGatewayProcess(upstream.url);
  let tally: Tally | undefined;
  const onFrame = (text: string, at: number): void => tally?.onFrame(text, at);
  const sockets = await connectSubscribers(
    `ws://127.0.0.1:${port}/ws`,
    FAN_OUT_SUBSCRIBERS,
    (i) => [CHANNELS.direct.fan, CHANNELS.bridge.fan, ...(i < LATENCY_SUBSCRIBERS ? [CHANNELS.direct.latency, CHANNELS.bridge.latency] : [])],
    onFrame,
  );
  let eventNumber = 0;

  const phase = async (mode: Mode, kind: 'fan' | 'latency', events: number): Promise<PhaseResult> => {
    const channel = CHANNELS[mode][kind];
    const subscribers = kind === 'fan' ? FAN_OUT_SUBSCRIBERS : LATENCY_SUBSCRIBERS;
    tally = new Tally(channel, kind === 'latency');
    const current = tally;
    const cpuBefore = await gatewayCpuMicros(child);
    for (let i = 0; i < events; i += 1) {
      eventNumber += 1;
      const sentAt = performance.now();
      const data = `t=${sentAt};${PADDING}`;
      if (mode === 'bridge') upstream.write(`/bench/${kind}`, `id: ${eventNumber}\nevent: tick\ndata: ${data}\n\n`);
      else child.send({ cmd: 'publish', channel, data, id: String(eventNumber) } satisfies ToGateway);
      await sleep(1_000 / EVENTS_PER_SECOND);
    }
    const expected = events * subscribers;
    const deadline = performance.now() + 15_000;
    while (current.delivered < expected && performance.now() < deadline) await sleep(20);
    const cpuSeconds = ((await gatewayCpuMicros(child)) - cpuBefore) / 1e6;
    const result = {
      delivered: current.delivered,
      expected,
      cpuSeconds,
      p50Micros: current.histogram.getValueAtPercentile(50),
      p99Micros: current.histogram.getValueAtPercentile(99),
      firstDeliveryP99Micros: current.firstDelivery.getValueAtPercentile(99),
    };
    current.destroy();
    tally = undefined;
    return result;
  };

  type Outcome = 'PASS' | 'MISS' | 'INCONCLUSIVE';
  const verdicts: Outcome[] = [];
  const verdict = (target: string, outcome: Outcome | boolean, detail: string): void => {
    const shown = outcome === true ? 'PASS' : outcome === false ? 'MISS' : outcome;
    verdicts.push(shown);
    console.log(`  ${shown}  ${target}: ${detail}`);
  };
  const modes: readonly Mode[] = ['direct', 'bridge'];

  console.log(`\n1. Fan-out: ${EVENTS_PER_PHASE} events at ${EVENTS_PER_SECOND}/s to ${FAN_OUT_SUBSCRIBERS.toLocaleString('en-US')} subscribers, ${ROUNDS} alternating rounds (after a warm-up)`);
  for (const mode of modes) await phase(mode, 'fan', EVENTS_PER_SECOND);
  const perCpu: Record<Mode, number[]> = { direct: [], bridge: [] };
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const mode of modes) {
      const run = await phase(mode, 'fan', EVENTS_PER_PHASE);
      const rate = run.delivered / run.cpuSeconds;
      perCpu[mode].push(rate);
      console.log(`   round ${round} ${mode.padEnd(6)} delivered ${run.delivered.toLocaleString('en-US')}/${run.expected.toLocaleString('en-US')}, gateway CPU ${run.cpuSeconds.toFixed(2)} s → ${Math.round(rate).toLocaleString('en-US')} deliveries per CPU-second`);
      if (run.delivered !== run.expected) verdict(`every event delivered (${mode}, round ${round})`, false, `${run.expected - run.delivered} missing`);
    }
  }
  const fanRatio = median(perCpu.bridge) / median(perCpu.direct);
  verdict('bridge deliveries per gateway CPU-second ≥ 0.8× direct publish', fanRatio >= 0.8, `${fanRatio.toFixed(2)}×`);

  console.log(`\n2. Latency: ${EVENTS_PER_PHASE} events at ${EVENTS_PER_SECOND}/s to ${LATENCY_SUBSCRIBERS.toLocaleString('en-US')} subscribers, ${ROUNDS} alternating rounds`);
  const p99: Record<Mode, number[]> = { direct: [], bridge: [] };
  const firstP99: Record<Mode, number[]> = { direct: [], bridge: [] };
  const ms = (micros: number): string => `${(micros / 1000).toFixed(2)} ms`;
  for (let round = 1; round <= ROUNDS; round += 1) {
    for (const mode of modes) {
      const run = await phase(mode, 'latency', EVENTS_PER_PHASE);
      p99[mode].push(run.p99Micros);
      firstP99[mode].push(run.firstDeliveryP99Micros);
      console.log(`   round ${round} ${mode.padEnd(6)} p50 ${ms(run.p50Micros)}  p99 ${ms(run.p99Micros)}  first delivery p99 ${ms(run.firstDeliveryP99Micros)}  (${run.delivered.toLocaleString('en-US')} deliveries)`);
    }
  }
  const spread = (values: number[]): string => `${ms(Math.min(...values))}–${ms(Math.max(...values))}`;
  console.log(`   p99 across rounds: direct ${spread(p99.direct)}, bridge ${spread(p99.bridge)}; first delivery p99 added by the bridge ${ms(median(firstP99.bridge) - median(firstP99.direct))}`);
  const addedMicros = median(p99.bridge) - median(p99.direct);
  // When the baseline's own p99 moves by more than the target between rounds (a busy machine), the difference says nothing.
  const noiseMicros = Math.max(...p99.direct) - Math.min(...p99.direct);
  const latencyOutcome: Outcome = noiseMicros > 5_000 ? 'INCONCLUSIVE' : addedMicros <= 5_000 ? 'PASS' : 'MISS';
  verdict('p99 added by the bridge ≤ 5 ms at 1,000 subscribers', latencyOutcome, `${ms(addedMicros)} (median p99: bridge ${ms(median(p99.bridge))}, direct ${ms(median(p99.direct))}; direct p99 moved ${ms(noiseMicros)} between rounds)`);

  for (const ws of sockets) ws.terminate();
  child.disconnect();
  upstream.close();
  const met = verdicts.filter((outcome) => outcome === 'PASS').length;
  const inconclusive = verdicts.filter((outcome) => outcome === 'INCONCLUSIVE').length;
  console.log(`\n${met}/${verdicts.length} targets met${inconclusive > 0 ? ` (${inconclusive} inconclusive: run again on a quiet machine)` : ''}`);
}

if (process.argv[2] === 'gateway') await runGateway(process.argv[3] ?? '');
else await main();
