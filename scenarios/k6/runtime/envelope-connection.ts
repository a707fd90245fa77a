/**
 * One load connection on k6/websockets, speaking the wsmig protocol: it subscribes to its chats'
 * sync channels (resuming with `fromSeq`/`epoch` after a reconnect), keeps the chats it drives
 * syncing, answers the open-model schedule's `echo` requests, reconnects like the reference client
 * (close-code policy, capped exponential backoff with full jitter, `drain`'s `retryAfterMs`), and
 * records what k6 cannot: round trips, event latency, sync duration, losses, duplicates,
 * reconnects and unexpected disconnects.
 */
import { check } from 'k6';
import { WebSocket } from 'k6/websockets';
import { MessageType, SYSTEM_CHANNEL, decodeEnvelope, encodeRequest, encodeSubscribe, syncChannelOf, type Envelope } from '../lib/envelope.js';
import { PendingRequests } from '../lib/pending-requests.js';
import { reconnectActionFor, reconnectDelayMs, type BackoffPolicy } from '../lib/reconnect.js';
import { SeqTracker, type ResyncNotice, type SubscribedReply } from '../lib/seq-tracker.js';
import {
  wsConnectSuccess,
  wsEventLatency,
  wsMsgsDuplicated,
  wsMsgsLost,
  wsReconnectDuration,
  wsReconnectSuccess,
  wsRpcDuration,
  wsSyncDuration,
  wsUnexpectedDisconnects,
} from './metrics.js';
import type { TimerSet } from './timers.js';

/** The close code of an operator kick (POST /admin/kick). */
const KICKED = 4300;
/** A sync still not complete after this long is started again (its events were lost with the server's state). */
const STALLED_SYNC_MS = 120_000;

export interface ConnectionSettings {
  url: string;
  headers: Record<string, string>;
  /** Tags of every sample: `{ scenario: '<name>' }`. */
  tags: Record<string, string>;
  /** Global index of this connection, for request ids. */
  index: number;
  /** Channels to subscribe to, and the chat ids of those this connection keeps syncing. */
  subscribeChats: string[];
  driveChats: string[];
  echoPayload: string;
  requestTimeoutMs: number;
  reconnect: BackoffPolicy;
  /** Reconnect-storm cuts: whether an operator kick is the cut, and how long a cut client may take to come back. */
  cuts: { byKick: boolean; reconnectDeadlineMs: number } | null;
  timers: TimerSet;
}

interface DrivenSync {
  /** When `sync:start` was sent, ms. */
  startedAtMs: number | undefined;
  startRequestId: string | undefined;
  runId: string | undefined;
}

interface Cut {
  atMs: number;
  successRecorded: boolean;
}

interface CloseEventLike {
  code?: number;
}

interface SyncEventPayload {
  runId?: unknown;
  processed?: unknown;
}

export class LoadConnection {
  private socket: WebSocket | undefined;
  private opened = false;
  private stopped = false;
  private finishing = false;
  private attempt = 0;
  private requestCounter = 0;
  private awaitingSubscriptions = 0;
  private drainRetryAfterMs: number | undefined;
  private cut: Cut | undefined;
  private closingForCut = false;
  private readonly pending = new PendingRequests();
  private readonly trackers = new Map<string, SeqTracker>();
  private readonly subscribeRequests = new Map<string, string>();
  private readonly driven = new Map<string, DrivenSync>();

  constructor(private readonly settings: ConnectionSettings) {
    for (const chat of settings.subscribeChats) this.trackers.set(syncChannelOf(chat), new SeqTracker());
    for (const chat of settings.driveChats) this.driven.set(syncChannelOf(chat), { startedAtMs: undefined, startRequestId: undefined, runId: undefined });
  }

  /** True once closed for good (the run is over for this connection). */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Whether requests can be sent now. */
  get isOpen(): boolean {
    return this.opened && this.socket !== undefined && this.socket.readyState === WebSocket.OPEN;
  }

  connect(): void {
    if (this.stopped) return;
    this.opened = false;
    this.awaitingSubscriptions = 0;
    this.subscribeRequests.clear();
    const socket = new WebSocket(this.settings.url, null, { headers: this.settings.headers });
    this.socket = socket;
    socket.addEventListener('open', () => this.onOpen(socket));
    socket.addEventListener('message', (event) => {
      const data = (event as { data?: unknown }).data;
      if (typeof data === 'string') this.onFrame(data, typeof event.timestamp === 'number' ? event.timestamp : Date.now());
    });
    // k6 follows every error (a failed connect too) with a close event, which decides what happens next.
    socket.addEventListener('close', (event) => this.onClose(socket, (event as unknown as CloseEventLike).code));
  }

  /** Sends one `echo` request due at `intendedMs`. False when the connection cannot send (the arrival is dropped). */
  sendEcho(intendedMs: number): boolean {
    if (!this.isOpen || this.socket === undefined) return false;
    const id = this.nextId('r');
    this.pending.add({ id, intendedMs });
    this.socket.send(encodeRequest(id, 'echo', MessageType.echo, this.settings.echoPayload));
    return true;
  }

  /** Cuts this connection now, from the client side (reconnect-storm `client-close`). */
  cutNow(nowMs: number): void {
    if (!this.isOpen || this.socket === undefined) return;
    this.beginCut(nowMs);
    this.closingForCut = true;
    this.socket.close(1000, 'wsmig reconnect-storm cut');
  }

  /** Records requests unanswered past the timeout (at the timeout, as failed) and restarts stalled syncs. */
  sweep(nowMs: number): void {
    // An unanswered request is recorded at the timeout, so silence cannot make latency look better.
    this.pending.expire(nowMs, this.settings.requestTimeoutMs).forEach(() => {
      wsRpcDuration.add(this.settings.requestTimeoutMs, this.settings.tags);
      this.recordAnswered(false);
    });
    this.driven.forEach((sync, channel) => {
      if (sync.startedAtMs !== undefined && nowMs - sync.startedAtMs > STALLED_SYNC_MS) this.startSync(channel);
    });
    this.stopIfFinished();
  }

  /**
   * The scenario's time is up: start nothing new, let the requests in flight be answered (or time
   * out, see `sweep`), then close. Every scheduled request thus ends answered, failed or dropped.
   */
  finish(): void {
    this.finishing = true;
    if (this.pending.size === 0) this.stop();
  }

  /**
   * Closes for good. A socket still connecting is closed by `onOpen` (k6 cannot close a socket
   * that is not open yet).
   */
  private stop(): void {
    this.stopped = true;
    if (this.socket !== undefined && this.socket.readyState === WebSocket.OPEN) this.socket.close(1000, 'wsmig run finished');
  }

  private stopIfFinished(): void {
    if (this.finishing && !this.stopped && this.pending.size === 0) this.stop();
  }

  private nextId(prefix: string): string {
    this.requestCounter += 1;
    return `${prefix}${this.settings.index}-${this.requestCounter}`;
  }

  private recordAnswered(ok: boolean): void {
    check(ok, { 'request answered': (answered) => answered }, this.settings.tags);
  }

  private onOpen(socket: WebSocket): void {
    if (socket !== this.socket) return;
    if (this.stopped) {
      socket.close(1000, 'wsmig run finished');
      return;
    }
    this.opened = true;
    wsConnectSuccess.add(true, this.settings.tags);
    this.trackers.forEach((tracker, channel) => {
      const id = this.nextId('s');
      this.subscribeRequests.set(id, channel);
      this.awaitingSubscriptions += 1;
      socket.send(encodeSubscribe(id, channel, tracker.resumePoint()));
    });
    if (this.awaitingSubscriptions === 0) this.onResubscribed(Date.now());
  }

  private onResubscribed(nowMs: number): void {
    this.attempt = 0;
    const cut = this.cut;
    if (cut !== undefined) {
      const durationMs = nowMs - cut.atMs;
      wsReconnectDuration.add(durationMs, this.settings.tags);
      if (!cut.successRecorded) wsReconnectSuccess.add(durationMs <= (this.settings.cuts?.reconnectDeadlineMs ?? Infinity), this.settings.tags);
      this.cut = undefined;
    }
  }

  private beginCut(atMs: number): void {
    const cuts = this.settings.cuts;
    if (this.cut !== undefined || cuts === null) return;
    const cut: Cut = { atMs, successRecorded: false };
    this.cut = cut;
    this.settings.timers.after(cuts.reconnectDeadlineMs, () => {
      if (this.cut === cut && !cut.successRecorded && !this.stopped) {
        cut.successRecorded = true;
        wsReconnectSuccess.add(false, this.settings.tags);
      }
    });
  }

  private onFrame(text: string, receivedMs: number): void {
    const frame = decodeEnvelope(text);
    if (frame === undefined) return;
    switch (frame.type) {
      case MessageType.reply:
        this.onReply(frame, receivedMs);
        return;
      case MessageType.error:
        this.onErrorReply(frame);
        return;
      case MessageType.resync:
        this.onResync(frame);
        return;
      case MessageType.drain:
        if (frame.channel === SYSTEM_CHANNEL) this.onDrain(frame.payload);
        return;
      case MessageType.syncProgress:
      case MessageType.syncComplete:
      case MessageType.syncError:
        this.onSyncEvent(frame, receivedMs);
        return;
      default:
        return;
    }
  }

  private onReply(frame: Envelope, receivedMs: number): void {
    const subscribed = this.subscribeRequests.get(frame.id);
    if (subscribed !== undefined) {
      this.subscribeRequests.delete(frame.id);
      this.trackers.get(subscribed)?.onSubscribed(frame.payload as SubscribedReply);
      const sync = this.driven.get(subscribed);
      if (sync !== undefined && sync.startedAtMs === undefined) this.startSync(subscribed);
      this.awaitingSubscriptions -= 1;
      if (this.awaitingSubscriptions === 0) this.onResubscribed(receivedMs);
      return;
    }
    const settled = this.pending.settle(frame.id, receivedMs);
    if (settled !== undefined) {
      wsRpcDuration.add(settled.durationMs, this.settings.tags);
      this.recordAnswered(true);
      this.stopIfFinished();
      return;
    }
    this.driven.forEach((sync) => {
      if (sync.startRequestId === frame.id) {
        const runId = (frame.payload as { runId?: unknown } | null)?.runId;
        if (typeof runId === 'string') sync.runId = runId;
      }
    });
  }

  private onErrorReply(frame: Envelope): void {
    if (this.pending.settle(frame.id, Date.now()) !== undefined) {
      this.recordAnswered(false);
      this.stopIfFinished();
      return;
    }
    const subscribed = this.subscribeRequests.get(frame.id);
    if (subscribed !== undefined) {
      console.warn(`wsmig: subscribe to ${subscribed} refused: ${frame.error?.code ?? 'error'} ${frame.error?.message ?? ''}`);
      this.subscribeRequests.delete(frame.id);
      this.awaitingSubscriptions -= 1;
      if (this.awaitingSubscriptions === 0) this.onResubscribed(Date.now());
      return;
    }
    this.driven.forEach((sync, channel) => {
      if (sync.startRequestId !== frame.id) return;
      // Refused (draining, rate limited): try again shortly rather than leave the chat idle.
      sync.startedAtMs = undefined;
      sync.startRequestId = undefined;
      this.settings.timers.after(1_000, () => {
        if (sync.startedAtMs === undefined && this.isOpen) this.startSync(channel);
      });
    });
  }

  private onResync(frame: Envelope): void {
    const tracker = this.trackers.get(frame.channel);
    if (tracker === undefined) return;
    const notice = frame.payload as ResyncNotice;
    const outcome = tracker.onResync(notice);
    if (outcome.lost > 0) wsMsgsLost.add(outcome.lost, this.settings.tags);
    if (!outcome.knowable) console.warn(`wsmig: ${frame.channel} resynced (${notice.reason}); what it skipped cannot be known, counted as 1 lost`);
    const sync = this.driven.get(frame.channel);
    // The run this connection was waiting for ended, or the server lost it: start the next one.
    if (sync !== undefined && notice.snapshot?.syncStatus !== 'running') this.startSync(frame.channel);
  }

  private onDrain(payload: unknown): void {
    const retryAfterMs = (payload as { retryAfterMs?: unknown } | null)?.retryAfterMs;
    if (typeof retryAfterMs === 'number' && retryAfterMs >= 0) this.drainRetryAfterMs = retryAfterMs;
  }

  private onSyncEvent(frame: Envelope, receivedMs: number): void {
    const tracker = this.trackers.get(frame.channel);
    if (tracker === undefined || frame.seq === undefined) return;
    const outcome = tracker.onEvent(frame.seq, frame.epoch);
    if (outcome.lost > 0) wsMsgsLost.add(outcome.lost, this.settings.tags);
    if (outcome.duplicate) {
      wsMsgsDuplicated.add(1, this.settings.tags);
      return;
    }
    // A replayed event waited out the disconnect: its age is not delivery latency.
    if (!outcome.replayed && typeof frame.ts === 'number') wsEventLatency.add(Math.max(0, receivedMs - frame.ts), this.settings.tags);
    const payload = (frame.payload ?? {}) as SyncEventPayload;
    const runId = typeof payload.runId === 'string' ? payload.runId : undefined;
    const processed = typeof payload.processed === 'number' ? payload.processed : 0;
    if (runId !== undefined) {
      const status = frame.type === MessageType.syncComplete ? 'completed' : frame.type === MessageType.syncError ? 'failed' : 'running';
      tracker.noteSyncState({ runId, processed, status });
    }
    if (frame.type === MessageType.syncProgress) return;
    const sync = this.driven.get(frame.channel);
    if (sync === undefined || sync.startedAtMs === undefined) return;
    if (sync.runId !== undefined && runId !== undefined && sync.runId !== runId) return;
    if (frame.type === MessageType.syncComplete) wsSyncDuration.add(Math.max(0, receivedMs - sync.startedAtMs), this.settings.tags);
    this.startSync(frame.channel);
  }

  private startSync(channel: string): void {
    const sync = this.driven.get(channel);
    if (sync === undefined) return;
    if (!this.isOpen || this.socket === undefined || this.finishing) {
      sync.startedAtMs = undefined;
      return;
    }
    const id = this.nextId('y');
    sync.startedAtMs = Date.now();
    sync.startRequestId = id;
    sync.runId = undefined;
    this.socket.send(encodeRequest(id, 'sync', MessageType.syncStart, { chatId: channel.slice('sync:'.length) }));
  }

  private onClose(socket: WebSocket, code: number | undefined): void {
    if (socket !== this.socket) return;
    const wasOpen = this.opened;
    this.opened = false;
    if (this.stopped) return;
    if (!wasOpen) wsConnectSuccess.add(false, this.settings.tags);
    this.pending.drop().forEach(() => this.recordAnswered(false));
    if (this.finishing) {
      this.stopped = true;
      if (wasOpen) wsUnexpectedDisconnects.add(1, this.settings.tags);
      return;
    }
    // Syncs this connection drives restart once it is back (their runs go on server-side meanwhile).
    this.driven.forEach((sync) => {
      sync.startedAtMs = sync.runId === undefined ? undefined : sync.startedAtMs;
    });
    const nowMs = Date.now();
    if (this.closingForCut) {
      this.closingForCut = false;
    } else if (wasOpen && code === KICKED && this.settings.cuts?.byKick === true) {
      this.beginCut(nowMs);
    } else if (wasOpen) {
      wsUnexpectedDisconnects.add(1, this.settings.tags);
    }
    const action = reconnectActionFor(code);
    if (action === 'stop') {
      console.warn(`wsmig: connection ${this.settings.index} closed with ${code ?? 'no code'}, which the reconnect policy never retries`);
      return;
    }
    const drainDelayMs = this.drainRetryAfterMs;
    this.drainRetryAfterMs = undefined;
    const backoffMs = reconnectDelayMs(this.attempt, this.settings.reconnect, Math.random, action === 'reconnect-slow');
    this.attempt += 1;
    this.settings.timers.after(drainDelayMs === undefined ? backoffMs : drainDelayMs + backoffMs, () => this.connect());
  }
}
