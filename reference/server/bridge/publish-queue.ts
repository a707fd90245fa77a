/**
 * Publishes one relay's events into the hub strictly in order, one after the other (a hub whose
 * publish awaits I/O could otherwise reorder them), and tells the relay to pause its upstream while
 * too many wait, so a slow hub holds the upstream back instead of filling memory.
 */
import { messageOf } from '../../../lib/errors.js';
import type { Logger } from '../../../lib/logger.js';
import type { BridgePublish } from './types.js';

/** Publishes waiting beyond this pause the upstream until they drain to half. */
export const MAX_PENDING_PUBLISHES = 1_000;

export class PublishQueue {
  private tail: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(
    private readonly hubChannel: string,
    private readonly publish: BridgePublish,
    private readonly logger: Logger,
    private readonly flow: { pause(): void; resume(): void },
  ) {}

  /** Queues one event; a failed publish is logged and the next one goes on. */
  push(type: string, payload: unknown, eventId?: string): void {
    this.pending += 1;
    if (this.pending > MAX_PENDING_PUBLISHES) this.flow.pause();
    const { hubChannel } = this;
    this.tail = this.tail
      .then(() => this.publish(hubChannel, type, payload, eventId === undefined ? undefined : { eventId }))
      .catch((error: unknown) => this.logger.error({ channel: hubChannel, err: messageOf(error) }, 'publishing a relayed SSE event failed'))
      .finally(() => {
        this.pending -= 1;
        if (this.pending === MAX_PENDING_PUBLISHES / 2) this.flow.resume();
      });
  }
}
