import { describe, expect, it } from 'vitest';
import { compileTemplate, TemplateError } from '../../../scenarios/profiles/template.js';

const values = { id: 7, seq: 3, vu: 12 };
const letters = (): number => 0; // every random letter is "a"

describe('compileTemplate', () => {
  it('turns a string that is only a placeholder into that value, and substitutes inside longer strings', () => {
    const template = compileTemplate({ jsonrpc: '2.0', id: '{{id}}', method: 'echo', params: ['vu-{{vu}}/{{seq}}', '{{seq}}'] }, { payloadBytes: 0 });
    expect(JSON.parse(template.render(values))).toEqual({ jsonrpc: '2.0', id: 7, method: 'echo', params: ['vu-12/3', 3] });
  });

  it('writes {{payload}} as payloadBytes random letters and {{payload:N}} as N, exactly that long', () => {
    const template = compileTemplate({ a: '{{payload}}', b: 'x{{payload:5}}x' }, { payloadBytes: 100, random: letters });
    const message = JSON.parse(template.render(values)) as { a: string; b: string };
    expect(message.a).toBe('a'.repeat(100));
    expect(message.b).toBe(`x${'a'.repeat(5)}x`);
  });

  it('renders {{now}} as the wall clock at send time', () => {
    const template = compileTemplate({ sentAt: '{{now}}' }, { payloadBytes: 0 });
    const before = Date.now();
    const { sentAt } = JSON.parse(template.render(values)) as { sentAt: number };
    expect(sentAt).toBeGreaterThanOrEqual(before);
    expect(sentAt).toBeLessThanOrEqual(Date.now());
  });

  it('keeps JSON escapes of literal text, and sends a string template as raw text', () => {
    const json = compileTemplate({ q: 'say "hi"\n{{id}}' }, { payloadBytes: 0 });
    expect(JSON.parse(json.render(values))).toEqual({ q: 'say "hi"\n7' });
    const raw = compileTemplate('PING {{id}} "{{vu}}"', { payloadBytes: 0 });
    expect(raw.render(values)).toBe('PING 7 "12"');
  });

  it('tells the key a reply carries: the id number, or the whole string the id sits in', () => {
    expect(compileTemplate({ id: '{{id}}' }, { payloadBytes: 0 }).idKey?.(values)).toBe('7');
    expect(compileTemplate({ id: 'q{{id}}-{{vu}}' }, { payloadBytes: 0 }).idKey?.(values)).toBe('q7-12');
    expect(compileTemplate({ type: 'ping' }, { payloadBytes: 0 }).idKey).toBeUndefined();
  });

  it('renders each message anew from the same compiled parts', () => {
    const template = compileTemplate({ id: '{{id}}' }, { payloadBytes: 0 });
    expect([1, 2, 3].map((id) => template.render({ ...values, id }))).toEqual(['{"id":1}', '{"id":2}', '{"id":3}']);
  });

  it('refuses an unknown placeholder, naming the ones there are', () => {
    expect(() => compileTemplate({ id: '{{ids}}' }, { payloadBytes: 0 })).toThrow(TemplateError);
    expect(() => compileTemplate({ id: '{{ids}}' }, { payloadBytes: 0 })).toThrow(/unknown placeholder \{\{ids\}\}: use \{\{id\}\}/);
    expect(() => compileTemplate({ id: '{{seq:4}}' }, { payloadBytes: 0 })).toThrow(/only \{\{payload:N\}\} takes a size/);
  });
});
