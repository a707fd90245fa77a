/**
 * A server process for the benchmarks, forked by bench/server.ts so the load generator never shares
 * its event loop: either the reference server or a bare `ws` JSON echo server (the baseline).
 * Talks to its parent over IPC: announces `listening`, answers `stats` with its CPU time and RSS.
 */
import { WebSocketServer } from 'ws';
import { DEFAULTS, createFileStatusStore, createServer } from '../../reference/server/index.js';

/** What the parent asks this process to run. */
export interface BenchServerConfig {
  kind: 'bare' | 'reference';
  port: number;
  stateFile?: string;
  sync?: { totalMessages: number; batchSize: number; batchDelayMs: number };
}

/** A message from this process to the parent. */
export type BenchServerMessage = { event: 'listening'; port: number } | { event: 'stats'; cpuMicros: number; rssBytes: number };

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
  const server = await createServer({
    port: config.port,
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
process.on('message', (message: { cmd?: string; gc?: boolean }) => {
  if (message.cmd !== 'stats') return;
  const collect = (globalThis as { gc?: () => void }).gc;
  if (message.gc && collect) {
    collect();
    collect();
  }
  const cpu = process.cpuUsage();
  send({ event: 'stats', cpuMicros: cpu.user + cpu.system, rssBytes: process.memoryUsage().rss });
});
send({ event: 'listening', port });
