import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { formatSseComment, formatSseEvent } from '../../../reference/server/sse-format.js';

function parse(text: string): EventSourceMessage[] {
  const events: EventSourceMessage[] = [];
  createParser({ onEvent: (event) => events.push(event) }).feed(text);
  return events;
}

describe('SSE framing', () => {
  it('writes id, event and data lines ended by an empty line', () => {
    expect(formatSseEvent({ id: 'e-1', event: 'progress', data: '{"a":1}' })).toBe('id: e-1\nevent: progress\ndata: {"a":1}\n\n');
  });

  it('splits multi-line data into several data lines that a client joins back', () => {
    const data = 'line one\nline two\r\nline three\rend';
    const text = formatSseEvent({ event: 'note', data, retry: 1500 });
    expect(text).toBe('event: note\nretry: 1500\ndata: line one\ndata: line two\ndata: line three\ndata: end\n\n');
    expect(parse(text)).toEqual([{ event: 'note', id: undefined, data: 'line one\nline two\nline three\nend' }]);
  });

  it('refuses a line break in id or event, which would corrupt the stream', () => {
    expect(() => formatSseEvent({ id: 'a\nb', data: '' })).toThrow(/line break/);
  });

  it('writes comments that parsers ignore', () => {
    expect(formatSseComment('keep-alive')).toBe(': keep-alive\n\n');
    expect(parse(formatSseComment('keep-alive') + formatSseEvent({ data: 'x' }))).toHaveLength(1);
  });
});
