/**
 * Completeness of one subscribed channel, judged by `seq` (docs/protocol.md, "Subscriptions"):
 * a gap is a loss, a repeat is a duplicate, and a `resync` (the server could not replay) counts the
 * events it skipped when they can be known, else one. Pure: the connection feeds it frames, it
 * answers what they mean. The k6 scripts and the native engine both use this one tracker, so
 * `ws_msgs_lost` and `ws_msgs_duplicated` mean the same thing whichever engine ran.
 * No k6 imports: compiled for k6 and for Node alike.
 */
import type { ResumePoint } from './envelope.js';

/** The reply to `subscribe`: where the channel stands now. */
export interface SubscribedReply {
  epoch: string;
  seq: number;
  replayed: number;
}

/** A `resync` payload (for sync channels the snapshot is the chat's `sync:status`). */
export interface ResyncNotice {
  reason: string;
  epoch: string;
  seq: number;
  snapshot: { runId: string | null; processed: number; syncStatus: string } | null;
}

/** The last sync state the subscriber saw, to judge whether a resync skipped anything. */
export interface SeenSyncState {
  runId: string;
  processed: number;
  status: 'running' | 'completed' | 'failed';
}

/** What one event meant. */
export interface EventOutcome {
  /** Events missing just before this one (a gap in seq). */
  lost: number;
  duplicate: boolean;
  /** Delivered by a resume replay rather than live: its latency includes the disconnect. */
  replayed: boolean;
}

/** What a resync meant: events skipped, and whether that number is exact. */
export interface ResyncOutcome {
  lost: number;
  /** False when the server's history changed and the number skipped could not be known (counted as 1). */
  knowable: boolean;
}

/** The position of one subscriber on one channel; one tracker per subscribed channel and connection. */
export class SeqTracker {
  private epoch: string | undefined;
  private lastSeq: number | undefined;
  private pendingReplay = 0;
  private seen: SeenSyncState | undefined;

  /** Where the next `subscribe` resumes; `undefined` for a first, live-only subscription. */
  resumePoint(): ResumePoint | undefined {
    return this.epoch === undefined || this.lastSeq === undefined ? undefined : { fromSeq: this.lastSeq, epoch: this.epoch };
  }

  /** Handles the reply to `subscribe`. */
  onSubscribed(reply: SubscribedReply): void {
    if (this.epoch === undefined || this.lastSeq === undefined) {
      // A live subscription starts at the channel's current position.
      this.epoch = reply.epoch;
      this.lastSeq = reply.seq;
      this.pendingReplay = 0;
      return;
    }
    // Same history: `replayed` events follow. Another history: a resync follows and resets the position.
    this.pendingReplay = reply.epoch === this.epoch ? reply.replayed : 0;
  }

  /** Handles one event frame carrying `seq` (and `epoch`). */
  onEvent(seq: number, epoch: string | undefined): EventOutcome {
    const replayed = this.pendingReplay > 0;
    if (replayed) this.pendingReplay -= 1;
    if (this.lastSeq === undefined || (epoch !== undefined && epoch !== this.epoch)) {
      // An event from a history this subscriber never synchronised with: what came before is unknowable.
      const lost = this.lastSeq === undefined ? 0 : 1;
      if (epoch !== undefined) this.epoch = epoch;
      this.lastSeq = seq;
      return { lost, duplicate: false, replayed };
    }
    if (seq <= this.lastSeq) return { lost: 0, duplicate: true, replayed };
    const lost = seq - this.lastSeq - 1;
    this.lastSeq = seq;
    return { lost, duplicate: false, replayed };
  }

  /** Remembers the sync state an event carried (sync channels), for judging a later resync. */
  noteSyncState(state: SeenSyncState): void {
    this.seen = state;
  }

  /** Handles a `resync`: the server could not replay; its snapshot is the current state. */
  onResync(notice: ResyncNotice): ResyncOutcome {
    const outcome = this.judgeResync(notice);
    this.epoch = notice.epoch;
    this.lastSeq = notice.seq;
    this.pendingReplay = 0;
    return outcome;
  }

  private judgeResync(notice: ResyncNotice): ResyncOutcome {
    if (notice.reason === 'too-old' && notice.epoch === this.epoch && this.lastSeq !== undefined) {
      return { lost: Math.max(0, notice.seq - this.lastSeq), knowable: true };
    }
    // The history changed: sequence numbers cannot be compared, but the sync state can.
    const snapshot = notice.snapshot;
    const seen = this.seen;
    if (snapshot && seen && snapshot.runId === seen.runId && snapshot.processed === seen.processed && snapshot.syncStatus === seen.status) {
      return { lost: 0, knowable: true };
    }
    if (snapshot && !seen && (snapshot.runId === null || snapshot.syncStatus === 'idle')) return { lost: 0, knowable: true };
    return { lost: 1, knowable: false };
  }
}
