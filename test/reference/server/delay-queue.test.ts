import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DelayQueue } from '../../../reference/server/delay-queue.js';

// A fake clock for the queue's timer and its `performance.now()`: exact due times, whatever the machine's load.
beforeEach(() => {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'performance'] });
});
afterEach(() => {
  vi.useRealTimers();
});

describe('DelayQueue (injected latency)', () => {
  it('delivers after the latency, in order, even when the latency drops while frames wait', () => {
    const delivered: { item: string; atMs: number }[] = [];
    const started = performance.now();
    const queue = new DelayQueue<string>((item) => delivered.push({ item, atMs: performance.now() - started }));
    queue.push('a', 120);
    queue.push('b', 10);
    queue.push('c', 0);
    expect(queue.busy).toBe(true);
    vi.advanceTimersByTime(119);
    expect(delivered).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(delivered).toEqual([
      { item: 'a', atMs: 120 },
      { item: 'b', atMs: 120 },
      { item: 'c', atMs: 120 },
    ]);
    expect(queue.busy).toBe(false);
    queue.push('d', 30);
    vi.advanceTimersByTime(30);
    expect(delivered.at(-1)).toEqual({ item: 'd', atMs: 150 });
  });

  it('drops what is waiting on clear', () => {
    const delivered: string[] = [];
    const queue = new DelayQueue<string>((item) => delivered.push(item));
    queue.push('a', 30);
    queue.clear();
    vi.advanceTimersByTime(60);
    expect(delivered).toEqual([]);
    expect(vi.getTimerCount()).toBe(0);
  });
});
