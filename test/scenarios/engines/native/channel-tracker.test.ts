import { describe, expect, it } from 'vitest';
import { ChannelTracker } from '../../../../scenarios/engines/native/channel-tracker.js';
import type { SyncStatusReply } from '../../../../reference/protocol/index.js';

const status = (over: Partial<SyncStatusReply>): SyncStatusReply => ({
  chatId: 42,
  syncStatus: 'running',
  syncProgress: 40,
  processed: 40,
  total: 100,
  runId: 'r-1',
  updatedAt: 0,
  ...over,
});

describe('ChannelTracker', () => {
  it('starts a live subscription at the channel position and accepts the next seqs in order', () => {
    const tracker = new ChannelTracker('sync:42');
    expect(tracker.subscribePayload()).toEqual({});
    tracker.onSubscribed({ channel: 'sync:42', epoch: 'e1', seq: 7, replayed: 0 });
    expect(tracker.onEvent(8, 'e1')).toEqual({ lost: 0, duplicate: false, replayed: false });
    expect(tracker.onEvent(9, 'e1')).toEqual({ lost: 0, duplicate: false, replayed: false });
    expect(tracker.subscribePayload()).toEqual({ fromSeq: 9, epoch: 'e1' });
  });

  it('counts a gap as lost events and a repeat as a duplicate', () => {
    const tracker = new ChannelTracker('sync:42');
    tracker.onSubscribed({ channel: 'sync:42', epoch: 'e1', seq: 0, replayed: 0 });
    tracker.onEvent(1, 'e1');
    expect(tracker.onEvent(4, 'e1').lost).toBe(2);
    expect(tracker.onEvent(4, 'e1').duplicate).toBe(true);
    expect(tracker.onEvent(3, 'e1').duplicate).toBe(true);
    expect(tracker.onEvent(5, 'e1')).toEqual({ lost: 0, duplicate: false, replayed: false });
  });

  it('resumes from the last seq and marks the replayed events as replays', () => {
    const tracker = new ChannelTracker('sync:42');
    tracker.onSubscribed({ channel: 'sync:42', epoch: 'e1', seq: 2, replayed: 0 });
    tracker.onEvent(3, 'e1');
    // Cut; the server kept events 4 and 5 and replays them after the resubscribe.
    expect(tracker.subscribePayload()).toEqual({ fromSeq: 3, epoch: 'e1' });
    tracker.onSubscribed({ channel: 'sync:42', epoch: 'e1', seq: 5, replayed: 2 });
    expect(tracker.onEvent(4, 'e1')).toEqual({ lost: 0, duplicate: false, replayed: true });
    expect(tracker.onEvent(5, 'e1')).toEqual({ lost: 0, duplicate: false, replayed: true });
    expect(tracker.onEvent(6, 'e1')).toEqual({ lost: 0, duplicate: false, replayed: false });
  });

  it('counts the events a too-old resync skipped exactly', () => {
    const tracker = new ChannelTracker('sync:42');
    tracker.onSubscribed({ channel: 'sync:42', epoch: 'e1', seq: 10, replayed: 0 });
    tracker.onSubscribed({ channel: 'sync:42', epoch: 'e1', seq: 16, replayed: 0 });
    expect(tracker.onResync({ reason: 'too-old', epoch: 'e1', seq: 16, snapshot: status({}) })).toEqual({ lost: 6, knowable: true });
    expect(tracker.onEvent(17, 'e1').lost).toBe(0);
  });

  it('after a history change, counts nothing when the snapshot matches what was seen, and 1 (unknowable) when it does not', () => {
    const same = new ChannelTracker('sync:42');
    same.onSubscribed({ channel: 'sync:42', epoch: 'e1', seq: 3, replayed: 0 });
    same.onEvent(4, 'e1');
    same.noteSyncState({ runId: 'r-1', processed: 40, status: 'running' });
    expect(same.onResync({ reason: 'epoch-changed', epoch: 'e2', seq: 0, snapshot: status({}) })).toEqual({ lost: 0, knowable: true });
    expect(same.onEvent(1, 'e2')).toEqual({ lost: 0, duplicate: false, replayed: false });

    const moved = new ChannelTracker('sync:42');
    moved.onSubscribed({ channel: 'sync:42', epoch: 'e1', seq: 3, replayed: 0 });
    moved.onEvent(4, 'e1');
    moved.noteSyncState({ runId: 'r-1', processed: 40, status: 'running' });
    expect(moved.onResync({ reason: 'epoch-changed', epoch: 'e2', seq: 2, snapshot: status({ processed: 60 }) })).toEqual({ lost: 1, knowable: false });
  });
});
