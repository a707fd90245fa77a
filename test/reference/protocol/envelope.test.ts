import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, envelopeProblem } from '../../../reference/protocol/index.js';

describe('decodeFrame', () => {
  it('accepts the seed envelope and its optional fields, and round-trips through encodeFrame', () => {
    const message = { id: 'c1-7', channel: 'sync:42', type: 'sync:progress', payload: { progress: 10 }, seq: 3, ts: 1_764_000_000_000, epoch: 'k3j9x' };
    const decoded = decodeFrame(encodeFrame(message));
    expect(decoded).toEqual({ ok: true, message });
  });

  it('says "not-json" for text that is not JSON', () => {
    expect(decodeFrame('{"id":')).toMatchObject({ ok: false, reason: 'not-json' });
  });

  it('names the first problem of JSON that is not an envelope, and keeps the id when one could be read', () => {
    expect(decodeFrame('[1,2]')).toMatchObject({ ok: false, reason: 'not-envelope', detail: 'a frame must be a JSON object' });
    expect(decodeFrame('{"id":"a1","channel":"x","type":"echo"}')).toEqual({ ok: false, reason: 'not-envelope', detail: '"payload" is required (use null for none)', id: 'a1' });
    expect(decodeFrame('{"id":"","channel":"x","type":"echo","payload":null}')).toMatchObject({ reason: 'not-envelope', detail: expect.stringContaining('"id"') });
  });

  it('checks seq, ts, epoch and the error body', () => {
    const base = { id: 'a', channel: 'c', type: 't', payload: null };
    expect(envelopeProblem({ ...base, seq: -1 })).toMatch(/"seq"/);
    expect(envelopeProblem({ ...base, seq: 1.5 })).toMatch(/"seq"/);
    expect(envelopeProblem({ ...base, ts: 'now' })).toMatch(/"ts"/);
    expect(envelopeProblem({ ...base, epoch: 7 })).toMatch(/"epoch"/);
    expect(envelopeProblem({ ...base, error: { code: 'X', message: 'm' } })).toMatch(/"error"/);
    expect(envelopeProblem({ ...base, error: { code: 'X', message: 'm', retryable: false } })).toBeUndefined();
  });

  it('refuses over-long ids, channels and types', () => {
    const base = { id: 'a', channel: 'c', type: 't', payload: null };
    expect(envelopeProblem({ ...base, id: 'x'.repeat(129) })).toMatch(/"id"/);
    expect(envelopeProblem({ ...base, channel: 'x'.repeat(257) })).toMatch(/"channel"/);
    expect(envelopeProblem({ ...base, type: 'x'.repeat(65) })).toMatch(/"type"/);
  });
});
