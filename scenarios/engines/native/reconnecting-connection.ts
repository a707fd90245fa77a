/**
 * What every load connection shares, whatever protocol it speaks: a raw `ws` socket, the reference
 * client's reconnect behaviour (capped exponential backoff with full jitter), and the recording of
 * connect time and success, sessions, messages, request round trips from their intended send time,
 * unexpected disconnects and reconnect time after a cut. Subclasses speak a protocol: wsmig's
 * envelope (load-connection.ts) or a protocol profile (profile-connection.ts).
 */
import type { RawData } from 'ws';
import type { BackoffPolicy } from '../../k6/lib/reconnect.js';
import { reconnectDelayFor } from '../../../reference/client/backoff.js';
import { CONNECTING, OPEN, openLoadSocket, type LoadSocket } from './raw-ws.js';
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
  onReady(connection: ReconnectingConnection): void;
  noteBadFrame(): void;
  noteStopped(code: number): void;
  noteRequestError(code: string): void;
  /** The server refused an upgrade with 401 or 403. */
  noteRefusedUpgrade(): void;
}

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'waiting' | 'stopped';

/** After a close: stop for good, or reconnect (slowly, or after the time the server asked for). */
export type ReconnectPlan = { stop: true } | { stop: false; slow: boolean; retryAfterMs: number | undefined };

export abstract class ReconnectingConnection {
  state: ConnectionState = 'idle';
  /** The next close is a cut ordered by the scenario, not an unexpected disconnect. */
  cutPending = false;
  /** Requests in flight: reply key → intended send time (monotonic ms). Insertion order is send order. */
  readonly pending = new Map<string, number>();
  protected socket: LoadSocket | undefined;
  private ready = false;
  private attempt = 0;
  private connectStartedAt = 0;
  private openedAt = 0;
  private reconnectTimer: NodeJS.Timeout | undefined;
  /** When this connection was lost (cut or not); undefined while healthy. */
  private lostAt: number | undefined;
  /** The loss was a cut the scenario ordered: failed attempts during its planned outage are not connect failures. */
  private lostByCut = false;
  private deadlineRecorded = false;
  /** When the message being handled arrived, on the recorder's clock: every sample it causes shares this one clock read. */
  private receivedAtMs = 0;

  constructor(
    readonly index: number,
    protected readonly host: ConnectionHost,
    private readonly subprotocols: readonly string[] = [],
    private readonly extraHeaders: Readonly<Record<string, string>> = {},
  ) {}

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

  /** Sends the request of one arrival (the worker's `sequence`-th), intended at `intendedAt`. False when it cannot go. */
  abstract sendRequest(sequence: number, intendedAt: number): boolean;

  /** The socket opened: start the protocol (subscribe, handshake…), then call {@link becomeReady}. */
  protected abstract opened(): void;

  /** A message arrived (already counted). */
  protected abstract received(data: RawData, isBinary: boolean): void;

  /** What to do after a close with this code. */
  protected abstract reconnectPlan(code: number): ReconnectPlan;

  /** Sent just before the end-of-run close (unsubscribes, a goodbye). */
  protected farewell(): void {}

  /** The close the end of the run sends. */
  protected closeFrame(): { code: number; reason: string } {
    return { code: 1000, reason: 'load run over' };
  }

  connect(): void {
    if (this.state === 'stopped' || this.state === 'connecting' || this.state === 'open') return;
    this.state = 'connecting';
    this.ready = false;
    this.connectStartedAt = this.host.now();
    // `ws`, or the raw RFC 6455 client on ws:// with WSMIG_NATIVE_WS_CLIENT=raw (raw-ws.ts): the same events either way.
    this.socket = openLoadSocket(
      this.host.url,
      { protocols: this.subprotocols, headers: { ...this.extraHeaders, ...this.host.upgradeHeaders }, handshakeTimeoutMs: 10_000 },
      {
        onOpen: () => this.onOpen(),
        onMessage: (data, isBinary) => this.onMessage(data, isBinary),
        onClose: (code) => this.onClose(code),
        // Errors always end in a close, where they are counted; a refused token is also noted, to be named.
        onError: (error) => {
          if (/Unexpected server response: 40[13]\b/.test(error.message)) this.host.noteRefusedUpgrade();
        },
      },
    );
  }

  /** Sends a text message if the socket is open, counting it. */
  sendText(text: string): boolean {
    const socket = this.socket;
    if (socket === undefined || socket.readyState !== OPEN) return false;
    socket.send(text);
    const metrics = this.host.metrics;
    const atMs = metrics.now();
    metrics.msgsSent.add(1, atMs);
    metrics.dataSent.add(text.length, atMs);
    return true;
  }

  /** Abrupt client-side close (no close handshake), as a dropped network would. */
  cut(): void {
    this.socket?.terminate();
  }

  /** Closes for good (end of the run): nothing after this is recorded as a disconnect. */
  stop(): void {
    const wasOpen = this.state === 'open';
    this.state = 'stopped';
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const socket = this.socket;
    if (wasOpen) this.farewell();
    if (socket && (socket.readyState === OPEN || socket.readyState === CONNECTING)) {
      const { code, reason } = this.closeFrame();
      socket.close(code, reason);
    }
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

  /** An answer, in the message being handled, to a request: its round trip from the intended send time, and the check. False when no such request waits. */
  protected settleRequest(key: string, ok: boolean): boolean {
    const intendedAt = this.pending.get(key);
    if (intendedAt === undefined) return false;
    this.pending.delete(key);
    this.host.metrics.rpcDuration.add(this.host.now() - intendedAt, this.receivedAtMs);
    this.host.metrics.checks.add(ok, this.receivedAtMs);
    return true;
  }

  /** Connected and (re)subscribed: records the end of a reconnect and tells the worker. */
  protected becomeReady(): void {
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

  private onOpen(): void {
    const now = this.host.now();
    this.state = 'open';
    this.openedAt = now;
    this.host.metrics.connecting.add(now - this.connectStartedAt);
    this.host.metrics.connectSuccess.add(true);
    this.host.metrics.sessions.add(1);
    this.opened();
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    const metrics = this.host.metrics;
    this.receivedAtMs = metrics.now();
    metrics.msgsReceived.add(1, this.receivedAtMs);
    metrics.dataReceived.add((data as Buffer).length, this.receivedAtMs);
    this.received(data, isBinary);
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
    const plan = this.reconnectPlan(code);
    if (plan.stop) {
      this.state = 'stopped';
      this.host.noteStopped(code);
      return;
    }
    let delayMs: number;
    if (plan.retryAfterMs !== undefined) {
      // The server said when to come back; a little jitter on top, as the reference client does.
      delayMs = plan.retryAfterMs + this.host.random() * Math.min(this.host.reconnect.baseDelayMs, 250);
    } else {
      delayMs = reconnectDelayFor(this.attempt, { ...this.host.reconnect, random: () => this.host.random(), slow: plan.slow });
    }
    this.attempt += 1;
    this.state = 'waiting';
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      this.connect();
    }, delayMs);
  }
}
