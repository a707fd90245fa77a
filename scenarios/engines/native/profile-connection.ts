/**
 * One load connection speaking a protocol profile on the native engine: the profile's conversation
 * (profiles/conversation.ts, the same code the k6 scripts bundle) over the shared reconnect and
 * recording code. Requests are timed until the reply that carries their id (or the next matching
 * message); events are checked by their sequence number and timed by their send timestamp — or,
 * without one, by the time between events (ws_event_interarrival), never passed off as a latency.
 */
import type { RawData } from 'ws';
import type { CompiledProfile } from '../../profiles/compile.js';
import { ProfileConversation, refusesClient, type ConversationPeer, type ProfileStats } from '../../profiles/conversation.js';
import { ReconnectingConnection, type ConnectionHost, type ReconnectPlan } from './reconnecting-connection.js';

/** What the profile connections of one worker share. */
export interface ProfileSession {
  readonly protocol: CompiledProfile;
  /** Whether connections subscribe (the scenario measures events). */
  readonly subscribes: boolean;
  readonly stats: ProfileStats;
}

export class ProfileConnection extends ReconnectingConnection implements ConversationPeer {
  private readonly conversation: ProfileConversation;
  private readonly errorCode: string;
  private handshakeTimer: NodeJS.Timeout | undefined;

  constructor(index: number, host: ConnectionHost, session: ProfileSession) {
    super(index, host, session.protocol.subprotocols, session.protocol.headers);
    this.errorCode = `${session.protocol.name} error reply`;
    this.conversation = new ProfileConversation(session.protocol, { index, subscribes: session.subscribes, stats: session.stats, now: () => host.now() }, this);
  }

  sendRequest(_sequence: number, intendedAt: number): boolean {
    const key = this.conversation.sendRequest();
    if (key === undefined) return false;
    this.pending.set(key, intendedAt);
    return true;
  }

  send(text: string): boolean {
    return this.sendText(text);
  }

  isPending(key: string): boolean {
    return this.pending.has(key);
  }

  oldestPending(): string | undefined {
    return this.pending.size === 0 ? undefined : (this.pending.keys().next().value as string);
  }

  answered(key: string, ok: boolean): void {
    if (!ok) this.host.noteRequestError(this.errorCode);
    this.settleRequest(key, ok);
  }

  sessionReady(): void {
    this.clearHandshakeTimer();
    this.becomeReady();
  }

  eventChecked(lost: number, duplicate: boolean): void {
    this.host.metrics.lost.add(lost);
    this.host.metrics.duplicated.add(duplicate ? 1 : 0);
  }

  eventLatency(ms: number): void {
    this.host.metrics.eventLatency.add(ms);
  }

  eventInterarrival(ms: number): void {
    this.host.metrics.eventInterarrival.add(ms);
  }

  protected opened(): void {
    const timeoutMs = this.conversation.opened();
    if (timeoutMs === undefined) return;
    this.handshakeTimer = setTimeout(() => {
      this.handshakeTimer = undefined;
      if (this.conversation.handshakeExpired()) this.cut();
    }, timeoutMs);
    this.handshakeTimer.unref();
  }

  protected reconnectPlan(code: number): ReconnectPlan {
    this.clearHandshakeTimer();
    return refusesClient(code) ? { stop: true } : { stop: false, slow: false, retryAfterMs: undefined };
  }

  protected override farewell(): void {
    this.conversation.farewell();
  }

  protected override closeFrame(): { code: number; reason: string } {
    return this.conversation.closeFrame;
  }

  protected received(data: RawData, isBinary: boolean): void {
    this.conversation.received(isBinary ? (data as Buffer).toString('utf8') : data.toString());
  }

  private clearHandshakeTimer(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
  }
}
