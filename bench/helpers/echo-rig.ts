/**
 * The request/reply load of bench:server: `connections` clients on one server process, each sending
 * its next echo request as soon as its reply arrives (a closed loop). The loop runs only inside a
 * window, so two rigs (the reference server and a bare `ws` echo) can take turns on the same
 * machine in short alternating windows: a drift of the machine's speed (other work on the cores, a
 * noisy neighbour) then reaches both servers' windows of a pair alike, and the ratio of a pair
 * measures the servers, not the minute it ran in.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import * as hdr from 'hdr-histogram-js';
import type { WebSocket } from 'ws';
import { connectMany } from './connect.js';
import type { ServerProcess } from './server-process.js';

/** What one window measured. */
export interface EchoWindow {
  repliesPerSecond: number;
  /** The server process's CPU time (user + system, every thread) per reply. */
  serverCpuMicrosPerReply: number;
  p50Micros: number;
  p99Micros: number;
}

/** Time for the loop to fill (every connection's first request answered) before a window measures. */
const SETTLE_MS = 100;
const IN_FLIGHT_DEADLINE_MS = 10_000;

export class EchoRig {
  private running = false;
  private inFlight = 0;
  private replies = 0;
  private histogram: hdr.Histogram | undefined;

  /** When each connection sent its request in flight (ms, `performance.now()`). */
  private readonly sentAt: Float64Array;

  private constructor(
    readonly server: ServerProcess,
    private readonly sockets: WebSocket[],
    private readonly frames: string[],
  ) {
    this.sentAt = new Float64Array(sockets.length);
    sockets.forEach((ws, i) => {
      ws.on('message', () => {
        const now = performance.now();
        this.replies += 1;
        this.histogram?.recordValue(Math.max(1, Math.round((now - (this.sentAt[i] as number)) * 1000)));
        if (this.running) this.send(i, now);
        else this.inFlight -= 1;
      });
    });
  }

  private send(i: number, now: number): void {
    this.sentAt[i] = now;
    (this.sockets[i] as WebSocket).send(this.frames[i] as string);
  }

  /** Opens `connections` clients to `server`, each with its own request id, echoing `payload`. */
  static async open(server: ServerProcess, connections: number, payload: unknown): Promise<EchoRig> {
    const sockets = await connectMany(server.wsUrl, connections, connections);
    const frames = sockets.map((_, i) => JSON.stringify({ id: `c${i}`, channel: 'bench', type: 'echo', payload }));
    return new EchoRig(server, sockets, frames);
  }

  /** Runs the closed loop for `measureMs` after it settles, and stops it (waiting for the requests in flight). */
  async window(measureMs: number): Promise<EchoWindow> {
    this.running = true;
    this.inFlight = this.sockets.length;
    for (let i = 0; i < this.sockets.length; i += 1) this.send(i, performance.now());
    await sleep(SETTLE_MS);
    const histogram = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
    const before = await this.server.stats();
    const repliesBefore = this.replies;
    const startedAt = performance.now();
    this.histogram = histogram;
    await sleep(measureMs);
    this.histogram = undefined;
    const elapsedMs = performance.now() - startedAt;
    const replies = this.replies - repliesBefore;
    const after = await this.server.stats();
    this.running = false;
    // The requests in flight come back within milliseconds; a server that died would leave them out for good.
    const deadline = performance.now() + IN_FLIGHT_DEADLINE_MS;
    while (this.inFlight > 0) {
      if (performance.now() > deadline) throw new Error(`${this.inFlight} echo requests got no reply within ${IN_FLIGHT_DEADLINE_MS / 1000} s of the window's end: did the server stop?`);
      await sleep(1);
    }
    const measured = {
      repliesPerSecond: (replies * 1000) / elapsedMs,
      serverCpuMicrosPerReply: (after.cpuMicros - before.cpuMicros) / replies,
      p50Micros: histogram.getValueAtPercentile(50),
      p99Micros: histogram.getValueAtPercentile(99),
    };
    histogram.destroy();
    return measured;
  }

  close(): void {
    for (const ws of this.sockets) ws.terminate();
  }
}
