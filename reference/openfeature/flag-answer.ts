/**
 * The wsmig flag's answer as the providers read it — from the service's `GET /api/config` for one
 * stickiness id, or evaluated here from a known rollout — and how it becomes an OpenFeature resolution.
 */
import type { ErrorCode, FlagMetadata, ResolutionDetails } from '@openfeature/core';
import { evaluateRollout, isFlagPercentage } from '../../lib/flag-rollout.js';

/** The flag's name, the key the providers answer by default. */
export const WSMIG_FLAG_KEY = 'USE_NEW_WS_SYNC';

/** What the flag says for one caller, and the rollout behind it. */
export interface FlagAnswer {
  /** WebSocket (true) or the legacy SSE path (false). */
  value: boolean;
  percentage: number;
  groupId: string;
  /** False when no stickiness id was given while the rollout is partial (the value is then nobody's lasting one). */
  sticky: boolean;
}

/** The answer at a known rollout, for stickiness id `id`, as the service would give it. */
export function localAnswer(percentage: number, groupId: string, id: string | undefined): FlagAnswer {
  return { ...evaluateRollout(percentage, groupId, id), percentage, groupId };
}

/**
 * `GET <url>/api/config[?stickiness=<id>]`, with a bearer token when one is given (the service then
 * buckets the identity behind it).
 * @throws Error for a network failure, a timeout, a non-2xx answer or one without the flag's rollout.
 */
export async function fetchFlagAnswer(fetchImpl: typeof fetch, url: string, id: string | undefined, options: { token?: string | undefined; timeoutMs: number }): Promise<FlagAnswer> {
  const target = `${url.replace(/\/$/, '')}/api/config${id === undefined ? '' : `?stickiness=${encodeURIComponent(id)}`}`;
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (options.token) headers['Authorization'] = `Bearer ${options.token}`;
  const response = await fetchImpl(target, { headers, signal: AbortSignal.timeout(options.timeoutMs) });
  if (!response.ok) throw new Error(`GET ${target} answered HTTP ${response.status}`);
  const flag = ((await response.json()) as { flag?: Partial<Record<keyof FlagAnswer, unknown>> } | null)?.flag;
  if (typeof flag?.value !== 'boolean' || !isFlagPercentage(flag.percentage) || typeof flag.groupId !== 'string') {
    throw new Error(`GET ${target}: the answer has no flag rollout (flag.value, flag.percentage, flag.groupId): is this a wsmig service that knows percentages?`);
  }
  return { value: flag.value, percentage: flag.percentage, groupId: flag.groupId, sticky: flag.sticky !== false };
}

/** An OpenFeature resolution that failed with `code` (the SDK then returns the application's default). */
export function failedResolution<T>(defaultValue: T, code: `${ErrorCode}`, message: string): ResolutionDetails<T> {
  return { value: defaultValue, reason: 'ERROR', errorCode: code as ErrorCode, errorMessage: message };
}

/**
 * The resolution of the flag from its answer: variant `on`/`off`, reason `STATIC` at 0 and 100 %,
 * `SPLIT` in between (a sticky pseudorandom bucket), the rollout as flag metadata;
 * `TARGETING_KEY_MISSING` when a partial rollout got no targeting key.
 */
export function resolutionOf(answer: FlagAnswer, defaultValue: boolean): ResolutionDetails<boolean> {
  const flagMetadata: FlagMetadata = { percentage: answer.percentage, groupId: answer.groupId };
  if (!answer.sticky) return { ...failedResolution(defaultValue, 'TARGETING_KEY_MISSING', `the flag is at ${answer.percentage} %: give the evaluation context a targetingKey (the user's or the session's id)`), flagMetadata };
  const split = answer.percentage > 0 && answer.percentage < 100;
  return { value: answer.value, variant: answer.value ? 'on' : 'off', reason: split ? 'SPLIT' : 'STATIC', flagMetadata };
}

/** The failure for any evaluation that is not the flag's boolean: another key, or another type. */
export function notTheFlag<T>(flagKey: string, expectedKey: string, defaultValue: T): ResolutionDetails<T> {
  return flagKey === expectedKey
    ? failedResolution(defaultValue, 'TYPE_MISMATCH', `${expectedKey} is a boolean flag: read it with getBooleanValue`)
    : failedResolution(defaultValue, 'FLAG_NOT_FOUND', `this provider answers ${expectedKey} only (not ${flagKey})`);
}
