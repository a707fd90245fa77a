import fc from 'fast-check';
import { createParser } from 'eventsource-parser';
import { describe, expect, it } from 'vitest';
import { createSseParser, type ParsedSseEvent } from '../../../../reference/client/adapters/sse-parser.js';

/** Feeds `chunks` to a fresh parser; returns what it reported, in order. */
function parse(chunks: string[]): Array<ParsedSseEvent | { retry: number }> {
  const reported: Array<ParsedSseEvent | { retry: number }> = [];
  const feed = createSseParser({ onEvent: (event) => reported.push(event), onRetry: (retry) => reported.push({ retry }) });
  for (const chunk of chunks) feed(chunk);
  return reported;
}

/** The same, with eventsource-parser (the parser the adapters used before). */
function parseWithEventsourceParser(chunks: string[]): Array<ParsedSseEvent | { retry: number }> {
  const reported: Array<ParsedSseEvent | { retry: number }> = [];
  const parser = createParser({ onEvent: ({ id, event, data }) => reported.push({ id, event, data }), onRetry: (retry) => reported.push({ retry }) });
  for (const chunk of chunks) parser.feed(chunk);
  return reported;
}

describe('the SSE parser of the fallback', () => {
  it('reads events, their names, ids and multi-line data, and ignores comments and unknown fields', () => {
    expect(parse([': keep-alive\n\nid: 1\nevent: progress\ndata: {"a":1}\n\ndata: one\ndata:two\nfoo: bar\n\n'])).toEqual([
      { id: '1', event: 'progress', data: '{"a":1}' },
      { id: undefined, event: undefined, data: 'one\ntwo' },
    ]);
  });

  it('ends lines at CRLF, LF or CR, also when a CRLF is split between chunks', () => {
    expect(parse(['data: a\r', '\n\r', '\ndata: b\r\rdata: c\n', '\n'])).toEqual([
      { id: undefined, event: undefined, data: 'a' },
      { id: undefined, event: undefined, data: 'b' },
      { id: undefined, event: undefined, data: 'c' },
    ]);
  });

  it('dispatches an empty data field, not an event without data, and never the unfinished event at the end', () => {
    expect(parse(['data:\n\nevent: x\nid: 3\n\ndata: cut'])).toEqual([{ id: undefined, event: undefined, data: '' }]);
  });

  it('takes a retry of digits only, and ignores an id containing NUL', () => {
    expect(parse(['retry: 2500\nretry: 1s\nid: a\0b\ndata: x\n\n'])).toEqual([{ retry: 2500 }, { id: undefined, event: undefined, data: 'x' }]);
  });

  it('reads any stream, cut anywhere, as eventsource-parser does', () => {
    const line = fc.oneof(
      fc.constantFrom('', ':', ': comment', 'data', 'data:', 'data: ', 'event:', 'event: ', 'id', 'id:', 'retry: 10', 'retry:x'),
      fc.tuple(fc.constantFrom('data', 'event', 'id', 'retry', 'other', 'dat'), fc.constantFrom(':', ': ', ':  '), fc.string({ unit: fc.constantFrom('a', '7', ' ', ':', 'é', '\0') })).map(([field, colon, value]) => `${field}${colon}${value}`),
    );
    const stream = fc.array(fc.tuple(line, fc.constantFrom('\n', '\r', '\r\n')), { maxLength: 30 }).map((lines) => lines.map(([text, end]) => text + end).join(''));
    fc.assert(
      fc.property(stream, fc.array(fc.nat(), { maxLength: 8 }), (text, cuts) => {
        const points = [...new Set(cuts.map((cut) => cut % (text.length + 1)))].sort((a, b) => a - b);
        const chunks = [0, ...points].map((start, i) => text.slice(start, points[i] ?? text.length));
        // A final LF settles a CR that ends the stream, for which eventsource-parser waits.
        expect(parse([...chunks, '\n'])).toEqual(parseWithEventsourceParser([...chunks, '\n']));
      }),
      { numRuns: 2000 },
    );
  });
});
