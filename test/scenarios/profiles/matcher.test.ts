import { describe, expect, it } from 'vitest';
import { compileMatch } from '../../../scenarios/profiles/matcher.js';

const message = (value: unknown) => ({ text: JSON.stringify(value), json: value });

describe('compileMatch', () => {
  it('compares the value at a dotted path, array indices included', () => {
    const isTick = compileMatch({ path: 'params.0.kind', equals: 'tick' });
    expect(isTick(message({ params: [{ kind: 'tick' }] }))).toBe(true);
    expect(isTick(message({ params: [{ kind: 'tock' }] }))).toBe(false);
    expect(isTick(message({ params: 'tick' }))).toBe(false);
  });

  it('tests a pattern on the value, or on the raw text without a path, and an existing value with a path alone', () => {
    expect(compileMatch({ path: 'id', pattern: '^s' })(message({ id: 's12' }))).toBe(true);
    expect(compileMatch({ path: 'id', pattern: '^s' })(message({ id: 'q12' }))).toBe(false);
    expect(compileMatch({ pattern: '^PONG' })({ text: 'PONG 7', json: undefined })).toBe(true);
    expect(compileMatch({ path: 'error' })(message({ error: { code: -32601 } }))).toBe(true);
    expect(compileMatch({ path: 'error' })(message({ result: 1 }))).toBe(false);
  });

  it('needs every matcher of a list', () => {
    const next = compileMatch([{ path: 'type', equals: 'next' }, { path: 'id', pattern: '^s' }]);
    expect(next(message({ type: 'next', id: 's1' }))).toBe(true);
    expect(next(message({ type: 'next', id: 'q1' }))).toBe(false);
    expect(next(message({ type: 'complete', id: 's1' }))).toBe(false);
  });
});
