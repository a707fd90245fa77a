/** What both wsmig providers share: their name, their event emitter, the flag key and the `fetch` they read `/api/config` with. */
import type { ProviderMetadata } from '@openfeature/core';
import { WSMIG_FLAG_KEY } from './flag-answer.js';
import { ProviderEvents } from './provider-events.js';

export abstract class WsmigProviderBase {
  readonly metadata: ProviderMetadata = { name: 'wsmig' };
  readonly events = new ProviderEvents();
  /** The one key answered (`USE_NEW_WS_SYNC` by default). */
  protected readonly flagKey: string;
  protected readonly fetch: typeof fetch;

  constructor(options: { flagKey?: string | undefined; fetch?: typeof fetch | undefined }) {
    this.flagKey = options.flagKey ?? WSMIG_FLAG_KEY;
    const fetchImpl = options.fetch ?? globalThis.fetch;
    // Called as a plain function: browsers throw "Illegal invocation" when fetch gets another `this`.
    this.fetch = (input, init) => fetchImpl(input, init);
  }

  /** Announces a rollout change (the SDKs re-evaluate, a web app re-renders). */
  protected announceChange(percentage: number): void {
    this.events.emit('PROVIDER_CONFIGURATION_CHANGED' as Parameters<ProviderEvents['emit']>[0], { flagsChanged: [this.flagKey], metadata: { percentage } });
  }
}
