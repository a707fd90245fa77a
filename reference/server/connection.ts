/**
 * One WebSocket connection: decodes frames, enforces the per-connection limits (rate, bad frames,
 * slow consumer), answers requests, and delivers its subscriptions' events in seq order.
 * Every path that ends a connection goes through {@link Connection.close}, never a stray throw.
 */
import type { Duplex } from 'node:stream';
import type { RawData, WebSocket } from 'ws';
import { CloseCode, ErrorCode, MessageType, RESERVED_TYPES, SYSTEM_CHANNEL, decodeFrame, encodeFrame, type DrainPayload, type ErrorBody, type WSMessage } from '../protocol/index.js';
import { isWsmigError, messageOf } from '../../lib/errors.js';
import { DelayQueue } from './delay-queue.js';
import { FrameWriter, type EventFrame } from './frame-writer.js';
import type { GatewayContext } from './gateway-context.js';
import type { MessageTypeCounters } from './metrics.js';
import { TokenBucket } from './rate-limiter.js';
import { errorBodyOfFailure, type InternalHandler } from './request-handlers.js';
import { ConnectionSubscriptions, type SubscriptionOwner } from './subscriptions.js';
import { WindowCounter } from './window-counter.js';

/** Window of the bad-frame and rate-limit-drop counters. */
const ABUSE_WINDOW_MS = 10_000;
/** Rate-limit drops within the window before the connection is closed with 4200. */
const MAX_RATE_LIMIT_DROPS = 100;
/** A slow consumer's close frame waits behind its full buffer; after this long the socket is destroyed. */
const SLOW_CONSUMER_TERMINATE_MS = 5_000;

/** What every connection of one gateway shares. */
export interface ConnectionContext extends GatewayContext {
  /** Called once, when the socket has closed. */
  onClosed(connection: Connection, code: number): void;
}

function errorFrame(id: string, channel: string, error: ErrorBody): string {
  return encodeFrame({ id, channel, type: MessageType.error, payload: null, error });
}

/** Where a `ws` socket keeps its connection: its listeners are shared functions (one set for every connection, no closures per connection). */
const CONNECTION = Symbol('wsmig.connection');

type OwnedSocket = WebSocket & { [CONNECTION]: Connection };

function connectionOf(ws: WebSocket): Connection {
  return (ws as OwnedSocket)[CONNECTION];
}

function isPromiseLike(value: unknown): value is PromiseLike<unknown> {
  return value !== null && (typeof value === 'object' || typeof value === 'function') && typeof (value as { then?: unknown }).then === 'function';
}

export class Connection implements SubscriptionOwner {
  /** False once a heartbeat ping is out and its pong has not come back. */
  alive = true;
  private closing = false;
  private closed = false;
  /*
   * An idle connection holds none of these (issue 14, idle memory): each is created on first use.
   * The bucket starts full, so creating it at the first message is the same as at the connection.
   */
  private bucket: TokenBucket | undefined;
  private badFrames: WindowCounter | undefined;
  private rateDrops: WindowCounter | undefined;
  private subscriptions: ConnectionSubscriptions | undefined;
  private delayed: DelayQueue<string | EventFrame> | undefined;
  private writer: FrameWriter | undefined;

  /**
   * `socket`: the upgraded socket under `ws`, which frames are written to directly (never while `ws`
   * is not open); `identity`: what `authenticate` returned; `forwardedHeaders`: what the SSE bridge
   * may send upstream for it.
   */
  constructor(
    readonly id: number,
    private readonly ws: WebSocket,
    private readonly socket: Duplex,
    private readonly ctx: ConnectionContext,
    readonly identity: unknown,
    readonly forwardedHeaders: Record<string, string>,
  ) {
    (ws as OwnedSocket)[CONNECTION] = this;
    ws.on('message', Connection.onMessage);
    ws.on('pong', Connection.onPong);
    ws.on('close', Connection.onClose);
    ws.on('error', Connection.onError);
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
    this.writer?.flush();
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
    this.writer?.flush();
    const payload: DrainPayload = { retryAfterMs, reason: 'restart' };
    this.ws.send(encodeFrame({ id: 'drain', channel: SYSTEM_CHANNEL, type: MessageType.drain, payload }));
    this.ctx.metrics.sent.drain.out += 1;
    this.close(CloseCode.serviceRestart, 'service restart');
  }

  /** Sends one frame, after the injected latency if any, and enforces the slow-consumer watermark. */
  send(frame: string, sent: MessageTypeCounters): void {
    this.sendFrame(frame, sent);
  }

  /** Sends an event's frame: `head` (the subscription's start of it), then `tail` (shared by every subscriber of the event). */
  sendEvent(head: Buffer, tail: Buffer, eventType: string): void {
    this.sendFrame({ head, tail }, this.ctx.metrics.messageType(eventType));
  }

  private sendFrame(frame: string | EventFrame, sent: MessageTypeCounters): void {
    if (this.closing) return;
    sent.out += 1;
    const latencyMs = this.ctx.faults.latencyMs;
    if (latencyMs > 0 || this.delayed?.busy) {
      this.delayed ??= new DelayQueue((delayedFrame) => this.write(delayedFrame));
      this.delayed.push(frame, latencyMs);
      return;
    }
    this.write(frame);
  }

  private write(frame: string | EventFrame): void {
    if (this.closing || !(this.writer ??= new FrameWriter(this.ws, this.socket, this.ctx.heldFrames)).write(frame)) return;
    if (this.ws.bufferedAmount > this.ctx.options.slowConsumerBytes) this.closeSlowConsumer();
  }

  private closeSlowConsumer(): void {
    this.ctx.metrics.slowConsumerCloses.inc();
    this.ctx.logger.warn({ connection: this.id, bufferedBytes: this.ws.bufferedAmount }, 'closing a slow consumer (4201)');
    this.close(CloseCode.slowConsumer, 'slow consumer');
    setTimeout(() => this.ws.terminate(), SLOW_CONSUMER_TERMINATE_MS).unref();
  }

  /** The connection's subscriptions, created at its first subscribe or unsubscribe. */
  private subscriptionsNow(): ConnectionSubscriptions {
    return (this.subscriptions ??= new ConnectionSubscriptions(this, this.ctx));
  }

  /* `ws`'s listeners, shared by every connection: `this` is the socket, which holds its connection. */
  private static onPong(this: WebSocket): void {
    connectionOf(this).alive = true;
  }

  private static onError(this: WebSocket, error: Error): void {
    // ws closes the socket itself after an error (e.g. 1009 for an oversized frame); 'close' follows.
    const connection = connectionOf(this);
    connection.ctx.logger.debug({ connection: connection.id, err: messageOf(error), code: (error as { code?: string }).code }, 'websocket error');
  }

  private static onClose(this: WebSocket, code: number): void {
    connectionOf(this).closedWith(code);
  }

  private static onMessage(this: WebSocket, data: RawData, isBinary: boolean): void {
    connectionOf(this).received(data, isBinary);
  }

  private closedWith(code: number): void {
    if (this.closed) return;
    this.closed = true;
    this.closing = true;
    this.delayed?.clear();
    this.subscriptions?.closeAll();
    this.ctx.onClosed(this, code);
  }

  private received(data: RawData, isBinary: boolean): void {
    if (this.closing) return;
    const receivedAt = performance.now();
    const limit = this.ctx.options.rateLimit;
    if (limit !== undefined && !(this.bucket ??= new TokenBucket(limit.messagesPerSecond, limit.burst, receivedAt)).take(receivedAt)) {
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
    const counters = this.ctx.metrics.messageType(type);
    counters.in += 1;
    switch (type) {
      case MessageType.ping:
        this.send(encodeFrame({ id: message.id, channel: message.channel, type: MessageType.pong, payload: null, ts: this.ctx.options.clock() }), this.ctx.metrics.sent.pong);
        return;
      case MessageType.subscribe:
        this.subscriptionsNow().subscribe(message, receivedAt, counters).catch((error: unknown) => this.failRequest(message, error, receivedAt, counters));
        return;
      case MessageType.unsubscribe:
        this.subscriptionsNow().unsubscribe(message, receivedAt, counters);
        return;
      default:
        if (RESERVED_TYPES.has(type)) this.fail(message, { code: ErrorCode.reservedType, message: `"${type}" is sent by the server only`, retryable: false }, receivedAt, counters);
        else this.request(message, receivedAt, counters);
    }
  }

  /** Answers a request with its handler, after `authorize` when there is one; synchronously when both are. */
  private request(message: WSMessage, receivedAt: number, counters: MessageTypeCounters): void {
    const handler = this.ctx.requests.get(message.type);
    if (handler === undefined) {
      this.fail(message, { code: ErrorCode.unknownType, message: `unknown request type "${message.type}"`, retryable: false }, receivedAt, counters);
      return;
    }
    const check = this.ctx.access.requestProblem(this.identity, message.channel, message.type);
    if (check === undefined) {
      this.runHandler(handler, message, receivedAt, counters);
      return;
    }
    check.then(
      (problem) => (problem === undefined ? this.runHandler(handler, message, receivedAt, counters) : this.fail(message, problem, receivedAt, counters)),
      (error: unknown) => this.failRequest(message, error, receivedAt, counters),
    );
  }

  private runHandler(handler: InternalHandler, message: WSMessage, receivedAt: number, counters: MessageTypeCounters): void {
    let result: unknown;
    try {
      result = handler(message.payload, { identity: this.identity, channel: message.channel, connectionId: this.id, forwardedHeaders: this.forwardedHeaders });
    } catch (error) {
      this.failRequest(message, error, receivedAt, counters);
      return;
    }
    if (!isPromiseLike(result)) {
      this.reply(message, result ?? null, receivedAt, counters);
      return;
    }
    result.then(
      (payload) => this.reply(message, payload ?? null, receivedAt, counters),
      (error: unknown) => this.failRequest(message, error, receivedAt, counters),
    );
  }

  private failRequest(request: WSMessage, error: unknown, receivedAt: number, counters: MessageTypeCounters): void {
    if (!isWsmigError(error)) this.ctx.logger.error({ connection: this.id, type: request.type, err: error }, 'request failed');
    this.fail(request, errorBodyOfFailure(error, request.type), receivedAt, counters);
  }

  /** Answers a request with a `reply` frame. */
  reply(request: WSMessage, payload: unknown, receivedAt: number, counters: MessageTypeCounters): void {
    this.send(encodeFrame({ id: request.id, channel: request.channel, type: MessageType.reply, payload }), this.ctx.metrics.sent.reply);
    counters.observeRequestMs(performance.now() - receivedAt + this.ctx.faults.latencyMs);
  }

  /** Answers a request with an `error` frame. */
  fail(request: WSMessage, error: ErrorBody, receivedAt: number, counters: MessageTypeCounters): void {
    this.send(errorFrame(request.id, request.channel, error), this.ctx.metrics.sent.error);
    counters.observeRequestMs(performance.now() - receivedAt + this.ctx.faults.latencyMs);
  }

  private rejectRateLimited(data: RawData, receivedAt: number): void {
    this.ctx.metrics.rateLimited.inc();
    const decoded = decodeFrame(String(data));
    (decoded.ok ? this.ctx.metrics.messageType(decoded.message.type) : this.ctx.metrics.otherType).in += 1;
    const id = decoded.ok ? decoded.message.id : '0';
    const channel = decoded.ok ? decoded.message.channel : SYSTEM_CHANNEL;
    this.send(errorFrame(id, channel, { code: ErrorCode.rateLimited, message: `over the rate limit of ${this.ctx.options.rateLimit?.messagesPerSecond} messages/s: message dropped`, retryable: true }), this.ctx.metrics.sent.error);
    this.rateDrops ??= new WindowCounter(MAX_RATE_LIMIT_DROPS - 1, ABUSE_WINDOW_MS);
    if (this.rateDrops.hit(receivedAt)) this.close(CloseCode.rateLimited, 'rate limited');
  }

  private badFrame(id: string, detail: string, receivedAt: number): void {
    this.ctx.metrics.badFrames.inc();
    this.ctx.metrics.otherType.in += 1;
    this.send(errorFrame(id, SYSTEM_CHANNEL, { code: ErrorCode.badFrame, message: detail, retryable: false }), this.ctx.metrics.sent.error);
    this.badFrames ??= new WindowCounter(this.ctx.options.maxBadFrames, ABUSE_WINDOW_MS);
    if (this.badFrames.hit(receivedAt)) this.close(CloseCode.tooManyBadFrames, 'too many bad frames');
  }
}
