/**
 * One load connection on k6/websockets speaking a protocol profile: the profile's conversation
 * (scenarios/profiles/conversation.ts — the native engine's own code, bundled into the script) over
 * the shared socket, cut and reconnect code. It records what the native engine records on a
 * profile: each request timed to the reply that carries its id (or the next matching message), each
 * event checked by its sequence number and timed by its send time — or, without one, the time
 * between events, `ws_event_interarrival` — and nothing for what the profile cannot tell.
 */
import type { WebSocket } from 'k6/websockets';
import type { CompiledProfile } from '../../profiles/compile.js';
import { ProfileConversation, refusesClient, type ConversationPeer, type ProfileStats } from '../../profiles/conversation.js';
import type { ReconnectAction } from '../lib/reconnect.js';
import { wsEventInterarrival, wsEventLatency, wsMsgsDuplicated, wsMsgsLost } from './metrics.js';
import { ReconnectingConnection, type ConnectionSettings } from './reconnecting-connection.js';
import { utf8Text } from './utf8.js';

/** What the profile connections of one VU share. */
export interface ProfileSession {
  protocol: CompiledProfile;
  /** Whether connections subscribe (the scenario measures events). */
  subscribes: boolean;
  stats: ProfileStats;
}

export class ProfileConnection extends ReconnectingConnection implements ConversationPeer {
  private readonly conversation: ProfileConversation;
  private ready = false;

  constructor(settings: ConnectionSettings, session: ProfileSession) {
    super(settings);
    this.conversation = new ProfileConversation(session.protocol, { index: settings.index, subscribes: session.subscribes, stats: session.stats, now: () => Date.now() }, this);
  }

  sendRequest(intendedMs: number): boolean {
    if (!this.ready || this.finishing) return false;
    const key = this.conversation.sendRequest();
    if (key === undefined) return false;
    this.pending.add({ id: key, intendedMs });
    return true;
  }

  send(text: string): boolean {
    if (!this.isOpen || this.socket === undefined) return false;
    this.socket.send(text);
    return true;
  }

  isPending(key: string): boolean {
    return this.pending.has(key);
  }

  oldestPending(): string | undefined {
    return this.pending.oldestId();
  }

  answered(key: string, ok: boolean): void {
    this.answerRequest(key, Date.now(), ok);
  }

  sessionReady(): void {
    this.ready = true;
    this.becomeReady(Date.now());
  }

  eventChecked(lost: number, duplicate: boolean): void {
    wsMsgsLost.add(lost, this.settings.tags);
    wsMsgsDuplicated.add(duplicate ? 1 : 0, this.settings.tags);
  }

  eventLatency(ms: number): void {
    wsEventLatency.add(ms, this.settings.tags);
  }

  eventInterarrival(ms: number): void {
    wsEventInterarrival.add(ms, this.settings.tags);
  }

  protected onOpened(socket: WebSocket): void {
    this.ready = false;
    const timeoutMs = this.conversation.opened();
    if (timeoutMs === undefined) return;
    this.settings.timers.after(timeoutMs, () => {
      // An unanswered handshake: close and reconnect, as the native engine does.
      if (socket === this.socket && this.isOpen && this.conversation.handshakeExpired()) socket.close(1000, 'wsmig: handshake not answered');
    });
  }

  protected onText(text: string): void {
    this.conversation.received(text);
  }

  /** A binary message is read as UTF-8 text, as the native engine reads it; one that is not UTF-8 is counted as one the profile could not read. */
  protected override onBinary(data: ArrayBuffer): void {
    const text = utf8Text(data);
    if (text === undefined) this.conversation.unreadable();
    else this.conversation.received(text);
  }

  protected override onDisconnected(): void {
    this.ready = false;
  }

  protected reconnectActionFor(code: number | undefined): ReconnectAction {
    return code !== undefined && refusesClient(code) ? 'stop' : 'reconnect';
  }

  protected override farewell(): void {
    this.conversation.farewell();
  }

  protected override closeFrame(): { code: number; reason: string } {
    return this.conversation.closeFrame;
  }
}
