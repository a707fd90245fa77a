/**
 * Who runs a server-side job (a sync run) when several instances share one status store: the
 * holder of the job's lease. A lease expires `ttlMs` after its last renewal, so when its holder
 * dies another instance takes the job over from the stored progress; status writes are fenced by
 * the lease (see {@link StatusFence}), so a holder that lost its lease cannot overwrite progress.
 *
 * One process needs none (its jobs map is the lease): the memory engine has no `JobLeases`.
 */

/** What a claim found: the lease taken, or the value of whoever holds it. */
export interface LeaseClaim {
  acquired: boolean;
  /** The holder's value (ours when `acquired`); undefined when nobody holds it any more. */
  value: string | undefined;
}

export interface JobLeases {
  /** How long a lease lives without renewal, in ms. */
  readonly ttlMs: number;
  /** Takes the lease of `job` with `value`, unless someone holds it. */
  acquire(job: string, value: string): Promise<LeaseClaim>;
  /** Replaces the value of a lease held with `from` (renewing it); false when it is not held with `from` any more. */
  update(job: string, from: string, to: string): Promise<boolean>;
  /** Extends a lease held with `value`; false when it is not held with `value` any more. */
  renew(job: string, value: string): Promise<boolean>;
  /** Lets go of a lease held with `value` (nothing when it is not). */
  release(job: string, value: string): Promise<void>;
  /** The value of the lease of `job`, undefined when nobody holds it. */
  holder(job: string): Promise<string | undefined>;
  /** Asks the holder of `job`, on whichever instance, to cancel it. */
  requestCancel(job: string): Promise<void>;
  /** Calls `listener` with the job whenever an instance asks for a cancel. */
  onCancelRequest(listener: (job: string) => void): void;
}

/** A status write made on behalf of a lease holder: refused (`LEASE_LOST`) unless the lease of `job` is still held with `holder`. */
export interface StatusFence {
  job: string;
  holder: string;
}

/** Code of the error a fenced status write throws when the lease was lost. */
export const LEASE_LOST = 'LEASE_LOST';
