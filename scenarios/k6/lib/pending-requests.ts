/**
 * Requests in flight on one connection, matched to their replies by `id`. Each remembers its
 * intended send time, so the round trip is measured from when the request was due, not from when
 * the generator got round to sending it (no coordinated omission).
 * No k6 imports: unit-tested in Node.
 */

/** A request waiting for its reply. */
export interface PendingRequest {
  id: string;
  /** When the open-model schedule wanted it sent (ms since the Unix epoch). */
  intendedMs: number;
}

/** A reply matched to its request. */
export interface SettledRequest extends PendingRequest {
  /** Reply time minus intended send time, ms. */
  durationMs: number;
}

export class PendingRequests {
  private readonly byId = new Map<string, PendingRequest>();

  get size(): number {
    return this.byId.size;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** The id of the request sent first among those still waiting (replies recognised in order answer it). */
  oldestId(): string | undefined {
    for (const id of this.byId.keys()) return id;
    return undefined;
  }

  add(request: PendingRequest): void {
    this.byId.set(request.id, request);
  }

  /** The request a reply with this `id` answers, removed; `undefined` for an unknown or already answered id. */
  settle(id: string, replyMs: number): SettledRequest | undefined {
    const request = this.byId.get(id);
    if (request === undefined) return undefined;
    this.byId.delete(id);
    return { ...request, durationMs: Math.max(0, replyMs - request.intendedMs) };
  }

  /** Removes and returns the requests still unanswered `timeoutMs` after their intended time. */
  expire(nowMs: number, timeoutMs: number): PendingRequest[] {
    const expired: PendingRequest[] = [];
    this.byId.forEach((request, id) => {
      if (nowMs - request.intendedMs >= timeoutMs) {
        expired.push(request);
        this.byId.delete(id);
      }
    });
    return expired;
  }

  /** Removes and returns every request in flight (the connection closed under them). */
  drop(): PendingRequest[] {
    const all: PendingRequest[] = [];
    this.byId.forEach((request) => all.push(request));
    this.byId.clear();
    return all;
  }
}
