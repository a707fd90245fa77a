import { describe, expect, it } from 'vitest';
import { CloseCode, closeCodeName, reconnectPolicyFor } from '../../../reference/protocol/index.js';

describe('reconnectPolicyFor (the table in docs/protocol.md)', () => {
  it.each([
    [CloseCode.normal, 'reconnect'],
    [CloseCode.abnormal, 'reconnect'],
    [CloseCode.serviceRestart, 'reconnect'],
    [CloseCode.internalError, 'reconnect-slow'],
    [CloseCode.tryAgainLater, 'reconnect-slow'],
    [CloseCode.policyViolation, 'stop'],
    [CloseCode.messageTooBig, 'stop'],
    [1015, 'stop'],
    [CloseCode.unauthorized, 'reauthenticate'],
    [CloseCode.forbidden, 'stop'],
    [CloseCode.tooManyBadFrames, 'stop'],
    [CloseCode.rateLimited, 'reconnect-slow'],
    [CloseCode.slowConsumer, 'reconnect'],
    [CloseCode.overloaded, 'reconnect-slow'],
    [CloseCode.kicked, 'reconnect'],
  ] as const)('close %i → %s', (code, policy) => {
    expect(reconnectPolicyFor(code)).toBe(policy);
  });

  it('applies the group rule to unlisted application codes, and reconnects on unlisted standard ones', () => {
    expect(reconnectPolicyFor(4042)).toBe('reauthenticate');
    expect(reconnectPolicyFor(4150)).toBe('stop');
    expect(reconnectPolicyFor(4299)).toBe('reconnect-slow');
    expect(reconnectPolicyFor(4399)).toBe('reconnect');
    expect(reconnectPolicyFor(3000)).toBe('reconnect');
  });

  it('names known codes for logs and labels, and prints others as numbers', () => {
    expect(closeCodeName(4201)).toBe('slowConsumer');
    expect(closeCodeName(4999)).toBe('4999');
  });
});
