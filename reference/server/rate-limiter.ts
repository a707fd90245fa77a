/**
 * Per-connection message rate: a token bucket refilled continuously at `perSecond`, holding at most
 * `burst` tokens. A message takes one token; with none left it is dropped (`RATE_LIMITED`).
 */
export class TokenBucket {
  private tokens: number;
  private lastRefillMs: number;
  private readonly perMs: number;

  constructor(
    perSecond: number,
    private readonly burst: number,
    nowMs: number,
  ) {
    this.perMs = perSecond / 1000;
    this.tokens = burst;
    this.lastRefillMs = nowMs;
  }

  /** Takes a token if one is left at `nowMs` (a monotonic clock in ms). */
  take(nowMs: number): boolean {
    const refilled = this.tokens + (nowMs - this.lastRefillMs) * this.perMs;
    this.tokens = refilled > this.burst ? this.burst : refilled;
    this.lastRefillMs = nowMs;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}
