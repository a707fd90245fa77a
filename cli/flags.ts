import { parseDurationMs } from '../lib/duration.js';
import { UsageError } from '../lib/errors.js';

/**
 * A whole-number flag within `[min, max]`; undefined when the flag was not given.
 * @throws UsageError BAD_FLAG naming the flag and the accepted range.
 */
export function integerFlag(flag: string, text: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `of at least ${min}` : `from ${min} to ${max}`;
    throw new UsageError('BAD_FLAG', `Invalid ${flag} "${text}": use a whole number ${range}.`);
  }
  return value;
}

/** A duration flag (`500ms`, `30s`, `1m`) in whole milliseconds; undefined when the flag was not given. */
export function durationFlag(flag: string, text: string | undefined): number | undefined {
  return text === undefined ? undefined : Math.round(parseDurationMs(text, flag));
}
