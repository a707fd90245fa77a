/**
 * The rollout bucket agrees with Unleash's gradual rollout (its own test vectors), is sticky and
 * monotone (raising the percentage never removes anyone), and shares identities out as asked.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { evaluateRollout, formatFlagValue, inRollout, parseFlagValue, rolloutBucket } from '../../lib/flag-rollout.js';

describe('rolloutBucket', () => {
  it('gives the buckets of Unleash\'s own test suites', () => {
    expect(rolloutBucket('123', 'gr1')).toBe(73);
    expect(rolloutBucket('999', 'groupX')).toBe(25);
  });

  it('hashes ids as UTF-8 (as Unleash\'s Java, Go and Rust SDKs do): a bucket from 1 to 100 for any id', () => {
    // murmurhash3_x86_32 of the UTF-8 bytes of "g:é" (c3 a9), as the reference C++ code computes it.
    expect(rolloutBucket('é', 'g')).toBe(34);
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.string({ minLength: 1 }), (id, group) => {
        const bucket = rolloutBucket(id, group);
        expect(Number.isInteger(bucket) && bucket >= 1 && bucket <= 100).toBe(true);
        expect(rolloutBucket(id, group)).toBe(bucket);
      }),
    );
  });

  it('is monotone: raising the percentage never removes anyone', () => {
    fc.assert(
      fc.property(fc.string(), fc.integer({ min: 0, max: 100 }), fc.integer({ min: 0, max: 100 }), (id, a, b) => {
        const [low, high] = a <= b ? [a, b] : [b, a];
        if (inRollout(id, 'USE_NEW_WS_SYNC', low)) expect(inRollout(id, 'USE_NEW_WS_SYNC', high)).toBe(true);
      }),
    );
  });

  it('lets in the asked share of 100,000 ids, within ±2 %, at every percentage', () => {
    const counts = new Array<number>(101).fill(0);
    const ids = 100_000;
    for (let i = 0; i < ids; i += 1) {
      const bucket = rolloutBucket(`user-${i}`, 'USE_NEW_WS_SYNC');
      counts[bucket] = (counts[bucket] ?? 0) + 1;
    }
    let inside = 0;
    for (let percentage = 0; percentage <= 100; percentage += 1) {
      inside += counts[percentage] ?? 0;
      expect(Math.abs((inside / ids) * 100 - percentage), `at ${percentage} %`).toBeLessThanOrEqual(2);
    }
  });

  it('buckets each group on its own: one id is not in the same cohort everywhere', () => {
    const ids = Array.from({ length: 1_000 }, (_, i) => `session-${i}`);
    const differ = ids.filter((id) => inRollout(id, 'group-a', 50) !== inRollout(id, 'group-b', 50)).length;
    expect(differ).toBeGreaterThan(300);
  });
});

describe('evaluateRollout', () => {
  it('answers for an id at any percentage; without one, only at 0 and 100 % (false, not sticky, in between)', () => {
    expect(evaluateRollout(0, 'g', 'x')).toEqual({ value: false, sticky: true });
    expect(evaluateRollout(100, 'g', 'x')).toEqual({ value: true, sticky: true });
    expect(evaluateRollout(73, 'gr1', '123')).toEqual({ value: true, sticky: true });
    expect(evaluateRollout(72, 'gr1', '123')).toEqual({ value: false, sticky: true });
    expect(evaluateRollout(0, 'g', undefined)).toEqual({ value: false, sticky: true });
    expect(evaluateRollout(100, 'g', undefined)).toEqual({ value: true, sticky: true });
    expect(evaluateRollout(25, 'g', undefined)).toEqual({ value: false, sticky: false });
  });
});

describe('the written flag value', () => {
  it('reads true, false and NN% (0 to 100, whole), nothing else', () => {
    expect(parseFlagValue('true')).toBe(100);
    expect(parseFlagValue('false')).toBe(0);
    expect(parseFlagValue('25%')).toBe(25);
    expect(parseFlagValue('0%')).toBe(0);
    expect(parseFlagValue('100%')).toBe(100);
    for (const text of ['TRUE', 'yes', '1', '25', '25 %', '101%', '-5%', '2.5%', '', ' true']) expect(parseFlagValue(text), text).toBeUndefined();
  });

  it('writes true at 100 and false at 0 (what the seed\'s === \'true\' reads), NN% in between, and reads back what it writes', () => {
    expect([0, 1, 25, 99, 100].map(formatFlagValue)).toEqual(['false', '1%', '25%', '99%', 'true']);
    for (let percentage = 0; percentage <= 100; percentage += 1) expect(parseFlagValue(formatFlagValue(percentage))).toBe(percentage);
  });
});
