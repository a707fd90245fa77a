/**
 * The snapshot a `resync` carries, per channel prefix: what the channel describes now, so a client
 * that missed events it cannot get back can start over from it (`null` where nothing is known).
 */
import type { Logger } from '../../lib/logger.js';

/** Gives the current state of what `channel` describes, or `null`. */
export type ResyncSnapshotProvider = (channel: string) => unknown;

export class ResyncSnapshots {
  private readonly providers = new Map<string, ResyncSnapshotProvider>();

  constructor(private readonly logger: Logger) {}

  /** Registers (or replaces) the provider of every channel starting with `prefix`; the longest matching prefix wins. */
  set(prefix: string, provider: ResyncSnapshotProvider): void {
    this.providers.set(prefix, provider);
  }

  /** The snapshot of `channel`; `null` without a provider, or when it failed (logged). */
  async snapshotFor(channel: string): Promise<unknown> {
    let best: string | undefined;
    for (const prefix of this.providers.keys()) if (channel.startsWith(prefix) && (best === undefined || prefix.length > best.length)) best = prefix;
    if (best === undefined) return null;
    try {
      return (await this.providers.get(best)?.(channel)) ?? null;
    } catch (error) {
      this.logger.error({ err: error, channel }, 'the resync snapshot failed: sending null');
      return null;
    }
  }
}
