/**
 * The Redis channel hub: a {@link ChannelHub} whose history lives in Redis, so several instances
 * number one channel's events in one seq space, replay each other's events, and deliver every
 * event to their own subscribers in seq order, once.
 *
 * Per channel, Redis holds a hash (epoch, newest seq) and a stream (the kept events, entry id =
 * seq); one Lua script numbers, keeps, expires and publishes an event (see scripts.ts and
 * docs/redis.md). Each instance subscribes to the pub/sub topic of the channels it has local
 * subscribers on and moves a per-channel cursor: the next seq is delivered at once, an event
 * past a gap waits while the gap is read from the stream, an event already delivered is dropped.
 * After the subscriber connection comes back, every subscribed channel is caught up from its
 * stream, so events published during a blip are delivered, in order, once.
 *
 * When a channel's history is lost (keys expired or Redis restarted empty: a new epoch) or a gap
 * was trimmed before it could be read, live subscribers are told through `resync` (see
 * {@link HubSubscriber.resync}); one without that method gets the next events as they come.
 *
 * `newestEvent` asks Redis, so it knows every instance's publishes.
 */
import { ChannelEvent, type ChannelHub, type HubSubscriber, type ResumePoint, type SubscribeOutcome } from '../../hub.js';
import type { ResyncReason } from '../../../protocol/index.js';
import { silentLogger, type Logger } from '../../../../lib/logger.js';
import { messageOf } from '../../../../lib/errors.js';
import { connectAtStart, reconnectDelay, type RedisConnections } from './connection.js';
import { closedError, engineErrorOf } from './errors.js';
import { candidateEpoch, channelKeys, EpochCandidates, LuaScript, NEWEST_SCRIPT, PUBLISH_SCRIPT, READ_SCRIPT, streamEntriesOf, type ChannelKeys } from './scripts.js';

export interface RedisHubOptions {
  /** `redis://[[user]:password@]host[:port][/db]` (or `rediss://`). */
  url: string;
  /** Prepended to every key and topic, e.g. `wsmig:` (default). Several deployments can share one Redis with different prefixes. */
  prefix?: string;
  /** Events kept per channel (the stream's `MAXLEN ~`: Redis may keep a few more); 0 keeps none. */
  replayBufferSize: number;
  /** A channel's keys expire this long after its last event, or after the last instance with a subscriber on it let go, in ms. */
  channelTtlMs: number;
  logger?: Logger;
  /** This instance's label, the hub's `epoch` (channels have their own epochs, shared through Redis). Default: random. */
  epoch?: string;
  /** How long {@link createRedisHub} waits for the first connection, in ms (default 10,000). */
  connectTimeoutMs?: number;
  clock?: () => number;
}

/** A live subscriber that can be told its channel's history went on without it (see the module comment). */
export type ResyncingSubscriber = Required<HubSubscriber>;

/** A {@link ChannelHub} on Redis (`close()` resolves once its connections are closed, when it owns them). */
export type RedisHub = ChannelHub;

interface LocalSubscriber {
  /** The seq the subscriber has up to; undefined while its subscribe is being read. */
  lastSeq: number | undefined;
  /** Events delivered to it while its subscribe was being read. */
  pending: ChannelEvent[];
}

interface LocalChannel {
  readonly name: string;
  readonly keys: ChannelKeys;
  readonly subscribers: Map<HubSubscriber, LocalSubscriber>;
  /** The channel's epoch and the seq delivered up to, known after the first read. */
  epoch: string | undefined;
  delivered: number;
  /** Events that came before the cursor was known, or past a gap, by seq. */
  held: Map<number, ChannelEvent>;
  /** The pub/sub listener and its SUBSCRIBE. */
  listener: (message: string) => void;
  subscribed: Promise<void> | undefined;
  /** The channel's first read, which starts the cursor. */
  started: Promise<void> | undefined;
  catchingUp: boolean;
  catchUpAgain: boolean;
  retryTimer: NodeJS.Timeout | undefined;
  retries: number;
}

interface ChannelRead {
  epoch: string;
  seq: number;
  events: ChannelEvent[];
}

const publishScript = new LuaScript(PUBLISH_SCRIPT);
const readScript = new LuaScript(READ_SCRIPT);
const newestScript = new LuaScript(NEWEST_SCRIPT);

/** Parses an event published on a topic (the JSON of `ChannelEvent.json`). */
function eventOfMessage(message: string, channelPrefix: string): ChannelEvent | undefined {
  try {
    const e = JSON.parse(message) as { channel: string; type: string; seq: number; ts: number; epoch: string; eventId?: string; payload: unknown };
    // The message is the event's JSON: frames reuse it instead of serializing the payload again.
    const rest = message.startsWith(channelPrefix) ? message.slice(channelPrefix.length) : undefined;
    return new ChannelEvent(e.channel, e.type, e.seq, e.ts, e.epoch, e.payload, e.eventId, rest);
  } catch {
    return undefined;
  }
}

/** The seq and epoch of a topic message, read without parsing it (JSON strings cannot hold an unescaped `"`, so the first match is the event's own). */
const SEQ_AND_EPOCH = /,"seq":(\d+),"epoch":"([^"]*)"/;

function eventsOfEntries(channel: string, epoch: string, reply: unknown): ChannelEvent[] {
  return streamEntriesOf(reply).map(({ seq, fields }) => {
    const payload = fields.get('payload');
    return new ChannelEvent(channel, fields.get('type') ?? '', seq, Number(fields.get('ts') ?? 0), epoch, payload === undefined ? null : JSON.parse(payload), fields.get('eventId'));
  });
}

function readOf(channel: string, reply: unknown): ChannelRead {
  const [epoch, seq, entries] = reply as [unknown, unknown, unknown];
  return { epoch: String(epoch), seq: Number(seq), events: eventsOfEntries(channel, String(epoch), entries) };
}

/** What a subscribe answers, given the channel as read and the resume point asked for (the memory hub's rules). */
function outcomeOf(read: ChannelRead, resume: ResumePoint | undefined): SubscribeOutcome {
  const outcome: SubscribeOutcome = { epoch: read.epoch, seq: read.seq, replay: [], resync: undefined };
  if (resume === undefined) return outcome;
  if (resume.epoch !== undefined && resume.epoch !== read.epoch) outcome.resync = 'epoch-changed';
  else if (resume.fromSeq > read.seq) outcome.resync = 'future-seq';
  else if (resume.fromSeq < read.seq && read.events[0]?.seq !== resume.fromSeq + 1) outcome.resync = 'too-old';
  else outcome.replay = read.events;
  return outcome;
}

/**
 * Connects to Redis (waiting at most `connectTimeoutMs` for the first connection: an unreachable
 * Redis at start is an `ENGINE_UNAVAILABLE` error, not a hub that fails every call) and returns the hub.
 */
export async function createRedisHub(options: RedisHubOptions): Promise<RedisHub> {
  const logger = options.logger ?? silentLogger();
  const connections = await connectAtStart(options.url, logger, options.connectTimeoutMs);
  return new RedisChannelHub(options, logger, connections, true);
}

/** A Redis hub on connections the caller opened and closes (the engine shares them with its status store, leases and flag). */
export function redisHubOn(connections: RedisConnections, options: Omit<RedisHubOptions, 'url' | 'connectTimeoutMs'>): RedisHub {
  return new RedisChannelHub(options, options.logger ?? silentLogger(), connections, false);
}

class RedisChannelHub implements RedisHub {
  readonly epoch: string;
  private readonly prefix: string;
  private readonly clock: () => number;
  private readonly channels = new Map<string, LocalChannel>();
  private readonly candidates = new EpochCandidates();
  private readonly timer: NodeJS.Timeout;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly options: Omit<RedisHubOptions, 'url' | 'connectTimeoutMs'>,
    private readonly logger: Logger,
    private readonly redis: RedisConnections,
    private readonly ownsConnections: boolean,
  ) {
    this.epoch = options.epoch ?? candidateEpoch();
    this.prefix = options.prefix ?? 'wsmig:';
    this.clock = options.clock ?? Date.now;
    redis.onSubscriberReconnected(() => {
      for (const channel of this.channels.values()) void this.catchUp(channel);
    });
    // Channels with subscribers here stay alive in Redis.
    this.timer = setInterval(() => this.keepAlive(), Math.max(50, Math.min(options.channelTtlMs / 3, 60_000)));
    this.timer.unref();
  }

  async publish(name: string, type: string, payload: unknown, publishOptions?: { eventId?: string }): Promise<ChannelEvent> {
    if (this.closing) throw closedError(`publish on ${name}`);
    const keys = channelKeys(this.prefix, name);
    const ts = this.clock();
    const eventId = publishOptions?.eventId;
    const payloadJson = payload === undefined ? 'null' : JSON.stringify(payload);
    const head = `{"channel":${JSON.stringify(name)},"type":${JSON.stringify(type)},"seq":`;
    const tail = `,"ts":${ts},${eventId === undefined ? '' : `"eventId":${JSON.stringify(eventId)},`}"payload":${payloadJson}}`;
    const args = [this.candidates.next(), String(this.options.channelTtlMs), String(this.options.replayBufferSize), type, String(ts), payloadJson, eventId === undefined ? '0' : '1', eventId ?? '', keys.topic, head, tail];
    let reply: unknown;
    try {
      reply = await publishScript.run(this.redis.commands, [keys.meta, keys.stream], args);
    } catch (error) {
      throw engineErrorOf(error, `publish on ${name}`);
    }
    const [epoch, seq] = reply as [unknown, unknown];
    const event = new ChannelEvent(name, type, Number(seq), ts, String(epoch), payload, eventId);
    // The next event of a channel delivered here goes out now; its pub/sub echo is then a duplicate.
    const channel = this.channels.get(name);
    if (channel !== undefined && channel.epoch === event.epoch && event.seq === channel.delivered + 1) this.receive(channel, event);
    return event;
  }

  async subscribe(name: string, subscriber: HubSubscriber, resume?: ResumePoint): Promise<SubscribeOutcome> {
    if (this.closing) throw closedError(`subscribe to ${name}`);
    const channel = this.channelFor(name);
    const local: LocalSubscriber = { lastSeq: undefined, pending: [] };
    channel.subscribers.set(subscriber, local);
    let read: ChannelRead;
    try {
      read = await this.readForSubscribe(channel, resume);
    } catch (error) {
      this.unsubscribe(name, subscriber);
      throw engineErrorOf(error, `subscribe to ${name}`);
    }
    const outcome = outcomeOf(read, resume);
    if (channel.subscribers.get(subscriber) === local) {
      local.lastSeq = read.seq;
      const pending = local.pending;
      local.pending = [];
      for (const event of pending) this.deliverTo(subscriber, local, event);
    }
    return outcome;
  }

  unsubscribe(name: string, subscriber: HubSubscriber): void {
    const channel = this.channels.get(name);
    if (channel === undefined || !channel.subscribers.delete(subscriber) || channel.subscribers.size > 0) return;
    this.channels.delete(name);
    clearTimeout(channel.retryTimer);
    if (!this.closing) this.redis.subscriber.unsubscribe(channel.keys.topic, channel.listener).catch(() => undefined);
  }

  async newestEvent(name: string): Promise<ChannelEvent | undefined> {
    if (this.closing) throw closedError(`newest event of ${name}`);
    const keys = channelKeys(this.prefix, name);
    let reply: unknown;
    try {
      reply = await newestScript.run(this.redis.commands, [keys.meta, keys.stream], []);
    } catch (error) {
      throw engineErrorOf(error, `read the newest event of ${name}`);
    }
    if (!Array.isArray(reply) || reply.length < 3) return undefined;
    const read = readOf(name, reply);
    const event = read.events[0];
    return event?.seq === read.seq ? event : undefined;
  }

  close(): Promise<void> {
    this.closing ??= this.closeNow();
    return this.closing;
  }

  private async closeNow(): Promise<void> {
    clearInterval(this.timer);
    for (const channel of this.channels.values()) {
      clearTimeout(channel.retryTimer);
      channel.subscribers.clear();
    }
    this.channels.clear();
    if (this.ownsConnections) await this.redis.close();
  }

  private channelFor(name: string): LocalChannel {
    let channel = this.channels.get(name);
    if (channel !== undefined) return channel;
    const channelPrefix = `{"channel":${JSON.stringify(name)},`;
    const created: LocalChannel = {
      name,
      keys: channelKeys(this.prefix, name),
      subscribers: new Map(),
      epoch: undefined,
      delivered: 0,
      held: new Map(),
      listener: (message) => {
        // This instance's own publishes come back from the topic after it delivered them: drop those unparsed.
        const peek = SEQ_AND_EPOCH.exec(message);
        if (peek !== null && peek[2] === created.epoch && Number(peek[1]) <= created.delivered) return;
        const event = eventOfMessage(message, channelPrefix);
        if (event !== undefined) this.receive(created, event);
      },
      subscribed: undefined,
      started: undefined,
      catchingUp: false,
      catchUpAgain: false,
      retryTimer: undefined,
      retries: 0,
    };
    created.subscribed = this.redis.subscriber.subscribe(created.keys.topic, created.listener);
    // A failed SUBSCRIBE is the subscribe's error (awaited there); this keeps it from being unhandled meanwhile.
    created.subscribed.catch(() => undefined);
    this.channels.set(name, created);
    channel = created;
    return channel;
  }

  /**
   * The read of a subscribe. The channel's first one also starts its cursor, and the others wait
   * for that: every later read then sees at least the cursor's seq, so the cursor delivers every
   * event after it.
   */
  private async readForSubscribe(channel: LocalChannel, resume: ResumePoint | undefined): Promise<ChannelRead> {
    if (channel.started === undefined) {
      const first = (async () => {
        await channel.subscribed;
        const read = await this.read(channel, resume);
        this.startCursor(channel, read);
        return read;
      })();
      channel.started = first.then(() => undefined);
      channel.started.catch(() => undefined);
      return first;
    }
    await channel.started;
    let read = await this.read(channel, resume);
    if (read.epoch !== channel.epoch) {
      // The history changed since the cursor's last read: settle the cursor, then read again.
      await this.catchUp(channel);
      read = await this.read(channel, resume);
    }
    return read;
  }

  private async read(channel: LocalChannel, resume: ResumePoint | undefined, replaceEpoch = ''): Promise<ChannelRead> {
    const args = [this.candidates.next(), String(this.options.channelTtlMs), String(resume?.fromSeq ?? -1), resume?.epoch ?? '', replaceEpoch];
    const reply = await readScript.run(this.redis.commands, [channel.keys.meta, channel.keys.stream], args);
    return readOf(channel.name, reply);
  }

  /** Sets the cursor from the channel's first read and delivers what pub/sub brought meanwhile. */
  private startCursor(channel: LocalChannel, read: ChannelRead): void {
    channel.epoch = read.epoch;
    channel.delivered = read.seq;
    this.drainHeld(channel);
  }

  /** One event from pub/sub (or from this instance's own publish): delivered, held, or dropped. */
  private receive(channel: LocalChannel, event: ChannelEvent): void {
    if (channel.epoch === undefined) {
      channel.held.set(event.seq, event);
      return;
    }
    if (event.epoch !== channel.epoch) {
      // Another epoch: the history was lost and began again. The catch-up reads which epoch is current.
      channel.held.set(event.seq, event);
      void this.catchUp(channel);
      return;
    }
    if (event.seq <= channel.delivered) return;
    if (event.seq === channel.delivered + 1) {
      this.deliver(channel, event);
      this.drainHeld(channel);
      return;
    }
    channel.held.set(event.seq, event);
    void this.catchUp(channel);
  }

  /**
   * Delivers held events that now follow the cursor and forgets those behind it; one still past a
   * gap asks for a catch-up. After a read settled the epoch (`settled`), held events of other epochs go.
   */
  private drainHeld(channel: LocalChannel, settled = false): void {
    for (;;) {
      const next = channel.held.get(channel.delivered + 1);
      if (next === undefined || next.epoch !== channel.epoch) break;
      channel.held.delete(next.seq);
      this.deliver(channel, next);
    }
    let gap = false;
    for (const [seq, event] of channel.held) {
      if (event.epoch === channel.epoch ? seq <= channel.delivered : settled) channel.held.delete(seq);
      else gap = true;
    }
    if (gap) void this.catchUp(channel);
  }

  /** Advances the cursor by one event and hands it to every local subscriber. */
  private deliver(channel: LocalChannel, event: ChannelEvent): void {
    channel.delivered = event.seq;
    for (const [subscriber, local] of channel.subscribers) this.deliverTo(subscriber, local, event);
  }

  private deliverTo(subscriber: HubSubscriber, local: LocalSubscriber, event: ChannelEvent): void {
    if (local.lastSeq === undefined) {
      local.pending.push(event);
      return;
    }
    if (event.seq <= local.lastSeq) return;
    local.lastSeq = event.seq;
    try {
      subscriber.deliver(event);
    } catch (error) {
      this.logger.error({ err: error, channel: event.channel, seq: event.seq }, 'a hub subscriber threw on delivery');
    }
  }

  /**
   * Reads what the channel has past the cursor and delivers it (one read at a time per channel;
   * another request meanwhile reads again after). Failures retry with backoff while the channel
   * has subscribers here.
   */
  private async catchUp(channel: LocalChannel): Promise<void> {
    if (channel.epoch === undefined || this.closing) return;
    if (channel.catchingUp) {
      channel.catchUpAgain = true;
      return;
    }
    channel.catchingUp = true;
    try {
      do {
        channel.catchUpAgain = false;
        const from = channel.delivered;
        const read = await this.read(channel, { fromSeq: from, epoch: channel.epoch });
        await this.applyCatchUp(channel, read, from);
      } while (channel.catchUpAgain && this.channels.get(channel.name) === channel);
      channel.retries = 0;
    } catch (error) {
      if (this.closing || this.channels.get(channel.name) !== channel) return;
      const delay = reconnectDelay(channel.retries, 2_000);
      channel.retries += 1;
      this.logger.warn({ channel: channel.name, err: messageOf(error), retryInMs: delay }, 'could not catch the channel up from Redis: retrying');
      clearTimeout(channel.retryTimer);
      channel.retryTimer = setTimeout(() => void this.catchUp(channel), delay);
      channel.retryTimer.unref();
    } finally {
      channel.catchingUp = false;
    }
  }

  /** Applies a catch-up read made from seq `from` (pub/sub may have delivered more while it ran). */
  private async applyCatchUp(channel: LocalChannel, read: ChannelRead, from: number): Promise<void> {
    if (read.epoch !== channel.epoch) {
      this.resyncChannel(channel, 'epoch-changed', read);
      return;
    }
    if (read.seq < from) {
      // Redis came back with an older history under the same epoch (a restart that lost its last
      // writes): its seqs would name other events than the ones delivered. A new epoch, for everyone.
      this.logger.warn({ channel: channel.name, redisSeq: read.seq, delivered: channel.delivered }, 'Redis lost events of the channel: starting a new epoch');
      const renewed = await this.read(channel, undefined, channel.epoch ?? '');
      this.resyncChannel(channel, 'epoch-changed', renewed);
      return;
    }
    if (read.seq > channel.delivered && !read.events.some((event) => event.seq === channel.delivered + 1)) {
      this.resyncChannel(channel, 'too-old', read);
      return;
    }
    for (const event of read.events) if (event.seq === channel.delivered + 1) this.deliver(channel, event);
    this.drainHeld(channel, true);
  }

  /** The channel went on where its local subscribers cannot follow: they are told, and the cursor jumps to `read`. */
  private resyncChannel(channel: LocalChannel, reason: ResyncReason, read: ChannelRead): void {
    this.logger.warn({ channel: channel.name, reason, epoch: read.epoch, seq: read.seq }, 'live subscribers of the channel missed events: resync');
    channel.epoch = read.epoch;
    channel.delivered = read.seq;
    for (const [subscriber, local] of channel.subscribers) {
      if (local.lastSeq === undefined) continue;
      local.lastSeq = read.seq;
      try {
        subscriber.resync?.(reason, read.epoch, read.seq);
      } catch (error) {
        this.logger.error({ err: error, channel: channel.name }, 'a hub subscriber threw on resync');
      }
    }
    this.drainHeld(channel, true);
  }

  /** Refreshes the TTL of the channels subscribed here. */
  private keepAlive(): void {
    if (this.closing || !this.redis.commands.isReady) return;
    const ttl = String(this.options.channelTtlMs);
    for (const channel of this.channels.values()) {
      for (const key of [channel.keys.meta, channel.keys.stream]) this.redis.commands.sendCommand(['PEXPIRE', key, ttl]).catch(() => undefined);
    }
  }
}


