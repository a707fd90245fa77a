import { describe, expect, it } from 'vitest';
import { ActiveSyncMap, ChatSyncTracker } from '../../../reference/client/sync-tracker.js';
import type { SyncStatusReply } from '../../../reference/protocol/index.js';

const progress = (runId: string, processed: number, total = 100) => ({ chatId: 42, runId, progress: Math.floor((processed * 100) / total), processed, total });
const snapshot = (fields: Partial<SyncStatusReply>): SyncStatusReply => ({ chatId: 42, syncStatus: 'running', syncProgress: 0, processed: 0, total: 100, runId: 'r1', updatedAt: 0, ...fields });

describe('ChatSyncTracker', () => {
  it('delivers each progress step once and in order, even when a restarted run repeats steps', () => {
    const tracker = new ChatSyncTracker(42, {}, 0);
    const delivered = [
      progress('r1', 10),
      progress('r1', 20),
      progress('r1', 20),
      progress('r1', 30),
      // the server lost r1 and the sync was started again as r2
      progress('r2', 10),
      progress('r2', 20),
      progress('r2', 30),
      progress('r2', 40),
    ]
      .map((event) => tracker.acceptProgress(event))
      .filter((event) => event !== undefined)
      .map((event) => event.processed);
    expect(delivered).toEqual([10, 20, 30, 40]);
  });

  it('delivers one final event: nothing after complete or error', () => {
    const tracker = new ChatSyncTracker(42, {}, 0);
    expect(tracker.acceptComplete({ chatId: 42, runId: 'r1', processed: 100, total: 100, durationMs: 5 })).toBeDefined();
    expect(tracker.acceptComplete({ chatId: 42, runId: 'r1', processed: 100, total: 100, durationMs: 5 })).toBeUndefined();
    expect(tracker.acceptError({ chatId: 42, runId: 'r1', processed: 100, error: { code: 'INTERNAL', message: 'x', retryable: true } })).toBeUndefined();
    expect(tracker.acceptProgress(progress('r1', 100))).toBeUndefined();
    expect(tracker.state).toEqual({ status: 'completed', progress: 100 });
  });

  it('ignores late events of runs that ended in an earlier sync of the same chat', () => {
    const tracker = new ChatSyncTracker(42, {}, 0, new Set(['old']));
    expect(tracker.acceptProgress(progress('old', 50))).toBeUndefined();
    expect(tracker.acceptComplete({ chatId: 42, runId: 'old', processed: 100, total: 100, durationMs: 1 })).toBeUndefined();
    expect(tracker.acceptProgress(progress('new', 10))?.processed).toBe(10);
  });

  it('delivers events with the chat id as the application gave it', () => {
    const tracker = new ChatSyncTracker(42, {}, 0);
    expect(tracker.acceptProgress({ ...progress('r1', 10), chatId: '42' })?.chatId).toBe(42);
  });

  it('reads a resync snapshot: running continues, idle restarts, completed completes once, failed errors', () => {
    expect(new ChatSyncTracker(42, {}, 0).onSnapshot(snapshot({ syncStatus: 'running' }), 10).kind).toBe('continue');
    expect(new ChatSyncTracker(42, {}, 0).onSnapshot(snapshot({ syncStatus: 'idle', runId: null }), 10).kind).toBe('restart');
    expect(new ChatSyncTracker(42, {}, 0).onSnapshot(null, 10).kind).toBe('restart');

    const completing = new ChatSyncTracker(42, {}, 1_000);
    completing.acceptProgress(progress('r1', 60));
    const action = completing.onSnapshot(snapshot({ syncStatus: 'completed', processed: 100, syncProgress: 100 }), 1_500);
    expect(action).toMatchObject({ kind: 'complete', progress: { processed: 100, progress: 100 }, complete: { processed: 100, durationMs: 500 } });
    expect(completing.onSnapshot(snapshot({ syncStatus: 'completed', processed: 100 }), 1_600).kind).toBe('none');

    const failing = new ChatSyncTracker(42, {}, 0);
    const failed = failing.onSnapshot(snapshot({ syncStatus: 'failed', error: { code: 'INTERNAL', message: 'disk full', retryable: true } }), 1);
    expect(failed).toMatchObject({ kind: 'error', error: { error: { code: 'INTERNAL', message: 'disk full' } } });
    expect(failing.state).toMatchObject({ status: 'failed', error: 'disk full' });
  });

  it('marks a sync ended by a CANCELLED error as cancelled', () => {
    const tracker = new ChatSyncTracker(42, {}, 0);
    tracker.acceptProgress(progress('r1', 30));
    tracker.acceptError({ chatId: 42, runId: 'r1', processed: 30, error: { code: 'CANCELLED', message: 'the sync was cancelled', retryable: false } });
    expect(tracker.state).toEqual({ status: 'cancelled', progress: 30, error: 'the sync was cancelled' });
  });
});

describe('ActiveSyncMap (SyncManager.activeSyncs)', () => {
  it('files 42 and "42" under one entry, found by either', () => {
    const map = new ActiveSyncMap(10);
    map.set(42, { status: 'running', progress: 10 });
    map.set('42', { status: 'running', progress: 20 });
    expect(map.size).toBe(1);
    expect(map.get('42')).toEqual({ status: 'running', progress: 20 });
    expect(map.get(42)).toEqual({ status: 'running', progress: 20 });
    expect([...map.keys()]).toEqual([42]);
    map.set('042', { status: 'running', progress: 0 });
    expect(map.size).toBe(2);
    expect(map.delete('42')).toBe(true);
    expect(map.has(42)).toBe(false);
  });

  it('keeps at most maxFinished finished chats, forgetting the one updated longest ago, and never a running one', () => {
    const map = new ActiveSyncMap(2);
    map.set('run', { status: 'running', progress: 5 });
    map.set(1, { status: 'completed', progress: 100 });
    map.set(2, { status: 'failed', progress: 40, error: 'x' });
    map.set(1, { status: 'completed', progress: 100 });
    map.set(3, { status: 'cancelled', progress: 10 });
    expect([...map.keys()]).toEqual(['run', 1, 3]);
    for (let chat = 10; chat < 1_000; chat += 1) map.set(chat, { status: 'completed', progress: 100 });
    expect(map.size).toBe(3);
    expect(map.get('run')).toEqual({ status: 'running', progress: 5 });
  });
});
