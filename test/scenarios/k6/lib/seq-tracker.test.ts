import { describe, expect, it } from 'vitest';
import { SeqTracker } from '../../../../scenarios/k6/lib/seq-tracker.js';

describe('SeqTracker', () => {
  it('counts gaps as losses and repeats as duplicates on a live subscription', () => {
    const tracker = new SeqTracker();
    expect(tracker.resumePoint()).toBeUndefined();
    tracker.onSubscribed({ epoch: 'e1', seq: 4, replayed: 0 });
    expect(tracker.onEvent(5, 'e1')).toEqual({ lost: 0, duplicate: false, replayed: false });
    expect(tracker.onEvent(8, 'e1')).toEqual({ lost: 2, duplicate: false, replayed: false });
    expect(tracker.onEvent(8, 'e1')).toEqual({ lost: 0, duplicate: true, replayed: false });
    expect(tracker.onEvent(6, 'e1').duplicate).toBe(true);
    expect(tracker.resumePoint()).toEqual({ fromSeq: 8, epoch: 'e1' });
  });

  it('resumes where it stopped and marks the replayed events', () => {
    const tracker = new SeqTracker();
    tracker.onSubscribed({ epoch: 'e1', seq: 0, replayed: 0 });
    tracker.onEvent(1, 'e1');
    tracker.onEvent(2, 'e1');
    // Reconnected: the server replays 3 and 4, then goes live.
    tracker.onSubscribed({ epoch: 'e1', seq: 4, replayed: 2 });
    expect(tracker.onEvent(3, 'e1')).toEqual({ lost: 0, duplicate: false, replayed: true });
    expect(tracker.onEvent(4, 'e1')).toEqual({ lost: 0, duplicate: false, replayed: true });
    expect(tracker.onEvent(5, 'e1')).toEqual({ lost: 0, duplicate: false, replayed: false });
  });

  it('counts the events a too-old resync skipped exactly', () => {
    const tracker = new SeqTracker();
    tracker.onSubscribed({ epoch: 'e1', seq: 10, replayed: 0 });
    tracker.onEvent(11, 'e1');
    expect(tracker.onResync({ reason: 'too-old', epoch: 'e1', seq: 2000, snapshot: null })).toEqual({ lost: 1989, knowable: true });
    expect(tracker.onEvent(2001, 'e1').lost).toBe(0);
  });

  it('counts an unknowable epoch change as one loss, and none when the snapshot shows nothing was missed', () => {
    const unknowable = new SeqTracker();
    unknowable.onSubscribed({ epoch: 'e1', seq: 0, replayed: 0 });
    unknowable.onEvent(1, 'e1');
    unknowable.noteSyncState({ runId: 'r1', processed: 10, status: 'running' });
    expect(unknowable.onResync({ reason: 'epoch-changed', epoch: 'e2', seq: 3, snapshot: { runId: 'r1', processed: 40, syncStatus: 'running' } })).toEqual({ lost: 1, knowable: false });
    expect(unknowable.resumePoint()).toEqual({ fromSeq: 3, epoch: 'e2' });

    const nothingMissed = new SeqTracker();
    nothingMissed.onSubscribed({ epoch: 'e1', seq: 0, replayed: 0 });
    nothingMissed.onEvent(1, 'e1');
    nothingMissed.noteSyncState({ runId: 'r1', processed: 100, status: 'completed' });
    expect(nothingMissed.onResync({ reason: 'epoch-changed', epoch: 'e2', seq: 0, snapshot: { runId: 'r1', processed: 100, syncStatus: 'completed' } })).toEqual({ lost: 0, knowable: true });
    // The new history's events then count from the resync's position.
    expect(nothingMissed.onEvent(1, 'e2')).toEqual({ lost: 0, duplicate: false, replayed: false });
  });

  it('counts an event from another history without a resync as one unknowable loss', () => {
    const tracker = new SeqTracker();
    tracker.onSubscribed({ epoch: 'e1', seq: 5, replayed: 0 });
    expect(tracker.onEvent(1, 'e2')).toEqual({ lost: 1, duplicate: false, replayed: false });
    expect(tracker.onEvent(2, 'e2').lost).toBe(0);
  });
});
