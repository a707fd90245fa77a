/**
 * One WebSocket connection: decodes frames, enforces the per-connection limits (rate, bad frames,
 * slow consumer), answers requests, and delivers its subscriptions' events in seq order.
 * Every path that ends a connection goes through {@link Connection.close}, never a stray throw.
 */
import type { RawData, WebSocket } from 'ws';
import {
  CloseCode,
  ErrorCode,
  MessageType,
  RESERVED_TYPES,
  SYSTEM_CHANNEL,
  chatIdOfChannel,
  chatIdProblem,
  decodeFrame,
  encodeFrame,
  syncStartProblem,
  type ChatId,
  type DrainPayload,
  type ErrorBody,
  type ResyncPayload,
  type SubscribeReply,
  type SyncStartPayload,
  type WSMessage,
} from '../protocol/index.js';
import { isWsmigError, messageOf } from '../../lib/errors.js';
import { DelayQueue } from './delay-queue.js';
import type { ChannelEvent, HubSubscriber, ResumePoint } from './hub.js';
import { typeLabel } from './metrics.js';
import { TokenBucket } from './rate-limiter.js';
import type { ServerContext } from './server-context.js';
import { chatIdFromText } from '../protocol/index.js';
import { WindowCounter } from './window-counter.js';

/** Window of the bad-frame and rate-limit-drop counters. */
const ABUSE_WINDOW_MS = 10_000;
/** Rate-limit drops within the window before the connection is closed with 4200. */
const MAX_RATE_LIMIT_DROPS = 100;
/** A slow consumer's close frame waits behind its full buffer; after this long the socket is destroyed. */
const SLOW_CONSUMER_TERMINATE_MS = 5_000;

/** What every connection of one server shares. */
export interface ConnectionContext extends ServerContext {
  /** Called once, when the socket has closed. */
  onClosed(connection: Connection, code: number): void;
}

function errorFrame(id: string, channel: string, error: ErrorBody): string {
  return encodeFrame({ id, channel, type: MessageType.error, payload: null, error });
}

function resumePointOf(payload: unknown): ResumePoint | undefined | string {
  if (payload === null || payload === undefined) return undefined;
  if (typeof payload !== 'object' || Array.isArray(payload)) return 'subscribe payload must be null or { fromSeq?, epoch? }';
  const { fromSeq, epoch } = payload as Record<string, unknown>;
  if (epoch !== undefined && typeof epoch !== 'string') return '"epoch" must be a string';
  if (fromSeq === undefined) return undefined;
  if (!Number.isSafeInteger(fromSeq) || (fromSeq as number) < 0) return '"fromSeq" must be a non-negative integer';
  return epoch === undefined ? { fromSeq: fromSeq as number } : { fromSeq: fromSeq as number, epoch };
}

/** One subscription of a connection to a channel. Holds live events back until its reply and replay are sent. */
class Subscription implements HubSubscriber {
  ready = false;
  cancelled = false;
  lastSeq = 0;
  private pending: ChannelEvent[] | undefined;

  constructor(
    readonly connection: Connection,
    readonly id: string,
    readonly channel: string,
  ) {}

  deliver(event: ChannelEvent): void {
    if (this.cancelled) return;
    if (!this.ready) (this.pending ??= []).push(event);
    else this.connection.sendEvent(this, event);
  }

  /** Marks the subscription live and sends what arrived while it was being set up. */
  start(): void {
    this.ready = true;
    const pending = this.pending;
    this.pending = undefined;
    if (pending) for (const event of pending) this.connection.sendEvent(this, event);
  }
}

export class Connection {
  /** False once a heartbeat ping is out and its pong has not come back. */
  alive = true;
  private closing = false;
  private closed = false;
  private readonly bucket: TokenBucket | undefined;
  private badFrames: WindowCounter | undefined;
  private rateDrops: WindowCounter | undefined;
  private subscriptions: Map<string, Subscription> | undefined;
  private delayed: DelayQueue<string> | undefined;

  constructor(
    readonly id: number,
    private readonly ws: WebSocket,
    private readonly ctx: ConnectionContext,
  ) {
    const limit = ctx.options.rateLimit;
    this.bucket = limit ? new TokenBucket(limit.messagesPerSecond, limit.burst, performance.now()) : undefined;
    ws.on('message', this.onMessage);
    ws.on('pong', this.onPong);
    ws.on('close', this.onClose);
    ws.on('error', this.onError);
  }

  /** True once the connection is being closed (kick, drain, limits) or has closed. */
  get isClosing(): boolean {
    return this.closing;
  }

  /** Sends a heartbeat ping, or terminates the peer when the previous one got no pong. */
  heartbeat(): void {
    if (!this.alive) {
      this.terminate();
      return;
    }
    this.alive = false;
    this.ws.ping();
  }

  /** Closes with a code (handshake); does nothing if already closing. */
  close(code: number, reason: string): void {
    if (this.closing) return;
    this.closing = true;
    this.delayed?.clear();
    this.ws.close(code, reason);
  }

  /** Destroys the socket without a close handshake. */
  terminate(): void {
    this.closing = true;
    this.delayed?.clear();
    this.ws.terminate();
  }

  /** Tells the client to come back after `retryAfterMs`, then closes with 1012 (drain). */
  drain(retryAfterMs: number): void {
    if (this.closing) return;
    this.delayed?.clear();
    const payload: DrainPayload = { retryAfterMs, reason: 'restart' };
    this.ws.send(encodeFrame({ id: 'drain', channel: SYSTEM_CHANNEL, type: MessageType.drain, payload }));
    this.ctx.metrics.countMessage('out', MessageType.drain);
    this.close(CloseCode.serviceRestart, 'service restart');
  }

  /** Sends one frame, after the injected latency if any, and enforces the slow-consumer watermark. */
  send(frame: string, typeLabelOut: string): void {
    if (this.closing) return;
    this.ctx.metrics.countMessage('out', typeLabelOut);
    const latencyMs = this.ctx.faults.latencyMs;
    if (latencyMs > 0 || this.delayed?.busy) {
      this.delayed ??= new DelayQueue((delayedFrame) => this.write(delayedFrame));
      this.delayed.push(frame, latencyMs);
      return;
    }
    this.write(frame);
  }

  /** Sends a channel event to a subscription (skipping anything at or before what it already has). */
  sendEvent(subscription: Subscription, event: ChannelEvent): void {
    if (event.seq <= subscription.lastSeq) return;
    subscription.lastSeq = event.seq;
    this.send(event.frameFor(subscription.id), typeLabel(event.type));
  }

  private write(frame: string): void {
    if (this.closing) return;
    this.ws.send(frame);
    if (this.ws.bufferedAmount > this.ctx.options.slowConsumerBytes) this.closeSlowConsumer();
  }

  private closeSlowConsumer(): void {
    this.ctx.metrics.slowConsumerCloses.inc();
    this.ctx.logger.warn({ connection: this.id, bufferedBytes: this.ws.bufferedAmount }, 'closing a slow consumer (4201)');
    this.close(CloseCode.slowConsumer, 'slow consumer');
    setTimeout(() => this.ws.terminate(), SLOW_CONSUMER_TERMINATE_MS).unref();
  }

  private readonly onPong = (): void => {
    this.alive = true;
  };

  private readonly onError = (error: Error): void => {
    // ws closes the socket itself after an error (e.g. 1009 for an oversized frame); 'close' follows.
    this.ctx.logger.debug({ connection: this.id, err: messageOf(error), code: (error as { code?: string }).code }, 'websocket error');
  };

  private readonly onClose = (code: number): void => {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    this.delayed?.clear();
    if (this.subscriptions) {
      for (const subscription of this.subscriptions.values()) {
        subscription.cancelled = true;
        this.ctx.hub.unsubscribe(subscription.channel, subscription);
      }
      this.subscriptions.clear();
    }
    this.ctx.onClosed(this, code);
  };

  private readonly onMessage = (data: RawData, isBinary: boolean): void => {
    if (this.closing) return;
    const receivedAt = performance.now();
    if (this.bucket && !this.bucket.take(receivedAt)) {
      this.rejectRateLimited(data, receivedAt);
      return;
    }
    if (isBinary) {
      this.badFrame('0', 'binary frames are not accepted: send JSON text frames', receivedAt);
      return;
    }
    const decoded = decodeFrame(String(data));
    if (!decoded.ok) {
      this.badFrame(decoded.reason === 'not-envelope' && decoded.id !== undefined ? decoded.id : '0', decoded.reason === 'not-json' ? `not JSON: ${decoded.detail}` : decoded.detail, receivedAt);
      return;
    }
    const message = decoded.message;
    const type = message.type;
    const label = typeLabel(type);
    this.ctx.metrics.countMessage('in', label);
    switch (type) {
      case MessageType.echo:
        this.reply(message, message.payload, receivedAt, label);
        return;
      case MessageType.ping:
        this.send(encodeFrame({ id: message.id, channel: message.channel, type: MessageType.pong, payload: null, ts: this.ctx.options.clock() }), MessageType.pong);
        return;
      case MessageType.subscribe:
        this.handleAsync(message, receivedAt, label, this.subscribe(message, receivedAt, label));
        return;
      case MessageType.unsubscribe:
        this.unsubscribe(message, receivedAt, label);
        return;
      case MessageType.syncStart:
        this.handleAsync(message, receivedAt, label, this.syncStart(message, receivedAt, label));
        return;
      case MessageType.syncCancel:
      case MessageType.syncStatus:
        this.handleAsync(message, receivedAt, label, this.syncQuery(message, receivedAt, label));
        return;
      default:
        if (RESERVED_TYPES.has(type)) this.fail(message, { code: ErrorCode.reservedType, message: `"${type}" is sent by the server only`, retryable: false }, receivedAt, label);
        else this.fail(message, { code: ErrorCode.unknownType, message: `unknown request type "${type}"`, retryable: false }, receivedAt, label);
    }
  };

  private reply(request: WSMessage, payload: unknown, receivedAt: number, label: string): void {
    this.send(encodeFrame({ id: request.id, channel: request.channel, type: MessageType.reply, payload }), MessageType.reply);
    this.ctx.metrics.observeRequestMs(label, performance.now() - receivedAt + this.ctx.faults.latencyMs);
  }

  private fail(request: WSMessage, error: ErrorBody, receivedAt: number, label: string): void {
    this.send(errorFrame(request.id, request.channel, error), MessageType.error);
    this.ctx.metrics.observeRequestMs(label, performance.now() - receivedAt + this.ctx.faults.latencyMs);
  }

  private handleAsync(request: WSMessage, receivedAt: number, label: string, work: Promise<void>): void {
    work.catch((error: unknown) => {
      if (isWsmigError(error) && error.code === ErrorCode.draining) {
        this.fail(request, { code: ErrorCode.draining, message: error.message, retryable: true }, receivedAt, label);
        return;
      }
      this.ctx.logger.error({ connection: this.id, type: request.type, err: error }, 'request failed');
      this.fail(request, { code: ErrorCode.internal, message: `the server failed handling "${request.type}": ${messageOf(error)}`, retryable: true }, receivedAt, label);
    });
  }

  private rejectRateLimited(data: RawData, receivedAt: number): void {
    this.ctx.metrics.rateLimited.inc();
    const decoded = decodeFrame(String(data));
    this.ctx.metrics.countMessage('in', decoded.ok ? typeLabel(decoded.message.type) : 'other');
    const id = decoded.ok ? decoded.message.id : '0';
    const channel = decoded.ok ? decoded.message.channel : SYSTEM_CHANNEL;
    this.send(errorFrame(id, channel, { code: ErrorCode.rateLimited, message: `over the rate limit of ${this.ctx.options.rateLimit?.messagesPerSecond} messages/s: message dropped`, retryable: true }), MessageType.error);
    this.rateDrops ??= new WindowCounter(MAX_RATE_LIMIT_DROPS - 1, ABUSE_WINDOW_MS);
    if (this.rateDrops.hit(receivedAt)) this.close(CloseCode.rateLimited, 'rate limited');
  }

  private badFrame(id: string, detail: string, receivedAt: number): void {
    this.ctx.metrics.badFrames.inc();
    this.ctx.metrics.countMessage('in', 'other');
    this.send(errorFrame(id, SYSTEM_CHANNEL, { code: ErrorCode.badFrame, message: detail, retryable: false }), MessageType.error);
    this.badFrames ??= new WindowCounter(this.ctx.options.maxBadFrames, ABUSE_WINDOW_MS);
    if (this.badFrames.hit(receivedAt)) this.close(CloseCode.tooManyBadFrames, 'too many bad frames');
  }

  private async subscribe(message: WSMessage, receivedAt: number, label: string): Promise<void> {
    const resume = resumePointOf(message.payload);
    if (typeof resume === 'string') {
      this.fail(message, { code: ErrorCode.invalidPayload, message: resume, retryable: false }, receivedAt, label);
      return;
    }
    const { channel } = message;
    const subscriptions = (this.subscriptions ??= new Map());
    const previous = subscriptions.get(channel);
    if (previous) {
      previous.cancelled = true;
      this.ctx.hub.unsubscribe(channel, previous);
    }
    const subscription = new Subscription(this, message.id, channel);
    subscriptions.set(channel, subscription);
    const { hub, metrics } = this.ctx;
    const outcome = await hub.subscribe(channel, subscription, resume);
    if (subscription.cancelled || this.closing) {
      hub.unsubscribe(channel, subscription);
      return;
    }
    const reply: SubscribeReply = { channel, epoch: outcome.epoch, seq: outcome.seq, replayed: outcome.replay.length };
    this.reply(message, reply, receivedAt, label);
    for (const event of outcome.replay) this.sendEvent(subscription, event);
    if (outcome.replay.length > 0) metrics.replayedEvents.inc(outcome.replay.length);
    if (outcome.resync !== undefined) {
      metrics.resyncs.inc({ reason: outcome.resync });
      const chatId = chatIdOfChannel(channel);
      const snapshot = chatId === undefined || chatIdProblem(chatId) !== undefined ? null : await this.ctx.sync.status(chatIdFromText(chatId));
      if (subscription.cancelled || this.closing) return;
      const payload: ResyncPayload = { reason: outcome.resync, epoch: outcome.epoch, seq: outcome.seq, snapshot };
      this.send(encodeFrame({ id: message.id, channel, type: MessageType.resync, epoch: outcome.epoch, seq: outcome.seq, payload }), MessageType.resync);
    }
    subscription.lastSeq = Math.max(subscription.lastSeq, outcome.seq);
    subscription.start();
  }

  private unsubscribe(message: WSMessage, receivedAt: number, label: string): void {
    const subscription = this.subscriptions?.get(message.channel);
    if (subscription) {
      subscription.cancelled = true;
      this.subscriptions?.delete(message.channel);
      this.ctx.hub.unsubscribe(message.channel, subscription);
    }
    this.reply(message, { channel: message.channel, unsubscribed: subscription !== undefined }, receivedAt, label);
  }

  private async syncStart(message: WSMessage, receivedAt: number, label: string): Promise<void> {
    const problem = syncStartProblem(message.payload);
    if (problem !== undefined) {
      this.fail(message, { code: ErrorCode.invalidPayload, message: problem, retryable: false }, receivedAt, label);
      return;
    }
    const { chatId, options } = message.payload as SyncStartPayload;
    this.reply(message, await this.ctx.sync.start(chatId, options ?? {}), receivedAt, label);
  }

  private async syncQuery(message: WSMessage, receivedAt: number, label: string): Promise<void> {
    const payload = message.payload as { chatId?: unknown } | null;
    const chatId = payload !== null && typeof payload === 'object' ? payload.chatId : undefined;
    const problem = chatIdProblem(chatId);
    if (problem !== undefined) {
      this.fail(message, { code: ErrorCode.invalidPayload, message: `payload must be { chatId }: ${problem}`, retryable: false }, receivedAt, label);
      return;
    }
    const result = message.type === MessageType.syncCancel ? await this.ctx.sync.cancel(chatId as ChatId) : await this.ctx.sync.status(chatId as ChatId);
    this.reply(message, result, receivedAt, label);
  }
}
