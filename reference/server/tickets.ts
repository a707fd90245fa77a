/**
 * One-time connection tickets: how a browser (which cannot set headers on a WebSocket upgrade)
 * authenticates without a long-lived token in the URL. A ticket is random, valid for a few seconds,
 * redeemed at most once, and carries the identity it was issued for. At most `maxTickets` wait to be
 * redeemed; the store keeps only their hashes.
 */
import { createHash, randomBytes } from 'node:crypto';
import { WsmigError } from '../../lib/errors.js';
import { HttpErrorCode } from '../protocol/index.js';

/** What `POST /api/ws-ticket` and `gateway.issueTicket` answer. */
export interface IssuedTicket {
  /** Send it once, as `?ticket=<ticket>` on the upgrade URL. */
  ticket: string;
  /** How long it stays valid, in ms. */
  expiresInMs: number;
}

interface Pending {
  identity: unknown;
  expiresAtMs: number;
}

function keyOf(ticket: string): string {
  return createHash('sha256').update(ticket).digest('base64url');
}

/** Issued, unredeemed tickets, oldest first (all live equally long, so also the first to expire). */
export class TicketStore {
  readonly #pending = new Map<string, Pending>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxTickets: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** Tickets waiting to be redeemed. */
  get size(): number {
    this.#prune();
    return this.#pending.size;
  }

  /**
   * A new ticket for `identity`, valid for the store's ttl.
   * @throws WsmigError `TOO_MANY_TICKETS` when `maxTickets` are already waiting.
   */
  issue(identity: unknown): IssuedTicket {
    this.#prune();
    if (this.#pending.size >= this.maxTickets) {
      throw new WsmigError(HttpErrorCode.tooManyTickets, `${this.maxTickets} tickets are waiting to be used: retry in a few seconds`);
    }
    const ticket = randomBytes(24).toString('base64url');
    this.#pending.set(keyOf(ticket), { identity, expiresAtMs: this.clock() + this.ttlMs });
    return { ticket, expiresInMs: this.ttlMs };
  }

  /** Redeems a ticket: its identity, once; `undefined` for an unknown, used or expired one. */
  redeem(ticket: string): { identity: unknown } | undefined {
    const key = keyOf(ticket);
    const pending = this.#pending.get(key);
    if (pending === undefined) return undefined;
    this.#pending.delete(key);
    return pending.expiresAtMs > this.clock() ? { identity: pending.identity } : undefined;
  }

  /** Forgets every ticket. */
  clear(): void {
    this.#pending.clear();
  }

  #prune(): void {
    const now = this.clock();
    for (const [key, pending] of this.#pending) {
      if (pending.expiresAtMs > now) break;
      this.#pending.delete(key);
    }
  }
}
