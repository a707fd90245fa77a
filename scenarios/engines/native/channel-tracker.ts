/**
 * Completeness of one subscribed channel, by `seq`: a gap is a loss, a repeat a duplicate, and a
 * `resync` (the server could not replay) counts the events it skipped when they can be known.
 * Pure: the connection feeds it frames, it answers what they mean.
 */
import type { ResyncPayload, SubscribePayload, SubscribeReply, SyncStatusReply } from '../../../reference/protocol/index.js';

/** The last sync state this subscriber saw on the channel, to judge what a resync skipped. */
export interface SeenSyncState {
  runId: string;
  processed: number;
  status: 'running' | 'completed' | 'failed';
}

/** What one event meant for completeness. */
export interface EventVerdict {
  /** Events missing just before this one (a gap in seq). */
  lost: number;
  duplicate: boolean;
  /** Delivered as part of a resume replay, not live (its latency includes the disconnect). */
  replayed: boolean;
}

/** What a resync meant: events skipped, and whether that number is exact. */
export interface ResyncVerdict {
  lost: number;
  /** False when the server's history changed and the skipped count could not be known (counted as 1). */
  knowable: boolean;
}

export class ChannelTracker {
  private epoch: string | undefined;
  private lastSeq: number | undefined;
  private pendingReplay = 0;
  private seen: SeenSyncState | undefined;

  constructor(readonly channel: string) {}

  /** The payload of the next `subscribe`: resume where this subscriber stopped, or live for a first subscribe. */
  subscribePayload(): SubscribePayload {
    return this.epoch === undefined || this.lastSeq === undefined ? {} : { fromSeq: this.lastSeq, epoch: this.epoch };
  }

  /** Handles the reply to `subscribe`. */
  onSubscribed(reply: SubscribeReply): void {
    if (this.epoch === undefined || this.lastSeq === undefined) {
      // A live subscription starts at the channel's current position.
      this.epoch = reply.epoch;
      this.lastSeq = reply.seq;
      this.pendingReplay = 0;
      return;
    }
    // Same epoch: `replayed` events follow. Another epoch: a resync follows and resets the position.
    this.pendingReplay = reply.epoch === this.epoch ? reply.replayed : 0;
  }

  /** Handles one event frame on the channel. */
  onEvent(seq: number, epoch: string | undefined): EventVerdict {
    const replayed = this.pendingReplay > 0;
    if (replayed) this.pendingReplay -= 1;
    if (this.lastSeq === undefined || (epoch !== undefined && epoch !== this.epoch)) {
      // An event from a history this subscriber never synchronised with: what came before is unknowable.
      const lost = this.lastSeq === undefined ? 0 : 1;
      this.epoch = epoch ?? this.epoch;
      this.lastSeq = seq;
      return { lost, duplicate: false, replayed };
    }
    if (seq <= this.lastSeq) return { lost: 0, duplicate: true, replayed };
    const lost = seq - this.lastSeq - 1;
    this.lastSeq = seq;
    return { lost, duplicate: false, replayed };
  }

  /** Records the sync state an event carried (sync channels only). */
  noteSyncState(state: SeenSyncState): void {
    this.seen = state;
  }

  /** Handles a `resync`: the server could not replay; its snapshot is the current state. */
  onResync(payload: ResyncPayload<SyncStatusReply>): ResyncVerdict {
    const verdict = this.judgeResync(payload);
    this.epoch = payload.epoch;
    this.lastSeq = payload.seq;
    this.pendingReplay = 0;
    return verdict;
  }

  private judgeResync(payload: ResyncPayload<SyncStatusReply>): ResyncVerdict {
    if (payload.reason === 'too-old' && payload.epoch === this.epoch && this.lastSeq !== undefined) {
      return { lost: Math.max(0, payload.seq - this.lastSeq), knowable: true };
    }
    // The history changed: the sequence numbers cannot be compared, but the snapshot can be.
    const snapshot = payload.snapshot;
    if (snapshot && this.seen && snapshot.runId === this.seen.runId && snapshot.processed === this.seen.processed && snapshot.syncStatus === this.seen.status) {
      return { lost: 0, knowable: true };
    }
    if (snapshot && !this.seen && (snapshot.runId === null || snapshot.syncStatus === 'idle')) return { lost: 0, knowable: true };
    return { lost: 1, knowable: false };
  }
}

