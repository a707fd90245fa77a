/**
 * Tells when more than `limit` things happened within `windowMs`: bad frames before a 4100 close,
 * rate-limit drops before a 4200 close. Keeps the last `limit + 1` timestamps in a ring.
 */
export class WindowCounter {
  private readonly times: Float64Array;
  private next = 0;
  private count = 0;

  constructor(
    limit: number,
    private readonly windowMs: number,
  ) {
    this.times = new Float64Array(limit + 1);
  }

  /** Records one occurrence at `nowMs`; true when it makes more than `limit` within the window. */
  hit(nowMs: number): boolean {
    this.times[this.next] = nowMs;
    this.next = (this.next + 1) % this.times.length;
    if (this.count < this.times.length) this.count += 1;
    if (this.count < this.times.length) return false;
    // The ring is full: the oldest of the last limit+1 occurrences is at `next`.
    return nowMs - (this.times[this.next] as number) < this.windowMs;
  }
}
