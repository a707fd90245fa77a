/**
 * One load connection on k6/websockets speaking the wsmig protocol: it subscribes to its chats'
 * sync channels (resuming with `fromSeq`/`epoch` after a reconnect), keeps the chats it drives
 * syncing, answers the open-model schedule's `echo` requests, reconnects like the reference client
 * (close-code policy, capped exponential backoff with full jitter, `drain`'s `retryAfterMs`), and
 * records what k6 cannot: round trips, event latency, sync duration, losses and duplicates (the
 * socket, cuts and reconnect timing are the base class's).
 */
import type { WebSocket } from 'k6/websockets';
import { MessageType, SYSTEM_CHANNEL, decodeEnvelope, encodeRequest, encodeSubscribe, syncChannelOf, type Envelope } from '../lib/envelope.js';
import { reconnectActionFor, type ReconnectAction } from '../lib/reconnect.js';
import { SeqTracker, type ResyncNotice, type SubscribedReply } from '../lib/seq-tracker.js';
import { wsEventLatency, wsMsgsDuplicated, wsMsgsLost, wsSyncDuration } from './metrics.js';
import { ReconnectingConnection, type ConnectionSettings } from './reconnecting-connection.js';

/** A sync still not complete after this long is started again (its events were lost with the server's state). */
const STALLED_SYNC_MS = 120_000;

export interface EnvelopeConnectionSettings extends ConnectionSettings {
  /** Channels to subscribe to, and the chat ids of those this connection keeps syncing. */
  subscribeChats: string[];
  driveChats: string[];
  echoPayload: string;
}

interface DrivenSync {
  /** When `sync:start` was sent, ms. */
  startedAtMs: number | undefined;
  startRequestId: string | undefined;
  runId: string | undefined;
}

interface SyncEventPayload {
  runId?: unknown;
  processed?: unknown;
}

export class EnvelopeConnection extends ReconnectingConnection {
  private requestCounter = 0;
  private awaitingSubscriptions = 0;
  private drainRetryAfterMs: number | undefined;
  private readonly trackers = new Map<string, SeqTracker>();
  private readonly subscribeRequests = new Map<string, string>();
  private readonly driven = new Map<string, DrivenSync>();

  constructor(private readonly envelope: EnvelopeConnectionSettings) {
    super(envelope);
    for (const chat of envelope.subscribeChats) this.trackers.set(syncChannelOf(chat), new SeqTracker());
    for (const chat of envelope.driveChats) this.driven.set(syncChannelOf(chat), { startedAtMs: undefined, startRequestId: undefined, runId: undefined });
  }

  override connect(): void {
    this.awaitingSubscriptions = 0;
    this.subscribeRequests.clear();
    super.connect();
  }

  /** Sends one `echo` request due at `intendedMs`. False when the connection cannot send (the arrival is dropped). */
  sendRequest(intendedMs: number): boolean {
    if (!this.isOpen || this.socket === undefined) return false;
    const id = this.nextId('r');
    this.pending.add({ id, intendedMs });
    this.socket.send(encodeRequest(id, 'echo', MessageType.echo, this.envelope.echoPayload));
    return true;
  }

  /** Restarts syncs stalled past their deadline. */
  protected override sweepProtocol(nowMs: number): void {
    this.driven.forEach((sync, channel) => {
      if (sync.startedAtMs !== undefined && nowMs - sync.startedAtMs > STALLED_SYNC_MS) this.startSync(channel);
    });
  }

  private nextId(prefix: string): string {
    this.requestCounter += 1;
    return `${prefix}${this.settings.index}-${this.requestCounter}`;
  }

  protected onOpened(socket: WebSocket): void {
    this.trackers.forEach((tracker, channel) => {
      const id = this.nextId('s');
      this.subscribeRequests.set(id, channel);
      this.awaitingSubscriptions += 1;
      socket.send(encodeSubscribe(id, channel, tracker.resumePoint()));
    });
    if (this.awaitingSubscriptions === 0) this.becomeReady(Date.now());
  }

  protected reconnectActionFor(code: number | undefined): ReconnectAction {
    return reconnectActionFor(code);
  }

  protected override takeRetryAfterMs(): number | undefined {
    const retryAfterMs = this.drainRetryAfterMs;
    this.drainRetryAfterMs = undefined;
    return retryAfterMs;
  }

  /** Syncs this connection drives restart once it is back (their runs go on server-side meanwhile). */
  protected override onDisconnected(): void {
    this.driven.forEach((sync) => {
      sync.startedAtMs = sync.runId === undefined ? undefined : sync.startedAtMs;
    });
  }

  protected onText(text: string, receivedMs: number): void {
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
      if (this.awaitingSubscriptions === 0) this.becomeReady(receivedMs);
      return;
    }
    if (this.answerRequest(frame.id, receivedMs, true)) return;
    this.driven.forEach((sync) => {
      if (sync.startRequestId === frame.id) {
        const runId = (frame.payload as { runId?: unknown } | null)?.runId;
        if (typeof runId === 'string') sync.runId = runId;
      }
    });
  }

  private onErrorReply(frame: Envelope): void {
    // A refused request is a failed check; its refusal is no round trip of the request.
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
      if (this.awaitingSubscriptions === 0) this.becomeReady(Date.now());
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
}
