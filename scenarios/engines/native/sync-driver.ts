/**
 * Keeps one chat syncing: `sync:start`, wait for `sync:complete` (or `sync:error`), start again.
 * Records the time from the start request to the completion (ws_sync_duration). Survives cuts: a
 * resync's snapshot says whether the run is still going, and a stalled run is started again
 * (`sync:start` is idempotent while a run goes).
 */
import type { ResyncPayload, SyncStartReply, SyncStatusReply, WSMessage } from '../../../reference/protocol/index.js';
import type { LoadConnection } from './load-connection.js';
import type { TrendHandle } from '../../result/recorder.js';

/** No event for this long on a running sync: ask again (idempotent), in case the run was lost. */
const STALL_MS = 10_000;
/** After a refused start (the server is draining, say), wait this long before trying again. */
const RETRY_MS = 250;

type DriverState = 'idle' | 'starting' | 'running' | 'stopped';

export class SyncDriver {
  private state: DriverState = 'idle';
  private startedAt: number | undefined;
  private runId: string | undefined;
  private lastActivityAt = 0;
  private retryAt = 0;
  private requests = 0;
  /** The last start was a retry of a stalled run: if it starts a new run, that run's start is unknown. */
  private retried = false;

  constructor(
    readonly chatIndex: number,
    readonly chatId: string,
    readonly channel: string,
    readonly connection: LoadConnection,
    private readonly syncDuration: TrendHandle,
    private readonly now: () => number,
  ) {}

  /** The id prefix of this driver's requests: `y<chatIndex>.` */
  static chatIndexOf(requestId: string): number | undefined {
    if (requestId.charCodeAt(0) !== 121 /* y */) return undefined;
    const dot = requestId.indexOf('.');
    const index = Number(requestId.slice(1, dot));
    return dot > 1 && Number.isSafeInteger(index) ? index : undefined;
  }

  /**
   * The connection is (again) open and subscribed. A run under way is asked for again: `sync:start`
   * joins it when it still runs, and resumes it when a restarted server orphaned it.
   */
  onConnectionReady(): void {
    if (this.state === 'idle') this.start(false);
    else if (this.state === 'running' || this.state === 'starting') this.start(true);
  }

  /** Checks for a stalled run or a pending retry. */
  sweep(now: number): void {
    if (this.state === 'idle' && now >= this.retryAt) this.start(false);
    else if ((this.state === 'running' || this.state === 'starting') && now - this.lastActivityAt > STALL_MS) this.start(true);
  }

  /** No new syncs from now on. */
  stop(): void {
    this.state = 'stopped';
  }

  /** A reply, error, event or resync for this chat, on the driver's own connection. */
  onFrame(message: WSMessage): void {
    if (this.state === 'stopped') return;
    const now = this.now();
    this.lastActivityAt = now;
    switch (message.type) {
      case 'reply': {
        const reply = message.payload as SyncStartReply;
        if (reply.status === 'started') {
          this.runId = reply.runId;
          if (this.retried) this.startedAt = undefined;
        } else if (reply.runId !== this.runId) {
          // Joined a run this driver did not start: its start time is unknown.
          this.runId = reply.runId;
          this.startedAt = undefined;
        }
        if (this.state === 'starting') this.state = 'running';
        return;
      }
      case 'error':
        this.state = 'idle';
        this.retryAt = now + RETRY_MS;
        return;
      case 'sync:complete':
        if (this.startedAt !== undefined && (message.payload as { runId?: string }).runId === this.runId) this.syncDuration.add(now - this.startedAt);
        this.finished();
        return;
      case 'sync:error':
        this.finished();
        return;
      case 'resync': {
        const snapshot = (message.payload as ResyncPayload<SyncStatusReply>).snapshot;
        if (snapshot === null || snapshot.syncStatus !== 'running' || snapshot.runId !== this.runId) {
          // The run ended (or was lost) while the connection was down: its completion time is unknown.
          this.startedAt = undefined;
          this.finished();
        }
        return;
      }
      default:
        return;
    }
  }

  private finished(): void {
    this.state = 'idle';
    this.startedAt = undefined;
    this.start(false);
  }

  private start(again: boolean): void {
    if (this.state === 'stopped' || !this.connection.isReady) return;
    this.requests += 1;
    const sent = this.connection.sendFrame({ id: `y${this.chatIndex}.${this.requests}`, channel: this.channel, type: 'sync:start', payload: { chatId: this.chatId } });
    if (!sent) return;
    const now = this.now();
    if (!again) this.startedAt = now;
    this.retried = again;
    this.lastActivityAt = now;
    this.state = 'starting';
  }
}
