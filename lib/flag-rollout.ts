/**
 * The `USE_NEW_WS_SYNC` rollout: a percentage of identities, each placed in a sticky bucket the way
 * Unleash's gradual rollout places it (issue 12), so a team can move the flag between wsmig and
 * Unleash without anyone changing side. One module for the server, the migration and the
 * OpenFeature providers; nothing Node-only (the web provider imports it).
 *
 * bucket = murmurhash3_x86_32("<groupId>:<id>" as UTF-8, seed 0) % 100 + 1; an identity is in the
 * WebSocket cohort when its bucket ≤ the percentage, so raising the percentage never removes anyone.
 * Ids are hashed as UTF-8, as Unleash's Java, Go and Rust SDKs hash them; Unleash's Node SDK
 * (murmurhash3js) drops the high byte of each UTF-16 unit, so it agrees on ASCII ids only.
 */
import murmurhash from 'murmurhash';

/** The flag's written forms: `true` (everyone, 100 %), `false` (no one, 0 %), or `NN%`. */
export const FLAG_VALUE_FORMS = 'true, false or a percentage such as 25%';

/** The rollout bucket of `id` in `groupId`, 1 to 100 (Unleash's `normalizedStrategyValue`). */
export function rolloutBucket(id: string, groupId: string): number {
  return (murmurhash.v3(`${groupId}:${id}`, 0) % 100) + 1;
}

/** Whether `id` is in the WebSocket cohort at `percentage`. */
export function inRollout(id: string, groupId: string, percentage: number): boolean {
  if (percentage >= 100) return true;
  if (percentage <= 0) return false;
  return rolloutBucket(id, groupId) <= percentage;
}

/** The flag's answer for one caller. */
export interface RolloutAnswer {
  /** WebSocket (true) or the legacy SSE path (false) for this caller. */
  value: boolean;
  /** False only when the caller gave no id while the rollout is partial: the answer (false) is then nobody's lasting one. */
  sticky: boolean;
}

/**
 * The answer at `percentage` for the caller with stickiness id `id`: in when its bucket is at most
 * the percentage. Without an id only 0 and 100 % have an answer; in between it is false, not sticky.
 */
export function evaluateRollout(percentage: number, groupId: string, id: string | undefined): RolloutAnswer {
  if (id === undefined) return percentage >= 100 ? { value: true, sticky: true } : { value: false, sticky: percentage <= 0 };
  return { value: inRollout(id, groupId, percentage), sticky: true };
}

/** Whether `value` is a rollout percentage: a whole number from 0 to 100. */
export function isFlagPercentage(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0 && (value as number) <= 100;
}

/**
 * Reads a written flag value: `true` → 100, `false` → 0, `NN%` (0 to 100, whole) → NN; anything
 * else (`TRUE`, `yes`, `25`, `150%`) → `undefined`.
 */
export function parseFlagValue(text: string): number | undefined {
  if (text === 'true') return 100;
  if (text === 'false') return 0;
  const match = /^(\d{1,3})%$/.exec(text);
  const percentage = match ? Number(match[1]) : undefined;
  return isFlagPercentage(percentage) ? percentage : undefined;
}

/**
 * The written form of a percentage: `true` at 100 and `false` at 0 — what the seed's
 * `process.env.USE_NEW_WS_SYNC === 'true'` and servers older than percentages read — else `NN%`.
 */
export function formatFlagValue(percentage: number): string {
  if (percentage >= 100) return 'true';
  if (percentage <= 0) return 'false';
  return `${percentage}%`;
}
