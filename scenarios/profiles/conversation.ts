/**
 * One load connection's side of a protocol profile, whatever engine holds the socket: what to send
 * when it opens (the handshake, then the subscribe), and what each message from the server is — the
 * cue of an automatic reply, the handshake's answer, a reply carrying a request's id, the
 * subscribe's ack, an event (checked by its sequence number, timed by its send time or, without
 * one, by the time since the previous event), a reply as "the next matching message", something
 * to ignore, or unrecognised. The native engine (engines/native/profile-connection.ts) and the k6
 * scripts (k6/runtime/profile-connection.ts, which bundle this file) both speak a profile through
 * it; the socket, the requests in flight and the recording stay with the engine (ConversationPeer).
 * No Node or k6 imports.
 */
import type { CompiledProfile } from './compile.js';
import { keyOf, valueAt } from './json-path.js';
import type { ReceivedMessage } from './matcher.js';
import type { TemplateValues } from './template.js';

/** What a connection's profile rules saw, for the "not measured" report. */
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

/** What the engine does for the conversation: its socket, its requests in flight, its recording. */
export interface ConversationPeer {
  /** Sends a text message if the socket is open; false when it is not. */
  send(text: string): boolean;
  /** Whether a request waiting for its reply has this key. */
  isPending(key: string): boolean;
  /** The key of the oldest request still waiting, if any. */
  oldestPending(): string | undefined;
  /** A reply (an error reply when `ok` is false) answered the request with this key. */
  answered(key: string, ok: boolean): void;
  /** The handshake was answered and the subscribe sent (and acknowledged, when the profile waits for an ack). */
  sessionReady(): void;
  /** An event carried a sequence number: `lost` events are missing before it, or it repeats one. */
  eventChecked(lost: number, duplicate: boolean): void;
  /** An event's delivery latency: receipt minus its send time, ms. */
  eventLatency(ms: number): void;
  /** Time since the previous event on this connection, ms: measured only for events without a send time. */
  eventInterarrival(ms: number): void;
}

export interface ConversationOptions {
  /** The connection's index in the run (`{{vu}}`). */
  index: number;
  /** Whether the scenario subscribes (it measures events). */
  subscribes: boolean;
  /** Shared by the connections of one worker (native) or one VU (k6). */
  stats: ProfileStats;
  /** Monotonic ms, for the time between events. Event latency compares wall clocks (Date.now). */
  now(): number;
}

type Phase = 'handshake' | 'subscribing' | 'ready';

/** The events of one session's subscription (or of a connection that receives events without subscribing). */
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
export function refusesClient(code: number): boolean {
  return code === 1002 || code === 1003 || code === 1007 || code === 1008 || (code >= 4400 && code <= 4499);
}

export class ProfileConversation {
  private phase: Phase = 'handshake';
  private nextId = 1;
  private requests = 0;
  private stream: EventStream | undefined;
  /** The sequence number of the last event this connection received, in any session: where a resume starts. */
  private resumeFrom: number | undefined;

  constructor(
    private readonly protocol: CompiledProfile,
    private readonly options: ConversationOptions,
    private readonly peer: ConversationPeer,
  ) {}

  /** The close frame the end of the run sends. */
  get closeFrame(): { code: number; reason: string } {
    return this.protocol.close;
  }

  /**
   * A socket opened: a new session. Sends the handshake, and the subscribe when there is no answer
   * to wait for. Returns how long to wait for the handshake's answer (then call
   * {@link handshakeExpired}), or undefined when the profile waits for none.
   */
  opened(): number | undefined {
    this.phase = 'handshake';
    const handshake = this.protocol.handshake;
    if (handshake?.send) this.peer.send(handshake.send.render(this.values(this.nextId++, 1)));
    if (handshake?.expect === undefined) {
      this.subscribeNow();
      return undefined;
    }
    return handshake.timeoutMs;
  }

  /** The handshake's wait is over: true when it was not answered (count it; the engine closes the socket and reconnects). */
  handshakeExpired(): boolean {
    if (this.phase !== 'handshake') return false;
    this.options.stats.handshakeTimeouts += 1;
    return true;
  }

  /**
   * Renders and sends the next request. Returns the key its reply is recognised by, or undefined
   * when the profile has no request or the socket could not send it.
   */
  sendRequest(): string | undefined {
    const request = this.protocol.request;
    if (request === undefined) return undefined;
    this.requests += 1;
    const values = this.values(this.nextId++, this.requests);
    if (!this.peer.send(request.send.render(values))) return undefined;
    // Replies recognised as "the next matching message" need only a unique key, taken in send order.
    return request.reply.idPath !== undefined && request.send.idKey ? request.send.idKey(values) : String(values.id);
  }

  /** The messages the end of the run sends before its close: the unsubscribe, and the profile's goodbye. */
  farewell(): void {
    const unsubscribe = this.protocol.unsubscribe;
    if (unsubscribe && this.stream?.id !== undefined) this.peer.send(unsubscribe.render(this.values(this.stream.id, 1)));
    if (this.protocol.close.send) this.peer.send(this.protocol.close.send.render(this.values(this.nextId++, 1)));
  }

  /** A message the server sent, tried in the order docs/load.md gives. */
  received(text: string): void {
    const message: ReceivedMessage = { text, json: parseJson(text) };
    for (const reply of this.protocol.autoReplies) {
      if (reply.match(message)) {
        this.peer.send(reply.send.render(this.values(this.nextId++, 1)));
        return;
      }
    }
    if (this.phase === 'handshake') {
      if (this.protocol.handshake?.expect?.(message)) this.subscribeNow();
      else this.options.stats.unrecognised += 1;
      return;
    }
    if (this.settleById(message)) return;
    if (this.phase === 'subscribing' && this.isSubscribeAck(message)) {
      this.enterReady();
      return;
    }
    if (this.protocol.events?.match(message)) {
      this.onEvent(message);
      return;
    }
    if (this.settleNextMatching(message)) return;
    if (this.protocol.ignore?.(message) !== true) this.options.stats.unrecognised += 1;
  }

  /** A message the profile cannot read (a binary frame where the engine has no UTF-8 decoder). */
  unreadable(): void {
    this.options.stats.unrecognised += 1;
  }

  private values(id: number, seq: number): TemplateValues {
    return { id, seq, vu: this.options.index };
  }

  private subscribeNow(): void {
    const subscribe = this.protocol.subscribe;
    // Without a resume each session starts a new stream: events missed while disconnected cannot be known.
    if (subscribe === undefined || !this.options.subscribes) {
      this.stream = { id: undefined, ackKey: '', lastSeq: undefined, lastEventAt: undefined };
      this.enterReady();
      return;
    }
    // With one, the stream goes on from the last event received: the first event after the cut is checked against it.
    const resuming = subscribe.resume !== undefined && this.resumeFrom !== undefined;
    const template = resuming ? (subscribe.resume as NonNullable<typeof subscribe.resume>) : subscribe.send;
    const values: TemplateValues = { ...this.values(this.nextId++, 1), lastSeq: this.resumeFrom ?? 0 };
    this.stream = { id: values.id, ackKey: template.idKey ? template.idKey(values) : String(values.id), lastSeq: resuming ? this.resumeFrom : undefined, lastEventAt: undefined };
    this.peer.send(template.render(values));
    if (subscribe.ack === undefined) this.enterReady();
    else this.phase = 'subscribing';
  }

  private enterReady(): void {
    this.phase = 'ready';
    this.peer.sessionReady();
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
    if (request?.reply.idPath === undefined) return false;
    const key = keyOf(valueAt(message.json, request.reply.idPath));
    if (key === undefined || !this.peer.isPending(key)) return false;
    this.settle(key, message);
    return true;
  }

  /** The next message matching the reply rule (or the error rule) answers the oldest request in flight. */
  private settleNextMatching(message: ReceivedMessage): boolean {
    const request = this.protocol.request;
    if (request?.reply.match === undefined) return false;
    const oldest = this.peer.oldestPending();
    if (oldest === undefined) return false;
    if (!request.reply.match(message) && request.error?.(message) !== true) return false;
    this.settle(oldest, message);
    return true;
  }

  private settle(key: string, message: ReceivedMessage): void {
    this.peer.answered(key, this.protocol.request?.error?.(message) !== true);
  }

  private onEvent(message: ReceivedMessage): void {
    const events = this.protocol.events;
    if (events === undefined) return;
    const stats = this.options.stats;
    stats.events += 1;
    const stream = this.stream;
    if (events.seqPath !== undefined) {
      const seq = valueAt(message.json, events.seqPath);
      if (typeof seq === 'number' && Number.isFinite(seq)) {
        stats.eventsWithSeq += 1;
        const last = stream?.lastSeq;
        const duplicate = last !== undefined && seq <= last;
        // Every checked event is a sample of both counters (0 when nothing is wrong).
        this.peer.eventChecked(last !== undefined && seq > last + 1 ? seq - last - 1 : 0, duplicate);
        if (duplicate) return;
        if (stream) stream.lastSeq = seq;
        this.resumeFrom = seq;
      }
    }
    if (events.timestampPath !== undefined) {
      const sentAtMs = timestampMs(valueAt(message.json, events.timestampPath), events.timestampScale);
      if (sentAtMs !== undefined) {
        stats.eventsWithTimestamp += 1;
        this.peer.eventLatency(Math.max(0, Date.now() - sentAtMs));
        return;
      }
    }
    const now = this.options.now();
    if (stream) {
      if (stream.lastEventAt !== undefined) this.peer.eventInterarrival(now - stream.lastEventAt);
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
