import { describe, expect, it } from 'vitest';
import { reconnectPolicyFor } from '../../../../reference/protocol/index.js';
import { reconnectActionFor, reconnectDelayMs } from '../../../../scenarios/k6/lib/reconnect.js';

describe('k6 reconnect policy', () => {
  it('follows the protocol close-code policy (a script cannot reauthenticate, so it stops)', () => {
    const codes = [1000, 1001, 1002, 1003, 1005, 1006, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 1015, 3000, 3999];
    for (let code = 4000; code < 4400; code++) codes.push(code);
    for (const code of codes) {
      const policy = reconnectPolicyFor(code);
      expect(reconnectActionFor(code), `close code ${code}`).toBe(policy === 'reauthenticate' ? 'stop' : policy);
    }
    expect(reconnectActionFor(undefined)).toBe('reconnect');
  });

  it('backs off exponentially with full jitter, capped, slower after a reconnect-slow close', () => {
    const policy = { baseDelayMs: 500, maxDelayMs: 10_000 };
    const top = (): number => 1;
    expect([0, 1, 2, 3, 4, 5, 40].map((attempt) => reconnectDelayMs(attempt, policy, top))).toEqual([500, 1_000, 2_000, 4_000, 8_000, 10_000, 10_000]);
    expect(reconnectDelayMs(0, policy, () => 0)).toBe(0);
    expect(reconnectDelayMs(0, policy, () => 0.5)).toBe(250);
    expect(reconnectDelayMs(0, policy, top, true)).toBe(5_000);
  });
});
