/**
 * The wsmig flag for `@openfeature/server-sdk`: `getBooleanValue('USE_NEW_WS_SYNC', false,
 * { targetingKey: userId })` answers what the wsmig service's `/api/config` answers that user.
 * `remote` asks the service on every evaluation; `local` reads the rollout (percentage, group) from
 * the service every `pollIntervalMs` and buckets each targeting key here, as the service does
 * (lib/flag-rollout.ts); a fixed `percentage` needs no service at all.
 */
import type { EvaluationContext, JsonValue, ResolutionDetails } from '@openfeature/core';
import { isFlagPercentage } from '../../lib/flag-rollout.js';
import { WsmigProviderBase } from './provider-base.js';
import { WSMIG_FLAG_KEY, failedResolution, fetchFlagAnswer, localAnswer, notTheFlag, resolutionOf, type FlagAnswer } from './flag-answer.js';

/** Options of {@link WsmigServerProvider}: `url` (a service), or `percentage` (a fixed rollout). */
export interface WsmigServerProviderOptions {
  /** The wsmig service's HTTP base, e.g. `http://127.0.0.1:3000`: its `/api/config` answers. */
  url?: string;
  /** With `url`: `remote` (default) asks `/api/config` per evaluation; `local` polls the rollout and buckets here (no request per evaluation). */
  evaluation?: 'remote' | 'local';
  /** How often `local` re-reads the rollout, in ms; a percentage change reaches evaluations within it. Default 5,000. */
  pollIntervalMs?: number;
  /** A fixed rollout, 0 to 100, evaluated here without a service (instead of `url`). */
  percentage?: number;
  /** The bucketing group of a fixed `percentage` (with `url`, the service's). Default `USE_NEW_WS_SYNC`. */
  groupId?: string;
  /** The flag key answered. Default `USE_NEW_WS_SYNC`. */
  flagKey?: string;
  /** Timeout of one `/api/config` read, in ms. Default 3,000. */
  timeoutMs?: number;
  /** `fetch` implementation. Default: the global one. */
  fetch?: typeof fetch;
}

const DEFAULT_POLL_MS = 5_000;
const DEFAULT_TIMEOUT_MS = 3_000;

/** An OpenFeature server provider for the wsmig flag (see the module comment; docs/openfeature.md). */
export class WsmigServerProvider extends WsmigProviderBase {
  readonly runsOn = 'server';
  readonly #options: WsmigServerProviderOptions;
  /** The rollout `local` evaluates with (fixed, or the service's last). */
  #rollout: { percentage: number; groupId: string } | undefined;
  #poll: ReturnType<typeof setInterval> | undefined;

  /** @throws TypeError without `url` or `percentage`, or with a percentage that is not a whole number from 0 to 100. */
  constructor(options: WsmigServerProviderOptions) {
    super(options);
    if (options.url === undefined && options.percentage === undefined) throw new TypeError('WsmigServerProvider: give the service\'s url, or a fixed percentage');
    if (options.percentage !== undefined && !isFlagPercentage(options.percentage)) throw new TypeError(`WsmigServerProvider: percentage ${JSON.stringify(options.percentage)} is not a whole number from 0 to 100`);
    this.#options = options;
    if (options.url === undefined) this.#rollout = { percentage: options.percentage as number, groupId: options.groupId ?? WSMIG_FLAG_KEY };
  }

  /** `local` with a service: reads the rollout (rejects when the service does not answer), then polls it. */
  async initialize(): Promise<void> {
    if (this.#options.url === undefined || this.#options.evaluation !== 'local') return;
    await this.#readRollout();
    this.#poll = setInterval(() => {
      this.#readRollout().catch(() => undefined);
    }, this.#options.pollIntervalMs ?? DEFAULT_POLL_MS);
    this.#poll.unref?.();
  }

  async onClose(): Promise<void> {
    clearInterval(this.#poll);
    this.#poll = undefined;
  }

  async resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: EvaluationContext): Promise<ResolutionDetails<boolean>> {
    if (flagKey !== this.flagKey) return notTheFlag(flagKey, this.flagKey, defaultValue);
    let answer: FlagAnswer;
    try {
      answer = await this.#answerFor(context.targetingKey);
    } catch (error) {
      return failedResolution(defaultValue, 'GENERAL', error instanceof Error ? error.message : String(error));
    }
    return resolutionOf(answer, defaultValue);
  }

  async resolveStringEvaluation(flagKey: string, defaultValue: string): Promise<ResolutionDetails<string>> {
    return notTheFlag(flagKey, this.flagKey, defaultValue);
  }

  async resolveNumberEvaluation(flagKey: string, defaultValue: number): Promise<ResolutionDetails<number>> {
    return notTheFlag(flagKey, this.flagKey, defaultValue);
  }

  async resolveObjectEvaluation<T extends JsonValue>(flagKey: string, defaultValue: T): Promise<ResolutionDetails<T>> {
    return notTheFlag(flagKey, this.flagKey, defaultValue);
  }

  #answerFor(id: string | undefined): Promise<FlagAnswer> {
    const { url } = this.#options;
    if (this.#rollout !== undefined) return Promise.resolve(localAnswer(this.#rollout.percentage, this.#rollout.groupId, id));
    return fetchFlagAnswer(this.fetch, url as string, id, { timeoutMs: this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS });
  }

  async #readRollout(): Promise<void> {
    const { percentage, groupId } = await fetchFlagAnswer(this.fetch, this.#options.url as string, undefined, { timeoutMs: this.#options.timeoutMs ?? DEFAULT_TIMEOUT_MS });
    const before = this.#rollout;
    this.#rollout = { percentage, groupId };
    if (before !== undefined && (before.percentage !== percentage || before.groupId !== groupId)) {
      this.announceChange(percentage);
    }
  }
}
