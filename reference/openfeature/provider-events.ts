/**
 * The providers' event emitter: what an OpenFeature SDK reads from `provider.events` (it adds and
 * removes handlers; the provider emits `PROVIDER_CONFIGURATION_CHANGED` when the rollout moves).
 * Written here so `wsmig/openfeature` needs no SDK at run time (they are optional peers).
 */
import type { AnyProviderEvent, EventContext, EventHandler, Logger, ProviderEventEmitter } from '@openfeature/core';

export class ProviderEvents implements ProviderEventEmitter<AnyProviderEvent> {
  readonly #handlers = new Map<AnyProviderEvent, EventHandler[]>();
  #logger: Logger | undefined;

  emit(eventType: AnyProviderEvent, context?: EventContext): void {
    for (const handler of [...(this.#handlers.get(eventType) ?? [])]) {
      Promise.resolve()
        .then(() => handler(context as Parameters<EventHandler>[0]))
        .catch((error: unknown) => this.#logger?.error('Error running event handler:', error));
    }
  }

  addHandler(eventType: AnyProviderEvent, handler: EventHandler): void {
    this.#handlers.set(eventType, [...(this.#handlers.get(eventType) ?? []), handler]);
  }

  removeHandler(eventType: AnyProviderEvent, handler: EventHandler): void {
    const handlers = this.#handlers.get(eventType) ?? [];
    const at = handlers.lastIndexOf(handler);
    if (at >= 0) this.#handlers.set(eventType, handlers.filter((_, i) => i !== at));
  }

  removeAllHandlers(eventType?: AnyProviderEvent): void {
    if (eventType === undefined) this.#handlers.clear();
    else this.#handlers.delete(eventType);
  }

  getHandlers(eventType: AnyProviderEvent): EventHandler[] {
    return [...(this.#handlers.get(eventType) ?? [])];
  }

  setLogger(logger: Logger): this {
    this.#logger = logger;
    return this;
  }
}
