/**
 * One load connection speaking wsmig's envelope directly (no WSClient, for speed), with the
 * reference client's close-code policy, `drain`'s retryAfterMs, resume on resubscribe, and event
 * latency, losses and duplicates by seq. Reconnects and the common recording are in
 * reconnecting-connection.ts.
 */
import type { RawData } from 'ws';
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
import { SeqTracker, type SeenSyncState } from '../../k6/lib/seq-tracker.js';
import { echoReplyId, type EchoRequestEncoder } from './echo-frames.js';
import { ReconnectingConnection, type ConnectionHost, type ReconnectPlan } from './reconnecting-connection.js';

/** What an envelope connection needs beyond any connection's host. */
export interface EnvelopeConnectionHost extends ConnectionHost {
  /** Writes the `echo` requests, with the payload of the payloadBytes knob. */
  readonly echoRequests: EchoRequestEncoder;
  /** A frame for the sync drivers: sync events, resyncs, replies and errors to `y…` requests. */
  onSyncFrame(connection: LoadConnection, message: WSMessage): void;
  noteUnknowableResync(): void;
}

/** Request ids start with their kind, so a reply is routed by one character: `e…` echo, `s…` subscribe (`y…` sync starts go to the host). */
const ECHO_ID = 'e'.charCodeAt(0);
const SUBSCRIBE_ID = 's'.charCodeAt(0);

export class LoadConnection extends ReconnectingConnection {
  private readonly trackers: Map<string, SeqTracker>;
  private readonly subscribeIds: string[];
  private awaitingSubscribe = 0;
  private drainRetryAfterMs: number | undefined;

  constructor(
    index: number,
    readonly channels: readonly string[],
    private readonly envelopeHost: EnvelopeConnectionHost,
  ) {
    super(index, envelopeHost);
    this.trackers = new Map(channels.map((channel) => [channel, new SeqTracker()]));
    this.subscribeIds = channels.map((_, i) => `s${i}`);
  }

  /** Sends the `echo` request of one arrival, intended at `intendedAt` (monotonic ms). False when the socket cannot send. */
  sendRequest(sequence: number, intendedAt: number): boolean {
    const id = `e${sequence}`;
    if (!this.sendText(this.envelopeHost.echoRequests.encode(id))) return false;
    this.pending.set(id, intendedAt);
    return true;
  }

  /** Sends a frame if the socket is open. */
  sendFrame(message: WSMessage): boolean {
    return this.sendText(encodeFrame(message));
  }

  protected opened(): void {
    this.awaitingSubscribe = this.channels.length;
    if (this.awaitingSubscribe === 0) {
      this.becomeReady();
      return;
    }
    this.channels.forEach((channel, i) => this.subscribe(channel, i));
  }

  protected reconnectPlan(code: number): ReconnectPlan {
    const policy = reconnectPolicyFor(code);
    if (policy === 'stop' || policy === 'reauthenticate') return { stop: true };
    const retryAfterMs = this.drainRetryAfterMs;
    this.drainRetryAfterMs = undefined;
    return { stop: false, slow: policy === 'reconnect-slow', retryAfterMs };
  }

  private subscribe(channel: string, i: number): void {
    const tracker = this.trackers.get(channel) as SeqTracker;
    // No resume point: a first, live-only subscription.
    this.sendFrame({ id: this.subscribeIds[i] as string, channel, type: 'subscribe', payload: tracker.resumePoint() ?? {} });
  }

  protected received(data: RawData, isBinary: boolean): void {
    // The hot path: a reply to an echo, recognised by its id without parsing the frame.
    const echoId = isBinary ? undefined : echoReplyId(data as Buffer, ECHO_ID);
    if (echoId !== undefined) {
      this.settleRequest(echoId, true);
      return;
    }
    const text = isBinary ? '' : data.toString();
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
      this.settleRequest(message.id, true);
      return;
    }
    if (first === SUBSCRIBE_ID) {
      const tracker = this.trackers.get(message.channel);
      if (!tracker) return;
      tracker.onSubscribed(message.payload as SubscribeReply);
      this.awaitingSubscribe -= 1;
      if (this.awaitingSubscribe === 0 && !this.isReady) this.becomeReady();
      return;
    }
    this.envelopeHost.onSyncFrame(this, message);
  }

  private onError(message: WSMessage): void {
    const code = message.error?.code ?? 'UNKNOWN';
    this.host.noteRequestError(code);
    const first = message.id.charCodeAt(0);
    if (first === ECHO_ID) {
      this.settleRequest(message.id, false);
      return;
    }
    if (first === SUBSCRIBE_ID) {
      // A refused subscribe (the server is draining, say): try again shortly if still connected.
      const i = this.subscribeIds.indexOf(message.id);
      if (i >= 0) setTimeout(() => this.state === 'open' && this.subscribe(this.channels[i] as string, i), 250).unref();
      return;
    }
    this.envelopeHost.onSyncFrame(this, message);
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
    this.envelopeHost.onSyncFrame(this, message);
  }

  private onResync(message: WSMessage<ResyncPayload<SyncStatusReply>>): void {
    const tracker = this.trackers.get(message.channel);
    if (!tracker) return;
    const verdict = tracker.onResync(message.payload);
    if (verdict.lost > 0) this.host.metrics.lost.add(verdict.lost);
    if (!verdict.knowable) this.envelopeHost.noteUnknowableResync();
    this.envelopeHost.onSyncFrame(this, message);
  }
}

function seenStateOf(message: WSMessage): SeenSyncState | undefined {
  const payload = message.payload as { runId?: unknown; processed?: unknown } | null;
  if (!payload || typeof payload.runId !== 'string' || typeof payload.processed !== 'number') return undefined;
  const status = message.type === 'sync:complete' ? 'completed' : message.type === 'sync:error' ? 'failed' : 'running';
  return { runId: payload.runId, processed: payload.processed, status };
}
