/**
 * The channel hub: numbers every event on a channel (`seq`, from 1, strictly increasing within an
 * epoch), keeps the last events for replay, and delivers them to subscribers. WebSocket
 * subscriptions and legacy SSE streams both read from it, so they share one seq space and a client
 * can switch transports mid-sync without loss.
 *
 * {@link ChannelHub} is the seam for a shared implementation (e.g. Redis streams, so several
 * instances can replay each other's events); {@link createMemoryHub} is the in-memory one, which
 * can hand out a {@link HubSnapshot} of its history and start from one (see hub-state-file.ts).
 */
import type { ResyncReason } from '../protocol/index.js';

/** One event on a channel. Its JSON is built once, however many subscribers it goes to. */
export class ChannelEvent {
  private channelJson: string | undefined;
  private restJson: string | undefined;
  private dataJson: string | undefined;

  constructor(
    readonly channel: string,
    readonly type: string,
    readonly seq: number,
    readonly ts: number,
    readonly epoch: string,
    readonly payload: unknown,
    /** The application's own id of the event (the SSE `id:`), when it has one. */
    readonly eventId?: string,
  ) {}

  /**
   * The WebSocket frame of this event for the subscription `subscriptionId`, naming `channel` (the
   * one the client subscribed to, when the event was published under an internal hub key).
   */
  frameFor(subscriptionId: string, channel: string = this.channel): string {
    const channelJson = channel === this.channel ? (this.channelJson ??= JSON.stringify(this.channel)) : JSON.stringify(channel);
    return `{"id":${JSON.stringify(subscriptionId)},"channel":${channelJson},${this.rest()}`;
  }

  /** Everything after the channel, serialized once: fan-out and snapshots do not re-serialize the payload. */
  private rest(): string {
    this.restJson ??= JSON.stringify({ type: this.type, seq: this.seq, ts: this.ts, epoch: this.epoch, eventId: this.eventId, payload: this.payload }).slice(1);
    return this.restJson;
  }

  /** The whole event as one JSON object (`channel`, `type`, `seq`, `ts`, `epoch`, `eventId`?, `payload`), as kept in a hub state file. */
  get json(): string {
    this.channelJson ??= JSON.stringify(this.channel);
    return `{"channel":${this.channelJson},${this.rest()}`;
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
  /**
   * Numbers the event, keeps it for replay, delivers it to the channel's subscribers, and returns it.
   * `type` is the frame type (event names already escaped); `eventId` is the application's id of the event.
   */
  publish(channel: string, type: string, payload: unknown, options?: { eventId?: string }): Promise<ChannelEvent>;
  /** Subscribes (replacing nothing: one subscriber object is one subscription) and resumes if asked. */
  subscribe(channel: string, subscriber: HubSubscriber, resume?: ResumePoint): Promise<SubscribeOutcome>;
  unsubscribe(channel: string, subscriber: HubSubscriber): void;
  /** The newest event kept for replay on the channel; undefined when none is kept. */
  newestEvent(channel: string): ChannelEvent | undefined;
  /** Stops timers and drops every subscriber. */
  close(): void;
}

/** One channel of a {@link HubSnapshot}. */
export interface ChannelSnapshot {
  /** The channel's newest seq. */
  seq: number;
  /** When it last had an event or a subscriber, ms since the Unix epoch (what its TTL counts from). */
  lastActiveMs: number;
  /** Its replay buffer, oldest first; the last one has seq `seq`. */
  events: readonly ChannelEvent[];
}

/** A memory hub's whole history: what a restarted hub needs to go on with the same epoch and seqs. */
export interface HubSnapshot {
  epoch: string;
  /** The epoch a rotation derives the next one from (`<baseEpoch>.<rotations>`). */
  baseEpoch: string;
  /** How many times the epoch rotated because too many forgotten channels were remembered. */
  rotations: number;
  channels: ReadonlyMap<string, ChannelSnapshot>;
  /** The last seq of each channel forgotten after its TTL, so it continues from there if it comes back. */
  forgotten: ReadonlyMap<string, number>;
}

export interface MemoryHubOptions {
  /** The epoch of a new history (ignored when `restore` is given). */
  epoch: string;
  /** Events kept per channel; 0 keeps none. */
  replayBufferSize: number;
  /** A channel without subscribers and without events for this long is forgotten, in ms. */
  channelTtlMs: number;
  /** Forgotten channels whose last seq is remembered, so their seq keeps increasing; beyond it the epoch rotates. */
  maxForgottenChannels?: number;
  clock?: () => number;
  /** A history to go on from (epoch, seqs, replay buffers, TTL bookkeeping), e.g. read back after a restart. */
  restore?: HubSnapshot;
  /** Called after every change a snapshot would show (an event published, a channel forgotten): the cue to persist. */
  onChange?: () => void;
}

/** A {@link ChannelHub} in this process's memory, whose history can be saved and restored. */
export interface MemoryHub extends ChannelHub {
  /** The hub's history now. Cheap: events are shared, not copied, and each serializes itself once. */
  snapshot(): HubSnapshot;
}

interface Channel {
  seq: number;
  /** Ring buffer of the newest events; `buffer[(start + i) % capacity]` is the i-th oldest. */
  buffer: ChannelEvent[];
  start: number;
  subscribers: Set<HubSubscriber>;
  lastActiveMs: number;
}

/**
 * An in-memory {@link ChannelHub}. Its history lives as long as the process, unless it is saved
 * ({@link MemoryHub.snapshot}) and given back (`restore`) to the next one; otherwise give each
 * process a new epoch.
 */
export function createMemoryHub(options: MemoryHubOptions): MemoryHub {
  const clock = options.clock ?? Date.now;
  const capacity = options.replayBufferSize;
  const maxForgotten = options.maxForgottenChannels ?? 100_000;
  const changed = options.onChange ?? ((): void => undefined);
  const channels = new Map<string, Channel>();
  // A forgotten channel that comes back continues its seq, so an old resume point can never match a
  // different history; if too many are remembered, a new epoch makes every old resume point a resync.
  const forgotten = new Map<string, number>(options.restore?.forgotten);
  const baseEpoch = options.restore?.baseEpoch ?? options.epoch;
  let epoch = options.restore?.epoch ?? options.epoch;
  let rotations = options.restore?.rotations ?? 0;

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

  const bufferOf = (channel: Channel): ChannelEvent[] => {
    const count = channel.buffer.length;
    const events = new Array<ChannelEvent>(count);
    for (let i = 0; i < count; i += 1) events[i] = channel.buffer[(channel.start + i) % count] as ChannelEvent;
    return events;
  };

  for (const [name, restored] of options.restore?.channels ?? []) {
    const channel: Channel = { seq: restored.seq, buffer: [], start: 0, subscribers: new Set(), lastActiveMs: restored.lastActiveMs };
    // A smaller buffer than the one that saved the history keeps the newest events.
    for (const event of restored.events.slice(Math.max(0, restored.events.length - capacity))) remember(event, channel);
    channels.set(name, channel);
  }

  const sweep = (): void => {
    const idleSince = clock() - options.channelTtlMs;
    let forgot = false;
    for (const [name, channel] of channels) {
      if (channel.subscribers.size > 0 || channel.lastActiveMs > idleSince) continue;
      channels.delete(name);
      forgot = true;
      if (channel.seq > 0) forgotten.set(name, channel.seq);
    }
    if (forgotten.size > maxForgotten) {
      forgotten.clear();
      rotations += 1;
      epoch = `${baseEpoch}.${rotations}`;
    }
    if (forgot) changed();
  };

  const sweepTimer = setInterval(sweep, Math.min(options.channelTtlMs, 60_000));
  sweepTimer.unref();

  return {
    get epoch() {
      return epoch;
    },
    publish: async (name, type, payload, publishOptions) => {
      const channel = channelFor(name);
      channel.seq += 1;
      channel.lastActiveMs = clock();
      const event = new ChannelEvent(name, type, channel.seq, channel.lastActiveMs, epoch, payload, publishOptions?.eventId);
      remember(event, channel);
      for (const subscriber of channel.subscribers) subscriber.deliver(event);
      changed();
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
    newestEvent: (name) => {
      const channel = channels.get(name);
      const count = channel?.buffer.length ?? 0;
      return channel === undefined || count === 0 ? undefined : channel.buffer[(channel.start + count - 1) % count];
    },
    snapshot: () => {
      const now = clock();
      const saved = new Map<string, ChannelSnapshot>();
      for (const [name, channel] of channels) {
        // A channel someone is subscribed to is active until the moment of the snapshot.
        saved.set(name, { seq: channel.seq, lastActiveMs: channel.subscribers.size > 0 ? now : channel.lastActiveMs, events: bufferOf(channel) });
      }
      return { epoch, baseEpoch, rotations, channels: saved, forgotten: new Map(forgotten) };
    },
    close: () => {
      clearInterval(sweepTimer);
      for (const channel of channels.values()) channel.subscribers.clear();
    },
  };
}
