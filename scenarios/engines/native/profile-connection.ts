/**
 * One load connection speaking a protocol profile: the handshake, automatic replies (a protocol
 * ping), requests rendered from the profile's template and timed until the reply that carries
 * their id (or the next matching message), one subscription per connection, and its events: loss
 * and duplicates from their sequence number, latency from their send timestamp — or, without one,
 * the time between events (ws_event_interarrival), never passed off as a delivery latency.
 */
import type { RawData } from 'ws';
import { keyOf, valueAt } from '../../profiles/json-path.js';
import type { CompiledProfile } from '../../profiles/compile.js';
import type { ReceivedMessage } from '../../profiles/matcher.js';
import type { TemplateValues } from '../../profiles/template.js';
import { ReconnectingConnection, type ConnectionHost, type ReconnectPlan } from './reconnecting-connection.js';

/** What the profile connections of one worker share. */
export interface ProfileSession {
  readonly protocol: CompiledProfile;
  /** Whether connections subscribe (the scenario measures events). */
  readonly subscribes: boolean;
  readonly stats: ProfileStats;
}

/** What a worker's profile connections saw, for the "not measured" report. */
export interface ProfileStats {
  events: number;
  eventsWithSeq: number;
  eventsWithTimestamp: number;
  /** Messages no rule of the profile recognised. */
  unrecognised: number;
  handshakeTimeouts: number;
}

export function newProfileStats(): ProfileStats {
  return { events: 0, eventsWithSeq: 0, eventsWithTimestamp: 0, unrecognised: 0, handshakeTimeouts: 0 };
}

type Phase = 'handshake' | 'subscribing' | 'ready';

/** The events of one subscription (or of a connection that receives events without subscribing): where they stand. */
interface EventStream {
  /** The subscribe's id; undefined without a subscribe. */
  id: number | undefined;
  ackKey: string;
  lastSeq: number | undefined;
  lastEventAt: number | undefined;
}

/**
 * Close codes after which reconnecting would only repeat the refusal: protocol errors and policy
 * violations (RFC 6455 §7.4.1), and 4400–4499, which protocols such as graphql-transport-ws use
 * for a client the server will not serve (bad request, unauthorised, forbidden, bad subprotocol).
 */
function refusesClient(code: number): boolean {
  return code === 1002 || code === 1003 || code === 1007 || code === 1008 || (code >= 4400 && code <= 4499);
}

export class ProfileConnection extends ReconnectingConnection {
  private readonly protocol: CompiledProfile;
  private readonly stats: ProfileStats;
  private phase: Phase = 'handshake';
  private nextId = 1;
  private requests = 0;
  private stream: EventStream | undefined;
  private handshakeTimer: NodeJS.Timeout | undefined;

  constructor(
    index: number,
    host: ConnectionHost,
    private readonly session: ProfileSession,
  ) {
    super(index, host, session.protocol.subprotocols, session.protocol.headers);
    this.protocol = session.protocol;
    this.stats = session.stats;
  }

  sendRequest(_sequence: number, intendedAt: number): boolean {
    const request = this.protocol.request;
    if (request === undefined) return false;
    this.requests += 1;
    const values = this.values(this.nextId++, this.requests);
    if (!this.sendText(request.send.render(values))) return false;
    // Replies recognised as "the next matching message" need only a unique key, taken in send order.
    this.pending.set(request.reply.idPath !== undefined && request.send.idKey ? request.send.idKey(values) : String(values.id), intendedAt);
    return true;
  }

  protected opened(): void {
    this.phase = 'handshake';
    const handshake = this.protocol.handshake;
    if (handshake?.send) this.sendText(handshake.send.render(this.values(this.nextId++, 1)));
    if (handshake?.expect === undefined) {
      this.subscribeNow();
      return;
    }
    this.handshakeTimer = setTimeout(() => {
      this.handshakeTimer = undefined;
      if (this.phase !== 'handshake') return;
      this.stats.handshakeTimeouts += 1;
      this.cut();
    }, handshake.timeoutMs);
    this.handshakeTimer.unref();
  }

  protected reconnectPlan(code: number): ReconnectPlan {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    return refusesClient(code) ? { stop: true } : { stop: false, slow: false, retryAfterMs: undefined };
  }

  protected override farewell(): void {
    const unsubscribe = this.protocol.unsubscribe;
    if (unsubscribe && this.stream?.id !== undefined) this.sendText(unsubscribe.render(this.values(this.stream.id, 1)));
    if (this.protocol.close.send) this.sendText(this.protocol.close.send.render(this.values(this.nextId++, 1)));
  }

  protected override closeFrame(): { code: number; reason: string } {
    return { code: this.protocol.close.code, reason: this.protocol.close.reason };
  }

  protected received(data: RawData, isBinary: boolean): void {
    const text = isBinary ? (data as Buffer).toString('utf8') : data.toString();
    const message: ReceivedMessage = { text, json: parseJson(text) };
    for (const reply of this.protocol.autoReplies) {
      if (reply.match(message)) {
        this.sendText(reply.send.render(this.values(this.nextId++, 1)));
        return;
      }
    }
    if (this.phase === 'handshake') {
      if (this.protocol.handshake?.expect?.(message)) {
        if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
        this.handshakeTimer = undefined;
        this.subscribeNow();
      } else this.stats.unrecognised += 1;
      return;
    }
    if (this.settleById(message)) return;
    if (this.phase === 'subscribing' && this.isSubscribeAck(message)) {
      this.enterReady();
      return;
    }
    const events = this.protocol.events;
    if (events?.match(message)) {
      this.onEvent(message);
      return;
    }
    if (this.settleNextMatching(message)) return;
    if (this.protocol.ignore?.(message) !== true) this.stats.unrecognised += 1;
  }

  private values(id: number, seq: number): TemplateValues {
    return { id, seq, vu: this.index };
  }

  private subscribeNow(): void {
    const subscribe = this.protocol.subscribe;
    // Each session starts a new stream: events missed while disconnected cannot be known without a resume.
    if (subscribe === undefined || !this.session.subscribes) {
      this.stream = { id: undefined, ackKey: '', lastSeq: undefined, lastEventAt: undefined };
      this.enterReady();
      return;
    }
    const values = this.values(this.nextId++, 1);
    this.stream = { id: values.id, ackKey: subscribe.send.idKey ? subscribe.send.idKey(values) : String(values.id), lastSeq: undefined, lastEventAt: undefined };
    this.sendText(subscribe.send.render(values));
    if (subscribe.ack === undefined) this.enterReady();
    else this.phase = 'subscribing';
  }

  private enterReady(): void {
    this.phase = 'ready';
    this.becomeReady();
  }

  private isSubscribeAck(message: ReceivedMessage): boolean {
    const ack = this.protocol.subscribe?.ack;
    if (ack === undefined || this.stream === undefined) return false;
    if (ack.idPath !== undefined) return keyOf(valueAt(message.json, ack.idPath)) === this.stream.ackKey;
    return ack.match?.(message) === true;
  }

  /** A reply carrying the id of a request in flight. */
  private settleById(message: ReceivedMessage): boolean {
    const request = this.protocol.request;
    if (request?.reply.idPath === undefined || this.pending.size === 0) return false;
    const key = keyOf(valueAt(message.json, request.reply.idPath));
    if (key === undefined || !this.pending.has(key)) return false;
    this.settle(key, message);
    return true;
  }

  /** The next message matching the reply rule (or the error rule) answers the oldest request in flight. */
  private settleNextMatching(message: ReceivedMessage): boolean {
    const request = this.protocol.request;
    if (request?.reply.match === undefined || this.pending.size === 0) return false;
    if (!request.reply.match(message) && request.error?.(message) !== true) return false;
    this.settle(this.pending.keys().next().value as string, message);
    return true;
  }

  private settle(key: string, message: ReceivedMessage): void {
    const failed = this.protocol.request?.error?.(message) === true;
    if (failed) this.host.noteRequestError(`${this.protocol.name} error reply`);
    this.settleRequest(key, !failed);
  }

  private onEvent(message: ReceivedMessage): void {
    const events = this.protocol.events;
    if (events === undefined) return;
    const stats = this.stats;
    const metrics = this.host.metrics;
    stats.events += 1;
    const stream = this.stream;
    if (events.seqPath !== undefined) {
      const seq = valueAt(message.json, events.seqPath);
      if (typeof seq === 'number' && Number.isFinite(seq)) {
        stats.eventsWithSeq += 1;
        const last = stream?.lastSeq;
        const duplicate = last !== undefined && seq <= last;
        // Every checked event is a sample of both counters (adding 0 when nothing is wrong).
        metrics.lost.add(last !== undefined && seq > last + 1 ? seq - last - 1 : 0);
        metrics.duplicated.add(duplicate ? 1 : 0);
        if (duplicate) return;
        if (stream) stream.lastSeq = seq;
      }
    }
    if (events.timestampPath !== undefined) {
      const sentAtMs = timestampMs(valueAt(message.json, events.timestampPath), events.timestampScale);
      if (sentAtMs !== undefined) {
        stats.eventsWithTimestamp += 1;
        metrics.eventLatency.add(Math.max(0, Date.now() - sentAtMs));
        return;
      }
    }
    const now = this.host.now();
    if (stream) {
      if (stream.lastEventAt !== undefined) metrics.eventInterarrival.add(now - stream.lastEventAt);
      stream.lastEventAt = now;
    }
  }
}

function parseJson(text: string): unknown {
  const first = text.charCodeAt(0);
  // Only objects and arrays carry paths; anything else is matched as text.
  if (first !== 123 /* { */ && first !== 91 /* [ */) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A send time in ms since the epoch: a number in the profile's unit, or a date string. */
function timestampMs(value: unknown, scale: number): number | undefined {
  if (typeof value === 'number' && Number.isFinite(value)) return value * scale;
  if (typeof value === 'string') {
    const parsed = Date.parse(value);
    return Number.isNaN(parsed) ? undefined : parsed;
  }
  return undefined;
}
