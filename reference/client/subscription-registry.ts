/**
 * Channel subscriptions: who listens to which channel, and where each channel's stream stands
 * (last `seq` delivered, `epoch`), so that after a reconnect every channel resumes where it stopped.
 * One server subscription per channel; several handlers share it.
 *
 * The server answers a subscribe before it sends any event of that subscription, so what arrives for
 * a channel while its subscribe awaits the reply belongs to the server subscription it replaces (a
 * re-subscribe after a resync, or an unsubscribe and subscribe): it is dropped, and the new
 * subscription replays what it should from its `fromSeq`. Delivering it would move the channel's
 * position past events the replay is about to send.
 */
import { encodeFrame, type ResyncPayload, type SubscribePayload, type SubscribeReply, type WSMessage } from '../protocol/index.js';
import { asError, requestErrorOf, type WSRequestError } from './request-error.js';
import type { SendIfOpen } from './request-tracker.js';

/** Receives the events of a channel, in `seq` order, each once. */
export type MessageHandler = (message: WSMessage) => void;

/** Options of {@link WSClient.subscribe}. */
export interface SubscribeOptions {
  /** Resume after this `seq` (the last one the caller processed) instead of starting live. */
  fromSeq?: number;
  /** The epoch `fromSeq` belongs to. */
  epoch?: string;
  /** Called when the server cannot replay what was missed and sends the current state instead. */
  onResync?: (payload: ResyncPayload) => void;
  /**
   * Called with the server's reply each time the subscription is (re)established; a handler added
   * to a channel whose subscription stands already is called with its latest reply.
   */
  onSubscribed?: (reply: SubscribeReply) => void;
  /**
   * Called when the server refuses the subscription (an `error` reply: `NO_ROUTE`, `FORBIDDEN`,
   * `UPSTREAM_STATUS` with the upstream's answer in `details`, …). Without it, the client's `error`
   * event reports the refusal.
   */
  onError?: (error: WSRequestError) => void;
  /**
   * Bridged `sse:` channels: the SSE id of the last event already processed, sent as `lastEventId` in
   * every (re)subscribe and then kept up to date with each delivered event's `eventId`.
   */
  lastEventId?: string;
  /** Bridged `sse:` channels: request headers for the upstream stream, sent in every (re)subscribe. */
  headers?: Record<string, string>;
}

/** A `resync` as reported by the client's `resync` event. */
export interface ResyncEvent extends ResyncPayload {
  channel: string;
}

interface Subscriber {
  readonly handler: MessageHandler;
  readonly options: SubscribeOptions;
}

interface ChannelState {
  readonly channel: string;
  readonly subscribers: Set<Subscriber>;
  lastSeq: number | undefined;
  epoch: string | undefined;
  lastEventId: string | undefined;
  readonly headers: Record<string, string> | undefined;
  /** The reply that established the current server subscription, `undefined` while its subscribe awaits one. */
  reply?: SubscribeReply | undefined;
}

export interface SubscriptionRegistryHooks {
  nextId(prefix: string): string;
  onResync(event: ResyncEvent): void;
  onError(error: Error): void;
}

export class SubscriptionRegistry {
  readonly #channels = new Map<string, ChannelState>();
  /** Subscribe frames awaiting their reply, by frame id. */
  readonly #pendingReplies = new Map<string, ChannelState>();
  readonly #hooks: SubscriptionRegistryHooks;

  constructor(hooks: SubscriptionRegistryHooks) {
    this.#hooks = hooks;
  }

  /** Adds a handler; subscribes on the server now when connected, else on the next open. */
  add(channel: string, handler: MessageHandler, options: SubscribeOptions, sendIfOpen: SendIfOpen): () => void {
    const subscriber: Subscriber = { handler, options };
    let state = this.#channels.get(channel);
    if (!state) {
      state = { channel, subscribers: new Set(), lastSeq: options.fromSeq, epoch: options.epoch, lastEventId: options.lastEventId, headers: options.headers };
      this.#channels.set(channel, state);
      state.subscribers.add(subscriber);
      this.#subscribe(state, sendIfOpen);
    } else {
      state.subscribers.add(subscriber);
      const reply = state.reply;
      if (reply !== undefined && options.onSubscribed) {
        const joined = state;
        queueMicrotask(() => {
          if (joined.subscribers.has(subscriber) && joined.reply === reply) options.onSubscribed?.(reply);
        });
      }
    }
    const owned = state;
    return () => this.#remove(owned, subscriber, sendIfOpen);
  }

  /** Subscribes every channel again, resuming from its last `seq` (after a reconnect). */
  resubscribeAll(sendIfOpen: SendIfOpen): void {
    this.#pendingReplies.clear();
    for (const state of this.#channels.values()) {
      state.reply = undefined;
      this.#subscribe(state, sendIfOpen);
    }
  }

  /** Handles the `reply`/`error` to a subscribe frame; returns false when it answers something else. */
  settle(message: WSMessage): boolean {
    const state = this.#pendingReplies.get(message.id);
    if (state === undefined) return false;
    this.#pendingReplies.delete(message.id);
    // The answer to a subscribe the channel has since replaced (or left): nothing to apply.
    if (this.#channels.get(state.channel) !== state) return true;
    if (message.type === 'error') {
      const error = requestErrorOf(message, 'subscribe', `subscribing to "${state.channel}" failed`);
      const handlers = [...state.subscribers].filter((subscriber) => subscriber.options.onError);
      if (handlers.length === 0) this.#hooks.onError(error);
      for (const subscriber of handlers) this.#call(() => subscriber.options.onError?.(error));
      return true;
    }
    const reply = message.payload as SubscribeReply;
    state.reply = reply;
    if (state.lastSeq === undefined && typeof reply?.seq === 'number') {
      // A live subscription starts after the channel's newest event: resume from there next time.
      state.lastSeq = reply.seq;
      state.epoch = reply.epoch;
    }
    for (const subscriber of state.subscribers) subscriber.options.onSubscribed?.(reply);
    return true;
  }

  /** Delivers an event to its channel's handlers; drops one already delivered. */
  deliver(message: WSMessage): void {
    const state = this.#channels.get(message.channel);
    if (!state?.reply) return;
    if (message.seq !== undefined) {
      const sameEpoch = message.epoch === undefined || message.epoch === state.epoch;
      if (sameEpoch && state.lastSeq !== undefined && message.seq <= state.lastSeq) return;
      state.lastSeq = message.seq;
      if (message.epoch !== undefined) state.epoch = message.epoch;
    }
    if (message.eventId !== undefined) state.lastEventId = message.eventId;
    for (const subscriber of [...state.subscribers]) this.#call(() => subscriber.handler(message));
  }

  /** Applies a `resync`: the channel continues after the resync's `seq`, in its `epoch`. */
  resync(message: WSMessage): void {
    const state = this.#channels.get(message.channel);
    if (!state?.reply) return;
    const payload = message.payload as ResyncPayload;
    state.epoch = payload.epoch ?? message.epoch;
    state.lastSeq = payload.seq ?? message.seq;
    for (const subscriber of [...state.subscribers]) this.#call(() => subscriber.options.onResync?.(payload));
    this.#hooks.onResync({ ...payload, channel: message.channel });
  }

  /** Runs an application callback; what it throws is reported, not propagated. */
  #call(callback: () => void): void {
    try {
      callback();
    } catch (error) {
      this.#hooks.onError(asError(error));
    }
  }

  #subscribe(state: ChannelState, sendIfOpen: SendIfOpen): void {
    const id = this.#hooks.nextId('s');
    // Fields still undefined are left out of the frame by JSON.stringify.
    const payload: SubscribePayload = { fromSeq: state.lastSeq, epoch: state.epoch, lastEventId: state.lastEventId, headers: state.headers };
    if (sendIfOpen(encodeFrame({ id, channel: state.channel, type: 'subscribe', payload }))) this.#pendingReplies.set(id, state);
  }

  #remove(state: ChannelState, subscriber: Subscriber, sendIfOpen: SendIfOpen): void {
    if (!state.subscribers.delete(subscriber) || state.subscribers.size > 0) return;
    if (this.#channels.get(state.channel) !== state) return;
    this.#channels.delete(state.channel);
    sendIfOpen(encodeFrame({ id: this.#hooks.nextId('u'), channel: state.channel, type: 'unsubscribe', payload: null }));
  }
}
