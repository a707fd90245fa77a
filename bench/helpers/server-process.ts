/** Starts and stops a bench server process (bench-server.js) and asks it for its CPU time and memory. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { readServerFigures } from '../../scenarios/server-metrics.js';
import type { BenchServerConfig, BenchServerMessage } from './bench-server.js';

const ENTRY = fileURLToPath(new URL('./bench-server.js', import.meta.url));

export interface ServerStats {
  cpuMicros: number;
  rssBytes: number;
}

export class ServerProcess {
  private constructor(
    private readonly child: ChildProcess,
    readonly port: number,
  ) {}

  get wsUrl(): string {
    return `ws://127.0.0.1:${this.port}/ws`;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  static start(config: BenchServerConfig): Promise<ServerProcess> {
    const child = fork(ENTRY, [JSON.stringify(config)], { execArgv: ['--expose-gc'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('exit', (code) => reject(new Error(`the bench server exited with ${code} before listening`)));
      child.on('message', (message: BenchServerMessage) => {
        if (message.event === 'listening') resolve(new ServerProcess(child, message.port));
      });
    });
  }

  /** CPU time used so far and resident memory (after a full GC when `gc`). */
  stats(gc = false): Promise<ServerStats> {
    return new Promise((resolve) => {
      const onMessage = (message: BenchServerMessage): void => {
        if (message.event !== 'stats') return;
        this.child.off('message', onMessage);
        resolve({ cpuMicros: message.cpuMicros, rssBytes: message.rssBytes });
      };
      this.child.on('message', onMessage);
      this.child.send({ cmd: 'stats', gc });
    });
  }

  /** The server's event-loop lag p99, from its own /metrics, in seconds (NaN when it shows none). */
  async lagP99Seconds(): Promise<number> {
    const text = await (await fetch(`${this.url}/metrics`)).text();
    return readServerFigures(text).eventLoopLagSeconds ?? Number.NaN;
  }

  /** Publishes on `channel` (gateway kind) for `durationMs` with `inFlight` publishes going; resolves with how many. */
  publish(channel: string, durationMs: number, inFlight: number): Promise<{ count: number; elapsedMs: number }> {
    return new Promise((resolve) => {
      const onMessage = (message: BenchServerMessage): void => {
        if (message.event !== 'published') return;
        this.child.off('message', onMessage);
        resolve({ count: message.count, elapsedMs: message.elapsedMs });
      };
      this.child.on('message', onMessage);
      this.child.send({ cmd: 'publish', channel, durationMs, inFlight });
    });
  }

  /** Kills the process (SIGKILL: a crash, as far as the server knows) and waits for it to exit. */
  kill(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      this.child.removeAllListeners('exit');
      this.child.once('exit', () => resolve());
      this.child.kill('SIGKILL');
    });
  }
}
