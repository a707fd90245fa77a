import { describe, expect, it } from 'vitest';
import { DelayQueue } from '../../../reference/server/delay-queue.js';

describe('DelayQueue (injected latency)', () => {
  it('delivers after the latency, in order, even when the latency drops while frames wait', async () => {
    const delivered: { item: string; atMs: number }[] = [];
    const started = performance.now();
    const queue = new DelayQueue<string>((item) => delivered.push({ item, atMs: performance.now() - started }));
    queue.push('a', 120);
    queue.push('b', 10);
    queue.push('c', 0);
    expect(queue.busy).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(delivered.map((d) => d.item)).toEqual(['a', 'b', 'c']);
    expect(delivered[0]?.atMs).toBeGreaterThanOrEqual(110);
    expect(queue.busy).toBe(false);
  });

  it('drops what is waiting on clear', async () => {
    const delivered: string[] = [];
    const queue = new DelayQueue<string>((item) => delivered.push(item));
    queue.push('a', 30);
    queue.clear();
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(delivered).toEqual([]);
  });
});
