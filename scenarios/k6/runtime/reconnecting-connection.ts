/**
 * What every k6 load connection shares, whatever protocol it speaks: a k6/websockets socket, the
 * reference client's backoff between attempts, requests in flight timed from their intended send
 * time, the reconnect-storm cuts (a kick or a client-side close, and the deadline to come back),
 * and the end of the run. Subclasses speak a protocol: wsmig's envelope (envelope-connection.ts) or
 * a protocol profile (profile-connection.ts) — the k6 counterparts of the native engine's classes.
 */
import { check } from 'k6';
import { WebSocket } from 'k6/websockets';
import { PendingRequests } from '../lib/pending-requests.js';
import { reconnectDelayMs, type BackoffPolicy, type ReconnectAction } from '../lib/reconnect.js';
import { wsConnectSuccess, wsReconnectDuration, wsReconnectSuccess, wsRpcDuration, wsUnexpectedDisconnects } from './metrics.js';
import type { TimerSet } from './timers.js';

/** The close code of an operator kick (POST /admin/kick). */
const KICKED = 4300;

export interface ConnectionSettings {
  url: string;
  headers: Record<string, string>;
  /** Tags of every sample: `{ scenario: '<name>' }`. */
  tags: Record<string, string>;
  /** Global index of this connection, for request ids. */
  index: number;
  requestTimeoutMs: number;
  reconnect: BackoffPolicy;
  /** Reconnect-storm cuts: whether an operator kick is the cut, and how long a cut client may take to come back. */
  cuts: { byKick: boolean; reconnectDeadlineMs: number } | null;
  timers: TimerSet;
}

/** What a workload lane asks of a connection. */
export interface WorkloadConnection {
  /** Its global index: when it opens, and its ids. */
  readonly index: number;
  readonly isStopped: boolean;
  connect(): void;
  /** Sends one request due at `intendedMs`. False when the connection cannot send (the arrival goes to another, or is dropped). */
  sendRequest(intendedMs: number): boolean;
  cutNow(nowMs: number): void;
  sweep(nowMs: number): void;
  finish(): void;
}

interface Cut {
  atMs: number;
  successRecorded: boolean;
}

interface CloseEventLike {
  code?: number;
}

export abstract class ReconnectingConnection implements WorkloadConnection {
  protected socket: WebSocket | undefined;
  protected finishing = false;
  protected readonly pending = new PendingRequests();
  private opened = false;
  private stopped = false;
  private attempt = 0;
  private cut: Cut | undefined;
  private closingForCut = false;

  constructor(protected readonly settings: ConnectionSettings) {}

  get index(): number {
    return this.settings.index;
  }

  /** True once closed for good (the run is over for this connection). */
  get isStopped(): boolean {
    return this.stopped;
  }

  /** Whether the socket is open. */
  get isOpen(): boolean {
    return this.opened && this.socket !== undefined && this.socket.readyState === WebSocket.OPEN;
  }

  abstract sendRequest(intendedMs: number): boolean;

  /** The socket opened (and was recorded): start the protocol, then call {@link becomeReady}. */
  protected abstract onOpened(socket: WebSocket): void;

  /** A text message arrived. */
  protected abstract onText(text: string, receivedMs: number): void;

  /** What to do after a close with this code (undefined: the socket closed without one). */
  protected abstract reconnectActionFor(code: number | undefined): ReconnectAction;

  /** A binary message arrived (wsmig's protocol is text; a profile's service may send JSON in binary frames). */
  protected onBinary(_data: ArrayBuffer): void {}

  /** The connection was lost: forget what the session held. */
  protected onDisconnected(): void {}

  /** Extra wait the server asked for before the next attempt (wsmig's `drain`), taken once. */
  protected takeRetryAfterMs(): number | undefined {
    return undefined;
  }

  /** Sent just before the end-of-run close. */
  protected farewell(): void {}

  /** The close the end of the run sends. */
  protected closeFrame(): { code: number; reason: string } {
    return { code: 1000, reason: 'wsmig run finished' };
  }

  /** The periodic sweep's protocol part. */
  protected sweepProtocol(_nowMs: number): void {}

  connect(): void {
    if (this.stopped) return;
    this.opened = false;
    const socket = new WebSocket(this.settings.url, null, { headers: this.settings.headers });
    this.socket = socket;
    socket.addEventListener('open', () => this.onOpen(socket));
    socket.addEventListener('message', (event) => {
      if (socket !== this.socket) return;
      const data = (event as { data?: unknown }).data;
      if (typeof data === 'string') this.onText(data, typeof event.timestamp === 'number' ? event.timestamp : Date.now());
      else this.onBinary(data as ArrayBuffer);
    });
    // k6 follows every error (a failed connect too) with a close event, which decides what happens next.
    socket.addEventListener('close', (event) => this.onClose(socket, (event as unknown as CloseEventLike).code));
  }

  /** Cuts this connection now, from the client side (reconnect-storm `client-close`). */
  cutNow(nowMs: number): void {
    if (!this.isOpen || this.socket === undefined) return;
    this.beginCut(nowMs);
    this.closingForCut = true;
    this.socket.close(1000, 'wsmig reconnect-storm cut');
  }

  /** Records requests unanswered past the timeout (at the timeout, as failed), then the protocol's own sweep. */
  sweep(nowMs: number): void {
    // An unanswered request is recorded at the timeout, so silence cannot make latency look better.
    this.pending.expire(nowMs, this.settings.requestTimeoutMs).forEach(() => {
      wsRpcDuration.add(this.settings.requestTimeoutMs, this.settings.tags);
      this.recordAnswered(false);
    });
    this.sweepProtocol(nowMs);
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

  protected stopIfFinished(): void {
    if (this.finishing && !this.stopped && this.pending.size === 0) this.stop();
  }

  protected recordAnswered(ok: boolean): void {
    check(ok, { 'request answered': (answered) => answered }, this.settings.tags);
  }

  /** A reply to the request `id`: its round trip from the intended send time, and its check. False for an unknown id. */
  protected answerRequest(id: string, replyMs: number, ok: boolean): boolean {
    const settled = this.pending.settle(id, replyMs);
    if (settled === undefined) return false;
    wsRpcDuration.add(settled.durationMs, this.settings.tags);
    this.recordAnswered(ok);
    this.stopIfFinished();
    return true;
  }

  /** Connected and (re)subscribed: the backoff starts over, and a cut connection's reconnect is timed. */
  protected becomeReady(nowMs: number): void {
    this.attempt = 0;
    const cut = this.cut;
    if (cut !== undefined) {
      const durationMs = nowMs - cut.atMs;
      wsReconnectDuration.add(durationMs, this.settings.tags);
      if (!cut.successRecorded) wsReconnectSuccess.add(durationMs <= (this.settings.cuts?.reconnectDeadlineMs ?? Infinity), this.settings.tags);
      this.cut = undefined;
    }
  }

  /**
   * Closes for good. A socket still connecting is closed by `onOpen` (k6 cannot close a socket
   * that is not open yet).
   */
  private stop(): void {
    this.stopped = true;
    if (this.socket !== undefined && this.socket.readyState === WebSocket.OPEN) {
      this.farewell();
      const { code, reason } = this.closeFrame();
      this.socket.close(code, reason);
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

  private onOpen(socket: WebSocket): void {
    if (socket !== this.socket) return;
    if (this.stopped) {
      socket.close(1000, 'wsmig run finished');
      return;
    }
    this.opened = true;
    wsConnectSuccess.add(true, this.settings.tags);
    this.onOpened(socket);
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
    this.onDisconnected();
    const nowMs = Date.now();
    if (this.closingForCut) {
      this.closingForCut = false;
    } else if (wasOpen && code === KICKED && this.settings.cuts?.byKick === true) {
      this.beginCut(nowMs);
    } else if (wasOpen) {
      wsUnexpectedDisconnects.add(1, this.settings.tags);
    }
    const action = this.reconnectActionFor(code);
    if (action === 'stop') {
      console.warn(`wsmig: connection ${this.settings.index} closed with ${code ?? 'no code'}, which the reconnect policy never retries`);
      return;
    }
    const retryAfterMs = this.takeRetryAfterMs();
    const backoffMs = reconnectDelayMs(this.attempt, this.settings.reconnect, Math.random, action === 'reconnect-slow');
    this.attempt += 1;
    this.settings.timers.after(retryAfterMs === undefined ? backoffMs : retryAfterMs + backoffMs, () => this.connect());
  }
}
