/**
 * The channel hub: numbers every event on a channel (`seq`, from 1, strictly increasing within an
 * epoch), keeps the last events for replay, and delivers them to subscribers. WebSocket
 * subscriptions and legacy SSE streams both read from it, so they share one seq space and a client
 * can switch transports mid-sync without loss.
 *
 * {@link ChannelHub} is the seam for a shared implementation (e.g. Redis streams, so several
 * instances can replay each other's events); {@link createMemoryHub} is the in-memory one, which
 * can hand out a {@link HubSnapshot} of its history and start from one (see hub-state-file.ts).
 *
 * The memory hub is bounded: at most `maxChannels` channels and `maxReplayBytes` of kept events.
 * Over either, the channels idle longest (no subscribers) are forgotten first, as their TTL would
 * forget them (their seq is remembered, so a client resuming one is told `resync`); when every
 * channel is busy, a new channel is refused with `TOO_MANY_CHANNELS` and the busy channels' oldest
 * kept events make room for new ones (resuming behind them is a `resync` too).
 */
import { ErrorCode, type ResyncReason } from '../protocol/index.js';
import { WsmigError } from '../../lib/errors.js';

/** One event on a channel. Its JSON is built once, however many subscribers it goes to. */
export class ChannelEvent {
  private channelJson: string | undefined;
  private restJson: string | undefined;
  private dataJson: string | undefined;
  private sizeChars: number | undefined;

  constructor(
    readonly channel: string,
    readonly type: string,
    readonly seq: number,
    readonly ts: number,
    readonly epoch: string,
    readonly payload: unknown,
    /** The application's own id of the event (the SSE `id:`), when it has one. */
    readonly eventId?: string,
    /** Everything after the channel in {@link json}, when the event arrived already serialized (a shared hub's message). */
    restJson?: string,
  ) {
    this.restJson = restJson;
  }

  /**
   * The WebSocket frame of this event for the subscription `subscriptionId`, naming `channel` (the
   * one the client subscribed to, when the event was published under an internal hub key).
   */
  frameFor(subscriptionId: string, channel: string = this.channel): string {
    const channelJson = channel === this.channel ? (this.channelJson ??= JSON.stringify(this.channel)) : JSON.stringify(channel);
    return `{"id":${JSON.stringify(subscriptionId)},"channel":${channelJson},${this.rest()}`;
  }

  /** Everything in {@link json} and in each of its frames after the channel (`"type":…}`): what every subscriber's frame shares. */
  get jsonAfterChannel(): string {
    return this.rest();
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

  /** What keeping this event costs, as the length of its JSON ({@link json}): the hub's replay-bytes accounting. */
  get size(): number {
    this.sizeChars ??= this.json.length;
    return this.sizeChars;
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
  /**
   * A shared hub lost part of the channel's history while this subscriber was live (Redis restarted
   * empty, or trimmed a gap before it could be read): events after `seq` in `epoch` follow, what
   * came before cannot be delivered. The memory hub never calls it.
   */
  resync?(reason: ResyncReason, epoch: string, seq: number): void;
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
  /** The newest event kept for replay on the channel (whoever published it, with a shared hub); undefined when none is kept. */
  newestEvent(channel: string): Promise<ChannelEvent | undefined>;
  /** Stops timers and drops every subscriber; resolves once the hub let go of what it holds (a shared hub: its connections). */
  close(): Promise<void>;
  /** What the hub holds now, against its bounds (a shared hub may not know). */
  stats?(): HubStats;
}

/** What a hub holds, against its bounds: `wsmig_hub_*` metrics and the bounds tests read it. */
export interface HubStats {
  /** Channels known now (with or without subscribers and events). */
  channels: number;
  /** Of those, channels without subscribers: the first to go when a bound is reached. */
  idleChannels: number;
  /** The size of every kept event's JSON, summed ({@link ChannelEvent.size}). */
  replayBytes: number;
  maxChannels: number;
  maxReplayBytes: number;
  /** Channels forgotten early to stay within `maxChannels` / `maxReplayBytes` (not by their TTL). */
  evictedChannels: number;
  /** Kept events dropped from busy channels because idle channels alone could not make room. */
  trimmedEvents: number;
  /** New channels refused because every channel was busy (`TOO_MANY_CHANNELS`). */
  refusedChannels: number;
}

/** Default of {@link MemoryHubOptions.maxChannels}. */
export const DEFAULT_MAX_CHANNELS = 100_000;
/** Default of {@link MemoryHubOptions.maxReplayBytes}: 64 MiB. */
export const DEFAULT_MAX_REPLAY_BYTES = 64 * 1024 * 1024;

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
  /** Channels at once; beyond, the idle longest is forgotten, or a new one refused (`TOO_MANY_CHANNELS`). Default 100,000. */
  maxChannels?: number;
  /** Kept events' JSON summed over every channel; beyond, idle channels are forgotten, then busy ones' oldest events dropped. Default 64 MiB. */
  maxReplayBytes?: number;
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
  stats(): HubStats;
}

interface Channel {
  readonly name: string;
  seq: number;
  /** The kept events, oldest first, from `head` on (slots before `head` are spent; compacted as they pile up). */
  buffer: Array<ChannelEvent | undefined>;
  head: number;
  /** {@link ChannelEvent.size} of the kept events, summed. */
  bytes: number;
  subscribers: Set<HubSubscriber>;
  lastActiveMs: number;
}

/** Spent slots at the front of a channel's buffer before it is compacted (and only once they are half of it). */
const COMPACT_AFTER = 64;

function keptCount(channel: Channel): number {
  return channel.buffer.length - channel.head;
}

function keptEvents(channel: Channel): ChannelEvent[] {
  return channel.buffer.slice(channel.head) as ChannelEvent[];
}

function tooManyChannels(name: string, maxChannels: number): WsmigError {
  return new WsmigError(ErrorCode.tooManyChannels, `cannot open channel "${name}": the server holds ${maxChannels} channels, the most allowed, and every one has subscribers; retry later`);
}

/**
 * An in-memory {@link ChannelHub}. Its history lives as long as the process, unless it is saved
 * ({@link MemoryHub.snapshot}) and given back (`restore`) to the next one; otherwise give each
 * process a new epoch.
 */
export function createMemoryHub(options: MemoryHubOptions): MemoryHub {
  const clock = options.clock ?? Date.now;
  const capacity = options.replayBufferSize;
  const maxChannels = options.maxChannels ?? DEFAULT_MAX_CHANNELS;
  const maxReplayBytes = options.maxReplayBytes ?? DEFAULT_MAX_REPLAY_BYTES;
  const maxForgotten = options.maxForgottenChannels ?? 100_000;
  const changed = options.onChange ?? ((): void => undefined);
  const channels = new Map<string, Channel>();
  // Channels without subscribers, the one idle longest first: who goes first when a bound is reached.
  const idle = new Map<string, Channel>();
  // A forgotten channel that comes back continues its seq, so an old resume point can never match a
  // different history; if too many are remembered, a new epoch makes every old resume point a resync.
  const forgotten = new Map<string, number>(options.restore?.forgotten);
  const baseEpoch = options.restore?.baseEpoch ?? options.epoch;
  let epoch = options.restore?.epoch ?? options.epoch;
  let rotations = options.restore?.rotations ?? 0;
  let replayBytes = 0;
  const counts = { evictedChannels: 0, trimmedEvents: 0, refusedChannels: 0 };

  /** Moves a channel without subscribers to the end of the idle order (it was just active). */
  const touchIdle = (channel: Channel): void => {
    idle.delete(channel.name);
    if (channel.subscribers.size === 0) idle.set(channel.name, channel);
  };

  /** Forgets a channel without subscribers, remembering its seq (TTL sweep and eviction alike). */
  const forget = (channel: Channel): void => {
    channels.delete(channel.name);
    idle.delete(channel.name);
    replayBytes -= channel.bytes;
    if (channel.seq > 0) forgotten.set(channel.name, channel.seq);
  };

  const rotateIfTooManyForgotten = (): void => {
    if (forgotten.size <= maxForgotten) return;
    forgotten.clear();
    rotations += 1;
    epoch = `${baseEpoch}.${rotations}`;
  };

  /** Forgets the channel idle longest, other than `keep`; false when there is none. */
  const evictOldestIdle = (keep: Channel | undefined): boolean => {
    for (const channel of idle.values()) {
      if (channel === keep) continue;
      forget(channel);
      counts.evictedChannels += 1;
      rotateIfTooManyForgotten();
      return true;
    }
    return false;
  };

  const channelFor = (name: string): Channel => {
    let channel = channels.get(name);
    if (channel) return channel;
    if (channels.size >= maxChannels) {
      if (!evictOldestIdle(undefined)) {
        counts.refusedChannels += 1;
        throw tooManyChannels(name, maxChannels);
      }
      changed();
    }
    const seq = forgotten.get(name) ?? 0;
    forgotten.delete(name);
    channel = { name, seq, buffer: [], head: 0, bytes: 0, subscribers: new Set(), lastActiveMs: clock() };
    channels.set(name, channel);
    idle.set(name, channel);
    return channel;
  };

  const dropOldest = (channel: Channel): void => {
    const event = channel.buffer[channel.head] as ChannelEvent;
    channel.buffer[channel.head] = undefined;
    channel.head += 1;
    channel.bytes -= event.size;
    replayBytes -= event.size;
    if (channel.head >= COMPACT_AFTER && channel.head * 2 >= channel.buffer.length) {
      channel.buffer = channel.buffer.slice(channel.head);
      channel.head = 0;
    }
  };

  const remember = (event: ChannelEvent, channel: Channel): void => {
    if (capacity === 0) return;
    channel.buffer.push(event);
    channel.bytes += event.size;
    replayBytes += event.size;
    if (keptCount(channel) > capacity) dropOldest(channel);
  };

  /** Drops a channel's oldest kept events while the hub is over `maxReplayBytes`, keeping at least `keep` of them. */
  const trim = (channel: Channel, keep: number): void => {
    while (replayBytes > maxReplayBytes && keptCount(channel) > keep) {
      dropOldest(channel);
      counts.trimmedEvents += 1;
    }
  };

  /**
   * Back within `maxReplayBytes` after `current` kept an event: the channels idle longest go first;
   * if that is not enough, every channel is busy, and the oldest kept events go: `current`'s own
   * first (it is the one growing), then the others', then, if it alone is over, the new event.
   */
  const makeRoom = (current: Channel): void => {
    let evicted = false;
    while (replayBytes > maxReplayBytes && evictOldestIdle(current)) evicted = true;
    trim(current, 1);
    for (const channel of channels.values()) {
      if (replayBytes <= maxReplayBytes) break;
      if (channel !== current) trim(channel, 0);
    }
    trim(current, 0);
    if (evicted) changed();
  };

  const replayAfter = (channel: Channel, fromSeq: number): ChannelEvent[] | undefined => {
    const count = keptCount(channel);
    const wanted = channel.seq - fromSeq;
    if (wanted === 0) return [];
    if (wanted > count) return undefined;
    return channel.buffer.slice(channel.buffer.length - wanted) as ChannelEvent[];
  };

  // Restored channels enter the idle order by when they were last active, so the longest idle goes first.
  const restored = [...(options.restore?.channels ?? [])].sort(([, a], [, b]) => a.lastActiveMs - b.lastActiveMs);
  for (const [name, saved] of restored.slice(Math.max(0, restored.length - maxChannels))) {
    const channel: Channel = { name, seq: saved.seq, buffer: [], head: 0, bytes: 0, subscribers: new Set(), lastActiveMs: saved.lastActiveMs };
    // A smaller buffer than the one that saved the history keeps the newest events.
    for (const event of saved.events.slice(Math.max(0, saved.events.length - capacity))) remember(event, channel);
    channels.set(name, channel);
    idle.set(name, channel);
  }
  for (const [name, saved] of restored.slice(0, Math.max(0, restored.length - maxChannels))) if (saved.seq > 0) forgotten.set(name, saved.seq);
  while (replayBytes > maxReplayBytes && evictOldestIdle(undefined));

  const sweep = (): void => {
    const idleSince = clock() - options.channelTtlMs;
    let forgot = false;
    for (const channel of idle.values()) {
      if (channel.lastActiveMs > idleSince) continue;
      forget(channel);
      forgot = true;
    }
    rotateIfTooManyForgotten();
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
      touchIdle(channel);
      const event = new ChannelEvent(name, type, channel.seq, channel.lastActiveMs, epoch, payload, publishOptions?.eventId);
      remember(event, channel);
      if (replayBytes > maxReplayBytes) makeRoom(channel);
      for (const subscriber of channel.subscribers) subscriber.deliver(event);
      changed();
      return event;
    },
    subscribe: async (name, subscriber, resume) => {
      const channel = channelFor(name);
      channel.subscribers.add(subscriber);
      channel.lastActiveMs = clock();
      idle.delete(name);
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
      touchIdle(channel);
    },
    newestEvent: async (name) => {
      const channel = channels.get(name);
      return channel === undefined || keptCount(channel) === 0 ? undefined : channel.buffer[channel.buffer.length - 1];
    },
    snapshot: () => {
      const now = clock();
      const saved = new Map<string, ChannelSnapshot>();
      for (const [name, channel] of channels) {
        // A channel someone is subscribed to is active until the moment of the snapshot.
        saved.set(name, { seq: channel.seq, lastActiveMs: channel.subscribers.size > 0 ? now : channel.lastActiveMs, events: keptEvents(channel) });
      }
      return { epoch, baseEpoch, rotations, channels: saved, forgotten: new Map(forgotten) };
    },
    stats: () => ({ channels: channels.size, idleChannels: idle.size, replayBytes, maxChannels, maxReplayBytes, ...counts }),
    close: async () => {
      clearInterval(sweepTimer);
      for (const channel of channels.values()) channel.subscribers.clear();
    },
  };
}
