/**
 * The channel hub: numbers every event on a channel (`seq`, from 1, strictly increasing within an
 * epoch), keeps the last events for replay, and delivers them to subscribers. WebSocket
 * subscriptions and legacy SSE streams both read from it, so they share one seq space and a client
 * can switch transports mid-sync without loss.
 *
 * {@link ChannelHub} is the seam for a shared implementation (e.g. Redis streams, so several
 * instances can replay each other's events); {@link createMemoryHub} is the in-memory one.
 */
import type { ResyncReason } from '../protocol/index.js';

/** One event on a channel. Its JSON is built once, however many subscribers it goes to. */
export class ChannelEvent {
  private tailJson: string | undefined;
  private dataJson: string | undefined;

  constructor(
    readonly channel: string,
    readonly type: string,
    readonly seq: number,
    readonly ts: number,
    readonly epoch: string,
    readonly payload: unknown,
  ) {}

  /** The WebSocket frame of this event for the subscription `subscriptionId`. */
  frameFor(subscriptionId: string): string {
    // `{"id":…,` + the rest, serialized once: fan-out does not re-serialize the payload.
    this.tailJson ??= JSON.stringify({ channel: this.channel, type: this.type, seq: this.seq, ts: this.ts, epoch: this.epoch, payload: this.payload }).slice(1);
    return `{"id":${JSON.stringify(subscriptionId)},${this.tailJson}`;
  }

  /** The payload as JSON (the `data:` of a legacy SSE event). */
  get payloadJson(): string {
    this.dataJson ??= JSON.stringify(this.payload);
    return this.dataJson;
  }
}

/** Receives a channel's live events. */
export interface HubSubscriber {
  deliver(event: ChannelEvent): void;
}

/** Where a subscriber asks to resume: after `fromSeq` in `epoch` (the current epoch when absent). */
export interface ResumePoint {
  fromSeq: number;
  epoch?: string;
}

/**
 * The result of a subscription. Live events published after it go to the subscriber; events up to
 * `seq` are either in `replay` (when a resume was possible) or summarized by a resync.
 */
export interface SubscribeOutcome {
  epoch: string;
  /** The channel's newest seq when the subscription started (0 when it has no events yet). */
  seq: number;
  /** Events after the resume point, in order (empty when live only or on resync). */
  replay: readonly ChannelEvent[];
  /** Why the resume point could not be honoured, when it could not. */
  resync: ResyncReason | undefined;
}

/** Channel hub interface; see the module comment. */
export interface ChannelHub {
  /** The current replay epoch. */
  readonly epoch: string;
  /** Numbers the event, keeps it for replay, delivers it to the channel's subscribers, and returns it. */
  publish(channel: string, type: string, payload: unknown): Promise<ChannelEvent>;
  /** Subscribes (replacing nothing: one subscriber object is one subscription) and resumes if asked. */
  subscribe(channel: string, subscriber: HubSubscriber, resume?: ResumePoint): Promise<SubscribeOutcome>;
  unsubscribe(channel: string, subscriber: HubSubscriber): void;
  /** Stops timers and drops every subscriber. */
  close(): void;
}

export interface MemoryHubOptions {
  epoch: string;
  /** Events kept per channel; 0 keeps none. */
  replayBufferSize: number;
  /** A channel without subscribers and without events for this long is forgotten, in ms. */
  channelTtlMs: number;
  /** Forgotten channels whose last seq is remembered, so their seq keeps increasing; beyond it the epoch rotates. */
  maxForgottenChannels?: number;
  clock?: () => number;
}

interface Channel {
  seq: number;
  /** Ring buffer of the newest events; `buffer[(start + i) % capacity]` is the i-th oldest. */
  buffer: ChannelEvent[];
  start: number;
  subscribers: Set<HubSubscriber>;
  lastActiveMs: number;
}

/** An in-memory {@link ChannelHub}. Its history is lost with the process: give each process a new epoch. */
export function createMemoryHub(options: MemoryHubOptions): ChannelHub {
  const clock = options.clock ?? Date.now;
  const capacity = options.replayBufferSize;
  const maxForgotten = options.maxForgottenChannels ?? 100_000;
  const channels = new Map<string, Channel>();
  // A forgotten channel that comes back continues its seq, so an old resume point can never match a
  // different history; if too many are remembered, a new epoch makes every old resume point a resync.
  const forgotten = new Map<string, number>();
  let epoch = options.epoch;
  let rotations = 0;

  const channelFor = (name: string): Channel => {
    let channel = channels.get(name);
    if (!channel) {
      const seq = forgotten.get(name) ?? 0;
      forgotten.delete(name);
      channel = { seq, buffer: [], start: 0, subscribers: new Set(), lastActiveMs: clock() };
      channels.set(name, channel);
    }
    return channel;
  };

  const remember = (event: ChannelEvent, channel: Channel): void => {
    if (capacity === 0) return;
    if (channel.buffer.length < capacity) channel.buffer.push(event);
    else {
      channel.buffer[channel.start] = event;
      channel.start = (channel.start + 1) % capacity;
    }
  };

  const replayAfter = (channel: Channel, fromSeq: number): ChannelEvent[] | undefined => {
    const count = channel.buffer.length;
    const wanted = channel.seq - fromSeq;
    if (wanted === 0) return [];
    if (wanted > count) return undefined;
    const events: ChannelEvent[] = new Array<ChannelEvent>(wanted);
    for (let i = 0; i < wanted; i += 1) events[i] = channel.buffer[(channel.start + count - wanted + i) % capacity] as ChannelEvent;
    return events;
  };

  const sweep = (): void => {
    const idleSince = clock() - options.channelTtlMs;
    for (const [name, channel] of channels) {
      if (channel.subscribers.size > 0 || channel.lastActiveMs > idleSince) continue;
      channels.delete(name);
      if (channel.seq > 0) forgotten.set(name, channel.seq);
    }
    if (forgotten.size > maxForgotten) {
      forgotten.clear();
      rotations += 1;
      epoch = `${options.epoch}.${rotations}`;
    }
  };
  const sweepTimer = setInterval(sweep, Math.min(options.channelTtlMs, 60_000));
  sweepTimer.unref();

  return {
    get epoch() {
      return epoch;
    },
    publish: async (name, type, payload) => {
      const channel = channelFor(name);
      channel.seq += 1;
      channel.lastActiveMs = clock();
      const event = new ChannelEvent(name, type, channel.seq, channel.lastActiveMs, epoch, payload);
      remember(event, channel);
      for (const subscriber of channel.subscribers) subscriber.deliver(event);
      return event;
    },
    subscribe: async (name, subscriber, resume) => {
      const channel = channelFor(name);
      channel.subscribers.add(subscriber);
      channel.lastActiveMs = clock();
      const outcome: SubscribeOutcome = { epoch, seq: channel.seq, replay: [], resync: undefined };
      if (resume === undefined) return outcome;
      if (resume.epoch !== undefined && resume.epoch !== epoch) outcome.resync = 'epoch-changed';
      else if (resume.fromSeq > channel.seq) outcome.resync = 'future-seq';
      else {
        const replay = replayAfter(channel, resume.fromSeq);
        if (replay === undefined) outcome.resync = 'too-old';
        else outcome.replay = replay;
      }
      return outcome;
    },
    unsubscribe: (name, subscriber) => {
      const channel = channels.get(name);
      if (!channel) return;
      channel.subscribers.delete(subscriber);
      channel.lastActiveMs = clock();
    },
    close: () => {
      clearInterval(sweepTimer);
      for (const channel of channels.values()) channel.subscribers.clear();
    },
  };
}
