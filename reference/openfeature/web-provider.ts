/**
 * The wsmig flag for `@openfeature/web-sdk` (static context): the page's answer is read from the
 * wsmig service's `/api/config` for the context's `targetingKey` — else the same session id the
 * wsmig client sends, so the flag and the client's transport agree — when the provider starts and
 * whenever the context changes, and re-read every `pollIntervalMs`: a rollout change re-renders
 * through `PROVIDER_CONFIGURATION_CHANGED`.
 */
import type { EvaluationContext, JsonValue, ResolutionDetails } from '@openfeature/core';
import { defaultStickinessId } from '../client/stickiness.js';
import type { TokenProvider } from '../client/ws-client.js';
import { WsmigProviderBase } from './provider-base.js';
import { failedResolution, fetchFlagAnswer, notTheFlag, resolutionOf, type FlagAnswer } from './flag-answer.js';

/** Options of {@link WsmigWebProvider}. */
export interface WsmigWebProviderOptions {
  /** The wsmig service's HTTP base. Default: the page's origin. */
  url?: string;
  /** How often the answer is re-read, in ms; 0 never re-reads. Default 15,000 (SyncManager's poll). */
  pollIntervalMs?: number;
  /** The user's bearer token, when there is one: the service buckets the identity behind it. */
  token?: TokenProvider;
  /** The flag key answered. Default `USE_NEW_WS_SYNC`. */
  flagKey?: string;
  /** Timeout of one `/api/config` read, in ms. Default 5,000. */
  timeoutMs?: number;
  /** `fetch` implementation. Default: the global one. */
  fetch?: typeof fetch;
}

/** An OpenFeature web provider for the wsmig flag (see the module comment; docs/openfeature.md). */
export class WsmigWebProvider extends WsmigProviderBase {
  readonly runsOn = 'client';
  readonly #options: WsmigWebProviderOptions;
  #context: EvaluationContext = {};
  #answer: FlagAnswer | undefined;
  #poll: ReturnType<typeof setInterval> | undefined;

  constructor(options: WsmigWebProviderOptions = {}) {
    super(options);
    this.#options = options;
  }

  /** Reads the answer for the context (rejects when the service does not answer), then polls it. */
  async initialize(context: EvaluationContext = {}): Promise<void> {
    this.#context = context;
    this.#answer = await this.#read();
    const intervalMs = this.#options.pollIntervalMs ?? 15_000;
    if (intervalMs > 0 && this.#poll === undefined) {
      this.#poll = setInterval(() => void this.#refresh(), intervalMs);
      (this.#poll as { unref?: () => void }).unref?.();
    }
  }

  /** A new targeting key (a login, a logout): the answer is read again for it. */
  async onContextChange(_old: EvaluationContext, next: EvaluationContext): Promise<void> {
    this.#context = next;
    this.#answer = await this.#read();
  }

  async onClose(): Promise<void> {
    clearInterval(this.#poll);
    this.#poll = undefined;
  }

  resolveBooleanEvaluation(flagKey: string, defaultValue: boolean): ResolutionDetails<boolean> {
    if (flagKey !== this.flagKey) return notTheFlag(flagKey, this.flagKey, defaultValue);
    if (this.#answer === undefined) return failedResolution(defaultValue, 'PROVIDER_NOT_READY', 'the wsmig provider has not read /api/config yet');
    return resolutionOf(this.#answer, defaultValue);
  }

  resolveStringEvaluation(flagKey: string, defaultValue: string): ResolutionDetails<string> {
    return notTheFlag(flagKey, this.flagKey, defaultValue);
  }

  resolveNumberEvaluation(flagKey: string, defaultValue: number): ResolutionDetails<number> {
    return notTheFlag(flagKey, this.flagKey, defaultValue);
  }

  resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T): ResolutionDetails<T> {
    return notTheFlag(flagKey, this.flagKey, defaultValue);
  }

  async #read(): Promise<FlagAnswer> {
    const { token } = this.#options;
    const url = this.#options.url ?? (globalThis as { location?: { origin?: string } }).location?.origin;
    if (url === undefined) throw new Error('WsmigWebProvider: give the wsmig service\'s url (there is no page origin here)');
    return fetchFlagAnswer(this.fetch, url, this.#context.targetingKey ?? defaultStickinessId(), {
      token: typeof token === 'function' ? await token() : token,
      timeoutMs: this.#options.timeoutMs ?? 5_000,
    });
  }

  /** Re-reads the answer; a changed one is announced (the SDK re-renders). A failed read keeps the last answer. */
  async #refresh(): Promise<void> {
    let next: FlagAnswer;
    try {
      next = await this.#read();
    } catch {
      return;
    }
    const before = this.#answer;
    this.#answer = next;
    if (before !== undefined && (before.value !== next.value || before.percentage !== next.percentage)) {
      this.announceChange(next.percentage);
    }
  }
}
