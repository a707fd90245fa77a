/**
 * A connection's subscriptions: checks each subscribe (payload, limit, access), attaches bridged
 * channels to their upstream stream, resumes from the hub (replay or resync with the channel's
 * snapshot), and delivers each channel's events in seq order under the channel name the client used.
 */
import { ErrorCode, MessageType, encodeFrame, type ErrorBody, type ResyncPayload, type ResyncReason, type SubscribeReply, type WSMessage } from '../protocol/index.js';
import type { BridgeAttachment } from './bridge/types.js';
import type { GatewayContext } from './gateway-context.js';
import { ChannelEvent, type HubSubscriber, type ResumePoint } from './hub.js';
import type { MessageTypeCounters } from './metrics.js';
import { errorBodyOfFailure } from './request-handlers.js';

/** The connection a subscription belongs to. */
export interface SubscriptionOwner {
  readonly id: number;
  readonly identity: unknown;
  readonly forwardedHeaders: Record<string, string>;
  readonly isClosing: boolean;
  send(frame: string, sent: MessageTypeCounters): void;
  /** Sends an event's frame: `head`, then `tail` (the bytes every subscriber's frame of the event shares). */
  sendEvent(head: Buffer, tail: Buffer, eventType: string): void;
  reply(request: WSMessage, payload: unknown, receivedAt: number, counters: MessageTypeCounters): void;
  fail(request: WSMessage, error: ErrorBody, receivedAt: number, counters: MessageTypeCounters): void;
}

interface SubscribeRequest {
  resume: ResumePoint | undefined;
  lastEventId: string | undefined;
  headers: Record<string, string> | undefined;
}

function subscribeRequestOf(payload: unknown): SubscribeRequest | string {
  const none: SubscribeRequest = { resume: undefined, lastEventId: undefined, headers: undefined };
  if (payload === null || payload === undefined) return none;
  if (typeof payload !== 'object' || Array.isArray(payload)) return 'subscribe payload must be null or { fromSeq?, epoch?, lastEventId?, headers? }';
  const { fromSeq, epoch, lastEventId, headers } = payload as Record<string, unknown>;
  if (epoch !== undefined && typeof epoch !== 'string') return '"epoch" must be a string';
  if (lastEventId !== undefined && typeof lastEventId !== 'string') return '"lastEventId" must be a string';
  if (headers !== undefined && (headers === null || typeof headers !== 'object' || Array.isArray(headers) || !Object.values(headers).every((v) => typeof v === 'string'))) {
    return '"headers" must be an object of header names to string values';
  }
  if (fromSeq !== undefined && (!Number.isSafeInteger(fromSeq) || (fromSeq as number) < 0)) return '"fromSeq" must be a non-negative integer';
  const resume = fromSeq === undefined ? undefined : epoch === undefined ? { fromSeq: fromSeq as number } : { fromSeq: fromSeq as number, epoch };
  return { resume, lastEventId, headers: headers as Record<string, string> | undefined };
}

/**
 * The bytes of the last event sent after its channel ({@link ChannelEvent.jsonAfterChannel}): a
 * fan-out is one synchronous loop over the subscribers, so they are encoded once for all of them,
 * and only the one event's bytes are held.
 */
let lastTail: { event: ChannelEvent; bytes: Buffer } | undefined;

function tailBytesOf(event: ChannelEvent): Buffer {
  if (lastTail?.event !== event) lastTail = { event, bytes: Buffer.from(event.jsonAfterChannel) };
  return lastTail.bytes;
}

/** A resync a shared hub announced while the subscription was not live yet: sent in its place among the held events. */
interface HeldResync {
  resync: { reason: ResyncReason; epoch: string; seq: number };
}

type SendResync = (subscription: Subscription, reason: ResyncReason, epoch: string, seq: number) => Promise<void>;

/** One subscription of a connection to a channel. Holds live events back until its reply and replay (or a resync) are sent. */
class Subscription implements HubSubscriber {
  cancelled = false;
  /** The hub channel it reads: the channel itself, or the bridge's key for this subscriber. */
  hubChannel: string;
  attachment: BridgeAttachment | undefined;
  subscribedToHub = false;
  private ready = false;
  private lastSeq = 0;
  private pending: Array<ChannelEvent | HeldResync> | undefined;
  /** The start of each of this subscription's event frames, `{"id":…,"channel":…,`, encoded once. */
  private frameHead: Buffer | undefined;

  constructor(
    private readonly owner: SubscriptionOwner,
    readonly id: string,
    readonly channel: string,
    private readonly sendResync: SendResync,
  ) {
    this.hubChannel = channel;
  }

  deliver(event: ChannelEvent): void {
    if (this.cancelled) return;
    if (!this.ready) (this.pending ??= []).push(event);
    else this.send(event);
  }

  /** The shared hub lost history this live subscription had not received: the client gets a `resync`, then the events after `seq`. */
  resync(reason: ResyncReason, epoch: string, seq: number): void {
    if (this.cancelled) return;
    if (!this.ready) (this.pending ??= []).push({ resync: { reason, epoch, seq } });
    else this.startResync(reason, epoch, seq);
  }

  /** Sends an event unless it is at or before what the subscription already has. */
  send(event: ChannelEvent): void {
    if (event.seq <= this.lastSeq) return;
    this.lastSeq = event.seq;
    this.frameHead ??= Buffer.from(`{"id":${JSON.stringify(this.id)},"channel":${JSON.stringify(this.channel)},`);
    this.owner.sendEvent(this.frameHead, tailBytesOf(event), event.type);
  }

  /** Marks the subscription live from `seq` on, and sends what arrived while it was being set up (up to a held resync). */
  start(seq: number): void {
    this.lastSeq = Math.max(this.lastSeq, seq);
    this.ready = true;
    const pending = this.pending;
    this.pending = undefined;
    if (pending === undefined) return;
    for (let i = 0; i < pending.length; i += 1) {
      const item = pending[i] as ChannelEvent | HeldResync;
      if (item instanceof ChannelEvent) {
        this.send(item);
        continue;
      }
      // Events after the resync wait for its frame.
      this.pending = pending.slice(i + 1);
      this.startResync(item.resync.reason, item.resync.epoch, item.resync.seq);
      return;
    }
  }

  /** Holds live events, sends the resync frame, then goes live after `seq` (of the new epoch, whose seqs start again). */
  private startResync(reason: ResyncReason, epoch: string, seq: number): void {
    this.ready = false;
    this.lastSeq = seq;
    void this.sendResync(this, reason, epoch, seq).finally(() => {
      if (!this.cancelled) this.start(seq);
    });
  }
}

export class ConnectionSubscriptions {
  private readonly byChannel = new Map<string, Subscription>();

  constructor(
    private readonly owner: SubscriptionOwner,
    private readonly ctx: GatewayContext,
  ) {}

  async subscribe(message: WSMessage, receivedAt: number, counters: MessageTypeCounters): Promise<void> {
    const request = subscribeRequestOf(message.payload);
    if (typeof request === 'string') {
      this.owner.fail(message, { code: ErrorCode.invalidPayload, message: request, retryable: false }, receivedAt, counters);
      return;
    }
    const { channel } = message;
    const max = this.ctx.options.maxSubscriptionsPerConnection;
    if (!this.byChannel.has(channel) && this.byChannel.size >= max) {
      const error = { code: ErrorCode.tooManySubscriptions, message: `this connection is subscribed to ${max} channels, the most allowed: unsubscribe from one first`, retryable: false };
      this.owner.fail(message, error, receivedAt, counters);
      return;
    }
    const previous = this.byChannel.get(channel);
    if (previous) this.drop(previous);
    const subscription = new Subscription(this.owner, message.id, channel, (live, reason, epoch, seq) => this.sendLiveResync(live, reason, epoch, seq));
    this.byChannel.set(channel, subscription);
    const refused = await this.ctx.access.subscribeProblem(this.owner.identity, channel);
    if (refused !== undefined) {
      this.failSetUp(subscription, message, refused, receivedAt, counters);
      return;
    }
    if (this.ctx.bridge?.handles(channel) && !(await this.attach(subscription, request, message, receivedAt, counters))) return;
    if (subscription.cancelled || this.owner.isClosing) return;
    await this.resume(subscription, request.resume, message, receivedAt, counters);
  }

  unsubscribe(message: WSMessage, receivedAt: number, counters: MessageTypeCounters): void {
    const subscription = this.byChannel.get(message.channel);
    if (subscription) this.drop(subscription);
    this.owner.reply(message, { channel: message.channel, unsubscribed: subscription !== undefined }, receivedAt, counters);
  }

  /** Ends every subscription (the connection closed). */
  closeAll(): void {
    for (const subscription of [...this.byChannel.values()]) this.drop(subscription);
  }

  /** Attaches a bridged channel to its upstream stream; false (the error sent) when the bridge refused or the upstream failed. */
  private async attach(subscription: Subscription, request: SubscribeRequest, message: WSMessage, receivedAt: number, counters: MessageTypeCounters): Promise<boolean> {
    const resume: { lastEventId?: string; headers?: Record<string, string> } = {};
    if (request.lastEventId !== undefined) resume.lastEventId = request.lastEventId;
    if (request.headers !== undefined) resume.headers = request.headers;
    try {
      const attachment = await (this.ctx.bridge as NonNullable<GatewayContext['bridge']>).attach(subscription.channel, { headers: this.owner.forwardedHeaders }, resume);
      if (subscription.cancelled) {
        attachment.release();
        return false;
      }
      subscription.attachment = attachment;
      subscription.hubChannel = attachment.hubChannel;
      return true;
    } catch (error) {
      this.failSetUp(subscription, message, errorBodyOfFailure(error, MessageType.subscribe), receivedAt, counters);
      return false;
    }
  }

  private async resume(subscription: Subscription, resume: ResumePoint | undefined, message: WSMessage, receivedAt: number, counters: MessageTypeCounters): Promise<void> {
    const { hub, metrics } = this.ctx;
    const { channel } = subscription;
    let outcome: Awaited<ReturnType<typeof hub.subscribe>>;
    try {
      outcome = await hub.subscribe(subscription.hubChannel, subscription, resume);
    } catch (error) {
      // The hub is full of busy channels (TOO_MANY_CHANNELS): nothing was subscribed; a bridged attachment is released.
      this.failSetUp(subscription, message, errorBodyOfFailure(error, MessageType.subscribe), receivedAt, counters);
      return;
    }
    subscription.subscribedToHub = true;
    if (subscription.cancelled || this.owner.isClosing) {
      hub.unsubscribe(subscription.hubChannel, subscription);
      return;
    }
    const reply: SubscribeReply = { channel, epoch: outcome.epoch, seq: outcome.seq, replayed: outcome.replay.length };
    this.owner.reply(message, reply, receivedAt, counters);
    for (const event of outcome.replay) subscription.send(event);
    if (outcome.replay.length > 0) metrics.replayedEvents.inc(outcome.replay.length);
    if (outcome.resync !== undefined) {
      metrics.resyncs.inc({ reason: outcome.resync });
      const snapshot = await this.ctx.snapshots.snapshotFor(channel);
      if (subscription.cancelled || this.owner.isClosing) return;
      const payload: ResyncPayload = { reason: outcome.resync, epoch: outcome.epoch, seq: outcome.seq, snapshot };
      this.owner.send(encodeFrame({ id: message.id, channel, type: MessageType.resync, epoch: outcome.epoch, seq: outcome.seq, payload }), this.ctx.metrics.sent.resync);
    }
    subscription.start(outcome.seq);
  }

  /** The `resync` frame of a live subscription whose channel's shared history went on without it. */
  private async sendLiveResync(subscription: Subscription, reason: ResyncReason, epoch: string, seq: number): Promise<void> {
    this.ctx.metrics.resyncs.inc({ reason });
    const snapshot = await Promise.resolve(this.ctx.snapshots.snapshotFor(subscription.channel)).catch(() => null);
    if (subscription.cancelled || this.owner.isClosing) return;
    const payload: ResyncPayload = { reason, epoch, seq, snapshot };
    this.owner.send(encodeFrame({ id: subscription.id, channel: subscription.channel, type: MessageType.resync, epoch, seq, payload }), this.ctx.metrics.sent.resync);
  }

  /** Drops a subscription that could not be set up and tells the client why, unless it was cancelled meanwhile. */
  private failSetUp(subscription: Subscription, message: WSMessage, error: ErrorBody, receivedAt: number, counters: MessageTypeCounters): void {
    const cancelled = subscription.cancelled;
    this.drop(subscription);
    if (!cancelled && !this.owner.isClosing) this.owner.fail(message, error, receivedAt, counters);
  }

  private drop(subscription: Subscription): void {
    if (this.byChannel.get(subscription.channel) === subscription) this.byChannel.delete(subscription.channel);
    if (subscription.cancelled) return;
    subscription.cancelled = true;
    if (subscription.subscribedToHub) this.ctx.hub.unsubscribe(subscription.hubChannel, subscription);
    subscription.attachment?.release();
  }
}
