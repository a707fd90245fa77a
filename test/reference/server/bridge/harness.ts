/**
 * A bridge wired to a real memory hub as the gateway wires it (publish with `eventId`, newest
 * eventId for resume), and subscribers that record what a client would receive. Closed after each test.
 */
import { afterEach } from 'vitest';
import { silentLogger } from '../../../../lib/logger.js';
import { createSseBridge, type SseBridge, type SseBridgeOptions } from '../../../../reference/server/bridge/index.js';
import { createMemoryHub, type ChannelEvent, type MemoryHub } from '../../../../reference/server/index.js';

export interface Harness {
  hub: MemoryHub;
  bridge: SseBridge;
}

const opened: Harness[] = [];
afterEach(async () => {
  for (const { hub, bridge } of opened.splice(0)) {
    await bridge.close();
    hub.close();
  }
});

/** A bridge to `upstream` publishing into a fresh memory hub. */
export function bridgeTo(upstream: string, options: Partial<Omit<SseBridgeOptions, 'upstream' | 'publish' | 'newestEventId'>> = {}): Harness {
  const hub = createMemoryHub({ epoch: 'e1', replayBufferSize: 1_000, channelTtlMs: 60_000 });
  const bridge = createSseBridge({
    upstream,
    publish: async (channel, type, payload, publishOptions) => {
      await hub.publish(channel, type, payload, publishOptions);
    },
    newestEventId: async (channel) => (await hub.newestEvent(channel))?.eventId,
    logger: silentLogger(),
    ...options,
  });
  const harness = { hub, bridge };
  opened.push(harness);
  return harness;
}

/** What one subscriber of a hub channel received, as a client sees it: type, data, eventId. */
export interface Received {
  type: string;
  data: unknown;
  eventId: string | undefined;
}

/** Subscribes to `hubChannel` (live, or from the start with `fromStart`, as a `sse:fetch` reader does) and collects its events. */
export async function follow(hub: MemoryHub, hubChannel: string, fromStart = false): Promise<{ events: Received[]; stop(): void }> {
  const events: Received[] = [];
  const received = (event: ChannelEvent): number => events.push({ type: event.type, data: event.payload, eventId: event.eventId });
  // Live events that arrive before the replay is read go after it, as the gateway orders them.
  let early: ChannelEvent[] | undefined = [];
  const subscriber = { deliver: (event: ChannelEvent) => (early ? early.push(event) : received(event)) };
  const outcome = await hub.subscribe(hubChannel, subscriber, fromStart ? { fromSeq: 0 } : undefined);
  outcome.replay.forEach(received);
  early.forEach(received);
  early = undefined;
  return { events, stop: () => hub.unsubscribe(hubChannel, subscriber) };
}

/** Waits until `check` holds (polling), or fails with `what` after 10 s. */
export async function until(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
