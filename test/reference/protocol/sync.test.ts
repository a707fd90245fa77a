import { describe, expect, it } from 'vitest';
import { chatIdFromText, chatIdOfChannel, chatIdProblem, formatEventId, parseEventId, syncChannel, syncStartProblem } from '../../../reference/protocol/index.js';

describe('chat ids', () => {
  it('reads a canonical integer as the number and everything else as a string, one rule everywhere', () => {
    expect(chatIdFromText('42')).toBe(42);
    expect(chatIdFromText('-7')).toBe(-7);
    expect(chatIdFromText('042')).toBe('042');
    expect(chatIdFromText('1e3')).toBe('1e3');
    expect(chatIdFromText('9007199254740993')).toBe('9007199254740993');
    expect(chatIdFromText('chat-9')).toBe('chat-9');
  });

  it('maps chats to channels and back', () => {
    expect(syncChannel(42)).toBe('sync:42');
    expect(chatIdOfChannel('sync:42')).toBe('42');
    expect(chatIdOfChannel('sync:')).toBeUndefined();
    expect(chatIdOfChannel('sys')).toBeUndefined();
  });

  it('refuses ids that could not travel in a channel name or URL path', () => {
    expect(chatIdProblem(42)).toBeUndefined();
    expect(chatIdProblem('a.b:c_d-1')).toBeUndefined();
    expect(chatIdProblem(1.5)).toMatch(/chatId/);
    expect(chatIdProblem('a/b')).toMatch(/chatId/);
    expect(chatIdProblem('')).toMatch(/chatId/);
  });
});

describe('SSE event ids', () => {
  it('round-trip <epoch>-<seq>, with dashes allowed in the epoch', () => {
    expect(parseEventId(formatEventId('k3-j9x', 17))).toEqual({ epoch: 'k3-j9x', seq: 17 });
  });

  it('are undefined when malformed', () => {
    for (const bad of [undefined, null, '', '17', '-17', 'abc-', 'abc- 1', 'abc-1.5', 'abc-1e3']) expect(parseEventId(bad)).toBeUndefined();
  });
});

describe('syncStartProblem', () => {
  it('accepts the seed payload and names each wrong field', () => {
    expect(syncStartProblem({ chatId: 42, options: { messageTypes: ['text'], incremental: true, batchSize: 20 } })).toBeUndefined();
    expect(syncStartProblem({ chatId: 42 })).toBeUndefined();
    expect(syncStartProblem(null)).toMatch(/payload/);
    expect(syncStartProblem({ chatId: 42, options: [] })).toMatch(/"options"/);
    expect(syncStartProblem({ chatId: 42, options: { messageTypes: [1] } })).toMatch(/messageTypes/);
    expect(syncStartProblem({ chatId: 42, options: { incremental: 'yes' } })).toMatch(/incremental/);
    expect(syncStartProblem({ chatId: 42, options: { batchSize: 0 } })).toMatch(/batchSize/);
  });
});
