/**
 * One load connection: a raw `ws` socket speaking the wire protocol directly (no WSClient, for
 * speed), with the reference client's reconnect behaviour (capped exponential backoff with full
 * jitter, the close-code policy, `drain`'s retryAfterMs), resume on resubscribe, and everything it
 * sees recorded: connect time and success, sessions, messages, request round trips from their
 * intended send time, event latency, losses and duplicates by seq, reconnect time after a cut.
 */
import { WebSocket, type RawData } from 'ws';
import {
  decodeFrame,
  encodeFrame,
  reconnectPolicyFor,
  type DrainPayload,
  type ResyncPayload,
  type SubscribeReply,
  type SyncStatusReply,
  type WSMessage,
} from '../../../reference/protocol/index.js';
import type { BackoffPolicy } from '../../k6/lib/reconnect.js';
import { reconnectDelayFor } from '../../../reference/client/backoff.js';
import { SeqTracker, type SeenSyncState } from '../../k6/lib/seq-tracker.js';
import type { WorkerMetrics } from './worker-metrics.js';

/** What a connection needs from the worker that owns it. */
export interface ConnectionHost {
  readonly url: string;
  /** Headers of every upgrade (the service's `Authorization: Bearer`, when it has a token). */
  readonly upgradeHeaders: Readonly<Record<string, string>>;
  readonly metrics: WorkerMetrics;
  readonly reconnect: BackoffPolicy;
  /** A lost connection not back within this counts as a failed reconnect (the cut deadline, or 10 s without cuts). */
  readonly reconnectDeadlineMs: number;
  random(): number;
  /** Monotonic ms (performance.now). */
  now(): number;
  /** Open and every channel (re)subscribed. */
  onReady(connection: LoadConnection): void;
  /** A frame for the sync drivers: sync events, resyncs, replies and errors to `y…` requests. */
  onSyncFrame(connection: LoadConnection, message: WSMessage): void;
  noteUnknowableResync(): void;
  noteBadFrame(): void;
  noteStopped(code: number): void;
  noteRequestError(code: string): void;
  /** The server refused an upgrade with 401 or 403. */
  noteRefusedUpgrade(): void;
}

type ConnectionState = 'idle' | 'connecting' | 'open' | 'waiting' | 'stopped';

const ECHO_CHANNEL = 'load';
/** Request ids start with their kind, so a reply is routed by one character: `e…` echo, `s…` subscribe (`y…` sync starts go to the host). */
const ECHO_ID = 'e'.charCodeAt(0);
const SUBSCRIBE_ID = 's'.charCodeAt(0);

export class LoadConnection {
  state: ConnectionState = 'idle';
  /** The next close is a cut ordered by the scenario, not an unexpected disconnect. */
  cutPending = false;
  /** Requests in flight: id → intended send time (monotonic ms). Insertion order is send order. */
  readonly pending = new Map<string, number>();
  private socket: WebSocket | undefined;
  private readonly trackers: Map<string, SeqTracker>;
  private readonly subscribeIds: string[];
  private awaitingSubscribe = 0;
  private ready = false;
  private attempt = 0;
  private connectStartedAt = 0;
  private openedAt = 0;
  private drainRetryAfterMs: number | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** When this connection was lost (cut or not); undefined while healthy. */
  private lostAt: number | undefined;
  /** The loss was a cut the scenario ordered: failed attempts during its planned outage are not connect failures. */
  private lostByCut = false;
  private deadlineRecorded = false;

  constructor(
    readonly index: number,
    readonly channels: readonly string[],
    private readonly host: ConnectionHost,
  ) {
    this.trackers = new Map(channels.map((channel) => [channel, new SeqTracker()]));
    this.subscribeIds = channels.map((_, i) => `s${i}`);
  }

  /** Open and every channel subscribed: requests and sync starts may go. */
  get isReady(): boolean {
    return this.ready;
  }

  /** Lost and not yet connected and resubscribed. */
  get recovering(): boolean {
    return this.lostAt !== undefined;
  }

  /** Lost, not back, and its deadline not yet judged: a reconnect the run did not see the end of. */
  get reconnectUnjudged(): boolean {
    return this.lostAt !== undefined && !this.deadlineRecorded;
  }

  connect(): void {
    if (this.state === 'stopped' || this.state === 'connecting' || this.state === 'open') return;
    this.state = 'connecting';
    this.ready = false;
    this.connectStartedAt = this.host.now();
    const socket = new WebSocket(this.host.url, { perMessageDeflate: false, handshakeTimeout: 10_000, headers: { ...this.host.upgradeHeaders } });
    this.socket = socket;
    socket.on('open', () => this.onOpen());
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    socket.on('close', (code) => this.onClose(code));
    // Errors always end in 'close', where they are counted; a refused token is also noted, to be named.
    socket.on('error', (error) => {
      if (/Unexpected server response: 40[13]\b/.test(error.message)) this.host.noteRefusedUpgrade();
    });
  }

  /** Sends one `echo` request intended at `intendedAt` (monotonic ms). False when the socket cannot send. */
  sendEcho(id: string, payload: string, intendedAt: number): boolean {
    if (!this.sendFrame({ id, channel: ECHO_CHANNEL, type: 'echo', payload })) return false;
    this.pending.set(id, intendedAt);
    return true;
  }

  /** Sends a frame if the socket is open. */
  sendFrame(message: WSMessage): boolean {
    const socket = this.socket;
    if (socket === undefined || socket.readyState !== WebSocket.OPEN) return false;
    const text = encodeFrame(message);
    socket.send(text);
    this.host.metrics.msgsSent.add(1);
    this.host.metrics.dataSent.add(text.length);
    return true;
  }

  /** Abrupt client-side close (no close handshake), as a dropped network would. */
  cut(): void {
    this.socket?.terminate();
  }

  /** Closes for good (end of the run): nothing after this is recorded as a disconnect. */
  stop(): void {
    this.state = 'stopped';
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const socket = this.socket;
    if (socket && (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING)) socket.close(1000, 'load run over');
  }

  /** Forces the socket down without waiting for the close handshake (after `stop`). */
  terminate(): void {
    this.socket?.terminate();
  }

  /** Records a failed reconnect once this connection has been lost for longer than the deadline. */
  checkDeadline(now: number): void {
    if (this.lostAt === undefined || this.deadlineRecorded) return;
    if (now - this.lostAt > this.host.reconnectDeadlineMs) {
      this.deadlineRecorded = true;
      this.host.metrics.reconnectSuccess.add(false);
    }
  }

  /**
   * Records requests unanswered for longer than `timeoutMs` at their elapsed time (a lower bound of
   * their latency, never omitted) and as failed checks. With `timeoutMs` 0, expires every request.
   */
  expireRequests(now: number, timeoutMs: number): void {
    for (const [id, intendedAt] of this.pending) {
      const elapsed = now - intendedAt;
      if (elapsed < timeoutMs) break;
      this.pending.delete(id);
      this.host.metrics.rpcDuration.add(elapsed);
      this.host.metrics.checks.add(false);
    }
  }

  private onOpen(): void {
    const now = this.host.now();
    this.state = 'open';
    this.openedAt = now;
    this.host.metrics.connecting.add(now - this.connectStartedAt);
    this.host.metrics.connectSuccess.add(true);
    this.host.metrics.sessions.add(1);
    this.awaitingSubscribe = this.channels.length;
    if (this.awaitingSubscribe === 0) {
      this.becomeReady();
      return;
    }
    this.channels.forEach((channel, i) => this.subscribe(channel, i));
  }

  private subscribe(channel: string, i: number): void {
    const tracker = this.trackers.get(channel) as SeqTracker;
    // No resume point: a first, live-only subscription.
    this.sendFrame({ id: this.subscribeIds[i] as string, channel, type: 'subscribe', payload: tracker.resumePoint() ?? {} });
  }

  private becomeReady(): void {
    this.ready = true;
    this.attempt = 0;
    if (this.lostAt !== undefined) {
      const duration = this.host.now() - this.lostAt;
      this.host.metrics.reconnectDuration.add(duration);
      if (!this.deadlineRecorded) this.host.metrics.reconnectSuccess.add(duration <= this.host.reconnectDeadlineMs);
      this.lostAt = undefined;
    }
    this.host.onReady(this);
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    const text = isBinary ? '' : data.toString();
    this.host.metrics.msgsReceived.add(1);
    this.host.metrics.dataReceived.add((data as Buffer).length);
    const decoded = decodeFrame(text);
    if (!decoded.ok) {
      this.host.noteBadFrame();
      return;
    }
    const message = decoded.message;
    switch (message.type) {
      case 'reply':
        this.onReply(message);
        return;
      case 'error':
        this.onError(message);
        return;
      case 'sync:progress':
      case 'sync:complete':
      case 'sync:error':
        this.onEvent(message);
        return;
      case 'resync':
        this.onResync(message as WSMessage<ResyncPayload<SyncStatusReply>>);
        return;
      case 'drain':
        this.drainRetryAfterMs = (message.payload as DrainPayload | null)?.retryAfterMs;
        return;
      default:
        return;
    }
  }

  private onReply(message: WSMessage): void {
    const first = message.id.charCodeAt(0);
    if (first === ECHO_ID) {
      this.settleEcho(message.id, true);
      return;
    }
    if (first === SUBSCRIBE_ID) {
      const tracker = this.trackers.get(message.channel);
      if (!tracker) return;
      tracker.onSubscribed(message.payload as SubscribeReply);
      this.awaitingSubscribe -= 1;
      if (this.awaitingSubscribe === 0 && !this.ready) this.becomeReady();
      return;
    }
    this.host.onSyncFrame(this, message);
  }

  private onError(message: WSMessage): void {
    const code = message.error?.code ?? 'UNKNOWN';
    this.host.noteRequestError(code);
    const first = message.id.charCodeAt(0);
    if (first === ECHO_ID) {
      this.settleEcho(message.id, false);
      return;
    }
    if (first === SUBSCRIBE_ID) {
      // A refused subscribe (the server is draining, say): try again shortly if still connected.
      const i = this.subscribeIds.indexOf(message.id);
      if (i >= 0) setTimeout(() => this.state === 'open' && this.subscribe(this.channels[i] as string, i), 250).unref();
      return;
    }
    this.host.onSyncFrame(this, message);
  }

  /** An answer (reply or error) to an `echo`: its round trip from the intended send time, and the check. */
  private settleEcho(id: string, ok: boolean): void {
    const intendedAt = this.pending.get(id);
    if (intendedAt === undefined) return;
    this.pending.delete(id);
    this.host.metrics.rpcDuration.add(this.host.now() - intendedAt);
    this.host.metrics.checks.add(ok);
  }

  private onEvent(message: WSMessage): void {
    const tracker = this.trackers.get(message.channel);
    if (!tracker || message.seq === undefined) return;
    const verdict = tracker.onEvent(message.seq, message.epoch);
    // Every checked event is a sample of both counters (adding 0 when nothing is wrong), so a
    // `count==0` verdict shows how many events it rests on.
    this.host.metrics.lost.add(verdict.lost);
    this.host.metrics.duplicated.add(verdict.duplicate ? 1 : 0);
    if (verdict.duplicate) return;
    if (!verdict.replayed && message.ts !== undefined) this.host.metrics.eventLatency.add(Date.now() - message.ts);
    const seen = seenStateOf(message);
    if (seen) tracker.noteSyncState(seen);
    this.host.onSyncFrame(this, message);
  }

  private onResync(message: WSMessage<ResyncPayload<SyncStatusReply>>): void {
    const tracker = this.trackers.get(message.channel);
    if (!tracker) return;
    const verdict = tracker.onResync(message.payload);
    if (verdict.lost > 0) this.host.metrics.lost.add(verdict.lost);
    if (!verdict.knowable) this.host.noteUnknowableResync();
    this.host.onSyncFrame(this, message);
  }

  private onClose(code: number): void {
    const now = this.host.now();
    const wasOpen = this.state === 'open';
    this.socket = undefined;
    this.ready = false;
    // Requests cut by the disconnect never got their reply: a failed check, no duration.
    for (let i = 0; i < this.pending.size; i += 1) this.host.metrics.checks.add(false);
    this.pending.clear();
    if (this.state === 'stopped') return;
    if (wasOpen) {
      this.host.metrics.sessionDuration.add(now - this.openedAt);
      const cut = this.cutPending;
      this.cutPending = false;
      if (!cut) this.host.metrics.unexpectedDisconnects.add(1);
      if (this.lostAt === undefined) {
        this.lostAt = now;
        this.lostByCut = cut;
        this.deadlineRecorded = false;
      }
    } else if (!(this.lostAt !== undefined && this.lostByCut)) {
      this.host.metrics.connectSuccess.add(false);
    }
    const policy = reconnectPolicyFor(code);
    if (policy === 'stop' || policy === 'reauthenticate') {
      this.state = 'stopped';
      this.host.noteStopped(code);
      return;
    }
    let delayMs: number;
    if (this.drainRetryAfterMs !== undefined) {
      // The server said when to come back; a little jitter on top, as the reference client does.
      delayMs = this.drainRetryAfterMs + this.host.random() * Math.min(this.host.reconnect.baseDelayMs, 250);
      this.drainRetryAfterMs = undefined;
    } else {
      delayMs = reconnectDelayFor(this.attempt, { ...this.host.reconnect, random: () => this.host.random(), slow: policy === 'reconnect-slow' });
    }
    this.attempt += 1;
    this.state = 'waiting';
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delayMs);
  }
}

function seenStateOf(message: WSMessage): SeenSyncState | undefined {
  const payload = message.payload as { runId?: unknown; processed?: unknown } | null;
  if (!payload || typeof payload.runId !== 'string' || typeof payload.processed !== 'number') return undefined;
  const status = message.type === 'sync:complete' ? 'completed' : message.type === 'sync:error' ? 'failed' : 'running';
  return { runId: payload.runId, processed: payload.processed, status };
}
