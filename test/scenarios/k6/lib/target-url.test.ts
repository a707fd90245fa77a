import { describe, expect, it } from 'vitest';
import { httpOriginOf } from '../../../../scenarios/k6/lib/target-url.js';

describe('httpOriginOf', () => {
  it('derives the HTTP origin of a WebSocket URL', () => {
    expect(httpOriginOf('ws://localhost:3000/ws')).toBe('http://localhost:3000');
    expect(httpOriginOf('wss://chat.example.com/realtime/ws?token=x')).toBe('https://chat.example.com');
    expect(httpOriginOf('ws://127.0.0.1:41234')).toBe('http://127.0.0.1:41234');
  });

  it('refuses what is not a WebSocket URL', () => {
    expect(() => httpOriginOf('http://localhost:3000/ws')).toThrow(/is not a WebSocket URL/);
  });
});
