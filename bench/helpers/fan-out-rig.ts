/**
 * The fan-out load of bench:server: `subscribers` clients of one channel on one server process,
 * which publishes on command. Like the echo rig, several rigs stay open at once and take turns in
 * short windows, so a drift of the machine's speed reaches every server's windows of a round alike.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { WebSocket } from 'ws';
import { connectMany } from './connect.js';
import type { ServerProcess } from './server-process.js';

/** What one window measured. */
export interface FanOutWindow {
  /** The server process's CPU time (user + system, every thread) per event delivered to a subscriber. */
  cpuMicrosPerDelivery: number;
  deliveriesPerSecond: number;
  /** Deliveries that did not arrive within 30 s of the window's end. */
  lost: number;
}

const DELIVERY_DEADLINE_MS = 30_000;

export class FanOutRig {
  private delivered = 0;
  /** Deliveries expected so far: every event published, to every subscriber. */
  private expected = 0;

  private constructor(
    readonly server: ServerProcess,
    private readonly sockets: WebSocket[],
    private readonly channel: string,
    private readonly burst: number,
  ) {
    for (const ws of sockets) ws.on('message', () => (this.delivered += 1));
  }

  /**
   * Opens `subscribers` clients to `server`, subscribed to `channel` when `subscribe` (the gateway;
   * a bare broadcast loop sends to every client); `burst` events go out per publish.
   */
  static async open(server: ServerProcess, options: { subscribers: number; channel: string; burst: number; subscribe: boolean }): Promise<FanOutRig> {
    const sockets = await connectMany(server.wsUrl, options.subscribers, 250);
    if (options.subscribe) {
      await Promise.all(sockets.map((ws) => new Promise((resolve) => {
        ws.once('message', resolve);
        ws.send(JSON.stringify({ id: 's', channel: options.channel, type: 'subscribe', payload: null }));
      })));
    }
    return new FanOutRig(server, sockets, options.channel, options.burst);
  }

  /** The server publishes for `publishMs`; the window ends when every subscriber has every event. */
  async window(publishMs: number): Promise<FanOutWindow> {
    const before = await this.server.stats();
    const startedAt = performance.now();
    const events = (await this.server.publish(this.channel, publishMs, 1)).count * this.burst;
    this.expected += events * this.sockets.length;
    const deadline = performance.now() + DELIVERY_DEADLINE_MS;
    while (this.delivered < this.expected && performance.now() < deadline) await sleep(5);
    const elapsedMs = performance.now() - startedAt;
    const after = await this.server.stats();
    const deliveries = events * this.sockets.length;
    const lost = this.expected - this.delivered;
    // What was lost is counted once.
    this.expected = this.delivered;
    return { cpuMicrosPerDelivery: (after.cpuMicros - before.cpuMicros) / deliveries, deliveriesPerSecond: (deliveries * 1000) / elapsedMs, lost };
  }

  close(): void {
    for (const ws of this.sockets) ws.terminate();
  }
}
