/**
 * One client of the reconnect-storm benchmark, on a bare `ws` socket: subscribes to its chat's sync
 * channel, starts the sync, and after a disconnect reconnects (full-jitter backoff) and resubscribes
 * with `fromSeq`/`epoch`, handling `resync`. It checks what it receives: within a subscription every
 * event's seq is exactly the previous one plus 1, and the sync ends with a complete.
 */
import { WebSocket } from 'ws';
import { reconnectDelayFor } from '../../reference/client/backoff.js';
import { MessageType, encodeFrame, syncChannel, type ResyncPayload, type SubscribeReply, type SyncProgressEvent, type SyncStatusReply, type WSMessage } from '../../reference/protocol/index.js';

const BACKOFF_BASE_MS = 50;
const BACKOFF_CAP_MS = 1_000;

export class StormClient {
  /** Seq gaps or repeats seen within a subscription (must stay 0). */
  seqErrors = 0;
  /** Progress events whose `processed` was not above what the client already knew (delivered again after a restart; SyncManager drops them). */
  repeatedProgress = 0;
  completed = false;
  private lastSeq = 0;
  private epoch: string | undefined;
  private processed = 0;
  private attempt = 0;
  private ws: WebSocket | undefined;
  private wantSeq: number | undefined;
  private stopped = false;
  private readonly channel: string;
  private readonly urls: readonly string[];
  private urlIndex = 0;

  /** `url`: one server, or several instances (a reconnect tries the next one, as a proxy would send it elsewhere). */
  constructor(
    url: string | readonly string[],
    private readonly chatId: number,
    private readonly onResubscribed: () => void,
  ) {
    this.channel = syncChannel(chatId);
    this.urls = typeof url === 'string' ? [url] : url;
  }

  /** Connects, subscribes and starts the sync. */
  start(): Promise<void> {
    return new Promise((resolve, reject) => {
      const ws = this.open();
      ws.once('open', () => {
        ws.send(encodeFrame({ id: 's', channel: this.channel, type: MessageType.subscribe, payload: null }));
        ws.send(encodeFrame({ id: 'start', channel: 'sync', type: MessageType.syncStart, payload: { chatId: this.chatId } }));
        resolve();
      });
      ws.once('error', reject);
    });
  }

  stop(): void {
    this.stopped = true;
    this.ws?.terminate();
  }

  private open(): WebSocket {
    const ws = new WebSocket(this.urls[this.urlIndex % this.urls.length] as string, { perMessageDeflate: false });
    this.ws = ws;
    ws.on('message', (data) => this.onMessage(JSON.parse(String(data)) as WSMessage));
    ws.on('error', () => undefined);
    ws.on('close', () => {
      if (!this.stopped && this.ws === ws) this.reconnectLater();
    });
    return ws;
  }

  private reconnectLater(): void {
    // The reference client's backoff (full jitter, clamped first): a herd of clients spreads out instead of re-forming.
    const delayMs = reconnectDelayFor(this.attempt, { baseDelayMs: BACKOFF_BASE_MS, maxDelayMs: BACKOFF_CAP_MS });
    this.attempt += 1;
    this.urlIndex += 1;
    setTimeout(() => {
      if (this.stopped) return;
      const ws = this.open();
      ws.once('open', () => {
        const payload = this.epoch === undefined ? null : { fromSeq: this.lastSeq, epoch: this.epoch };
        ws.send(encodeFrame({ id: 'r', channel: this.channel, type: MessageType.subscribe, payload }));
      });
    }, delayMs);
  }

  private onMessage(message: WSMessage): void {
    if (message.channel !== this.channel) return;
    switch (message.type) {
      case MessageType.reply: {
        const reply = message.payload as SubscribeReply;
        this.epoch = reply.epoch;
        // The replayed events (the last `replayed` before `seq`) follow the reply.
        this.wantSeq = reply.seq - reply.replayed + 1;
        this.lastSeq = reply.seq - reply.replayed;
        if (message.id === 'r') {
          this.attempt = 0;
          this.onResubscribed();
        }
        return;
      }
      case MessageType.resync: {
        const resync = message.payload as ResyncPayload<SyncStatusReply>;
        this.wantSeq = resync.seq + 1;
        this.lastSeq = resync.seq;
        if (resync.snapshot) {
          this.processed = Math.max(this.processed, resync.snapshot.processed);
          if (resync.snapshot.syncStatus === 'completed') this.completed = true;
        }
        return;
      }
      case MessageType.syncProgress:
      case MessageType.syncComplete:
      case MessageType.syncError: {
        const seq = message.seq as number;
        if (this.wantSeq !== undefined && seq !== this.wantSeq) this.seqErrors += 1;
        this.wantSeq = seq + 1;
        this.lastSeq = seq;
        this.epoch = message.epoch;
        if (message.type === MessageType.syncProgress) {
          const { processed } = message.payload as SyncProgressEvent;
          if (processed <= this.processed) this.repeatedProgress += 1;
          this.processed = Math.max(this.processed, processed);
        } else if (message.type === MessageType.syncComplete) this.completed = true;
        return;
      }
    }
  }
}
