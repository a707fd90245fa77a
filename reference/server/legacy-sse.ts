/**
 * The legacy SSE endpoints apps are migrating away from, and which a rollback returns to:
 * `POST /commands/sync` (fetch + stream reader) and `GET /api/sync/:chatId/events` (`EventSource`,
 * `Last-Event-ID` resume). Both read the same channel hub as WebSocket subscriptions, so event ids
 * (`<epoch>-<seq>`) are the WebSocket seqs and a client can switch transports mid-sync without loss.
 *
 * Bounded: one client (its identity with `identities`, else its IP address) holds at most
 * `maxSseStreamsPerClient` streams (429 `TOO_MANY_STREAMS` beyond), and every open stream gets a
 * `: keep-alive` comment each `sseKeepAliveMs`, so a client can tell a silent stream from a dead one.
 * With `identities`, a token's identity reads and starts its own chats only (403 `FORBIDDEN`).
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import {
  ErrorCode,
  HttpErrorCode,
  SSE_EVENT_FOR_TYPE,
  chatIdProblem,
  formatEventId,
  parseEventId,
  syncChannel,
  syncStartProblem,
  type ChatId,
  type ResyncPayload,
  type SyncStartPayload,
} from '../protocol/index.js';
import { isWsmigError, messageOf } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import { presentedToken } from './auth.js';
import { DelayQueue } from './delay-queue.js';
import { HttpError, readJsonBody, sendError } from './http-util.js';
import type { ChannelEvent, HubSubscriber, ResumePoint, SubscribeOutcome } from './hub.js';
import { identityName, mayTouchChat, type ChatIdentity } from './identities.js';
import type { ServerContext } from './server-context.js';
import { formatSseComment, formatSseEvent } from './sse-format.js';
import { chatIdFromText } from '../protocol/index.js';
import { isFinalStatus } from './sync-service.js';

/** `endpoint` label values of `wsmig_sse_streams`. */
const SSE_ENDPOINT = { commands: '/commands/sync', events: '/api/sync/:chatId/events' } as const;
type SseEndpoint = (typeof SSE_ENDPOINT)[keyof typeof SSE_ENDPOINT];

const END = Symbol('end');

/** One open event stream: a hub subscriber writing SSE frames, holding events back until it is opened. */
class SseStream implements HubSubscriber {
  /** When set, only this run's final event ends the stream. */
  runId: string | undefined;
  private opened = false;
  private live = false;
  private ended = false;
  private pending: ChannelEvent[] | undefined;
  private lastSeq = 0;
  private keepAlive: NodeJS.Timeout | undefined;
  private delayed: DelayQueue<string | typeof END> | undefined;

  constructor(
    private readonly res: ServerResponse,
    readonly channel: string,
    private readonly endpoint: SseEndpoint,
    private readonly ctx: ServerContext,
    private readonly onEnd: (stream: SseStream) => void,
  ) {
    // A client gone before its stream was set up (e.g. while its body was read) must not hold a place in its cap.
    if (res.destroyed || res.closed) queueMicrotask(() => this.cleanUp());
    else res.on('close', () => this.cleanUp());
  }

  deliver(event: ChannelEvent): void {
    if (this.ended) return;
    if (!this.live) (this.pending ??= []).push(event);
    else this.writeEvent(event);
  }

  /**
   * The shared hub lost history this stream had not sent (Redis came back empty): the stream ends,
   * and the client's reconnect with `Last-Event-ID` gets the `resync` event with the chat's status.
   */
  resync(): void {
    this.end();
  }

  /** Sends the response head and starts the keep-alive comments. */
  open(headers: OutgoingHttpHeaders): void {
    if (this.ended || this.opened) return;
    this.res.writeHead(200, {
      ...headers,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      // nginx buffers responses unless told not to.
      'x-accel-buffering': 'no',
    });
    this.res.flushHeaders();
    this.opened = true;
    this.ctx.metrics.sseStreams.inc({ endpoint: this.endpoint });
    this.keepAlive = setInterval(() => this.write(formatSseComment('keep-alive')), this.ctx.options.sseKeepAliveMs);
  }

  /** Sends what arrived while the stream was being set up (after `afterSeq`), then delivers live. */
  goLive(afterSeq: number): void {
    this.lastSeq = Math.max(this.lastSeq, afterSeq);
    this.live = true;
    const pending = this.pending;
    this.pending = undefined;
    if (pending) for (const event of pending) this.writeEvent(event);
  }

  /** Writes an event, ending the stream after the run's final one. */
  writeEvent(event: ChannelEvent): void {
    if (this.ended || event.seq <= this.lastSeq) return;
    this.lastSeq = event.seq;
    const name = SSE_EVENT_FOR_TYPE[event.type as keyof typeof SSE_EVENT_FOR_TYPE] ?? event.type;
    this.write(formatSseEvent({ id: formatEventId(event.epoch, event.seq), event: name, data: event.payloadJson }));
    const final = event.type === 'sync:complete' || event.type === 'sync:error';
    if (final && (this.runId === undefined || (event.payload as { runId?: string }).runId === this.runId)) this.end();
  }

  /** Writes a `resync` event: the client missed events it cannot get back; here is the current state. */
  writeResync(payload: ResyncPayload): void {
    if (this.ended) return;
    this.lastSeq = Math.max(this.lastSeq, payload.seq);
    this.write(formatSseEvent({ id: formatEventId(payload.epoch, payload.seq), event: 'resync', data: JSON.stringify(payload) }));
  }

  /** Ends the stream (after anything still delayed by an injected latency); one not opened yet is refused with 503. */
  end(): void {
    if (this.ended) return;
    this.detach();
    if (!this.opened) {
      if (!this.res.headersSent) sendError(this.res, new HttpError(503, ErrorCode.draining, 'the server is stopping: retry in a moment'));
      return;
    }
    if (this.delayed?.busy) this.delayed.push(END, 0);
    else this.res.end();
  }

  /** True once the stream was ended or detached (e.g. by a drain while its handler was waiting). */
  get isEnded(): boolean {
    return this.ended;
  }

  /** Stops receiving events without answering: the handler answers the request itself. */
  detach(): void {
    this.ended = true;
    this.ctx.hub.unsubscribe(this.channel, this);
  }

  private write(text: string): void {
    if (this.res.writableEnded) return;
    const latencyMs = this.ctx.faults.latencyMs;
    if (latencyMs > 0 || this.delayed?.busy) {
      this.delayed ??= new DelayQueue((item) => (item === END ? this.res.end() : this.writeNow(item)));
      this.delayed.push(text, latencyMs);
      return;
    }
    this.writeNow(text);
  }

  private writeNow(text: string): void {
    if (this.res.destroyed || this.res.writableEnded) return;
    this.res.write(text);
    if (this.res.writableLength > this.ctx.options.slowConsumerBytes) {
      this.ctx.metrics.slowConsumerCloses.inc();
      this.ctx.logger.warn({ endpoint: this.endpoint, channel: this.channel }, 'closing a slow SSE consumer');
      this.res.destroy();
    }
  }

  private cleanUp(): void {
    this.ended = true;
    this.ctx.hub.unsubscribe(this.channel, this);
    clearInterval(this.keepAlive);
    this.delayed?.clear();
    if (this.opened) this.ctx.metrics.sseStreams.dec({ endpoint: this.endpoint });
    this.onEnd(this);
  }
}

/** A start refused because the server began draining meanwhile, or runs `maxRunningSyncs` already, answers 503. */
function httpErrorForDraining(error: unknown): never {
  if (isWsmigError(error) && error.code === ErrorCode.draining) throw new HttpError(503, ErrorCode.draining, error.message);
  if (isWsmigError(error) && error.code === ErrorCode.tooManySyncs) throw new HttpError(503, ErrorCode.tooManySyncs, error.message, { 'retry-after': '5' });
  throw error;
}

/** A hub that cannot open the stream's channel (every channel busy) answers 503 `TOO_MANY_CHANNELS`; the stream is dropped. */
function httpErrorForHub(stream: SseStream, error: unknown): never {
  stream.detach();
  if (isWsmigError(error) && error.code === ErrorCode.tooManyChannels) throw new HttpError(503, ErrorCode.tooManyChannels, error.message, { 'retry-after': '5' });
  throw error;
}

export class LegacySse {
  private readonly streams = new Set<SseStream>();
  /** Open streams per client key (identity or IP address); a key leaves when its last stream ends. */
  private readonly perClient = new Map<string, number>();
  /** Each endpoint's `wsmig_sse_request_duration_seconds` counts, kept here so a request looks nothing up. */
  private readonly requestDurations: Record<'commands' | 'events', { observe(seconds: number): void }>;

  constructor(private readonly ctx: ServerContext) {
    this.requestDurations = { commands: ctx.metrics.sseRequestCounts(SSE_ENDPOINT.commands), events: ctx.metrics.sseRequestCounts(SSE_ENDPOINT.events) };
  }

  /**
   * Records how long a request took to be answered (its stream's head, or its refusal), in ms; the
   * injected latency is added, as it delays the stream's first event (the WebSocket replies' histogram adds it too).
   */
  observeRequestMs(kind: 'commands' | 'events', durationMs: number): void {
    this.requestDurations[kind].observe((durationMs + this.ctx.faults.latencyMs) / 1000);
  }

  /** Open streams. */
  get size(): number {
    return this.streams.size;
  }

  /** Which SSE endpoint a request is for, if any. */
  handles(method: string, pathname: string): 'commands' | 'events' | undefined {
    if (pathname === '/commands/sync' && method === 'POST') return 'commands';
    if (method === 'GET' && /^\/api\/sync\/[^/]+\/events$/.test(pathname)) return 'events';
    return undefined;
  }

  /** `POST /commands/sync`: starts (or joins) the chat's sync and streams it to the end. */
  async commandsSync(req: IncomingMessage, res: ServerResponse, headers: OutgoingHttpHeaders): Promise<void> {
    this.refuseWhileDraining();
    const identity = this.identityOf(req);
    const body = await readJsonBody(req, this.ctx.options.maxPayloadBytes);
    const problem = syncStartProblem(body);
    if (problem !== undefined) throw new HttpError(400, ErrorCode.invalidPayload, `${problem}; send {"chatId": 42, "options": {...}}`);
    const { chatId, options } = body as SyncStartPayload;
    this.checkChat(identity, chatId);
    const stream = this.track(res, syncChannel(chatId), SSE_ENDPOINT.commands, this.clientKey(req, identity));
    const outcome = await this.ctx.hub.subscribe(stream.channel, stream).catch((error: unknown) => httpErrorForHub(stream, error));
    if (stream.isEnded) {
      stream.detach(); // it may have subscribed after the client left: the channel must not stay busy
      return;
    }
    try {
      const reply = await this.ctx.sync.start(chatId, options ?? {}).catch(httpErrorForDraining);
      stream.runId = reply.runId;
    } catch (error) {
      stream.detach();
      throw error;
    }
    stream.open(headers);
    stream.goLive(outcome.seq);
  }

  /** `GET /api/sync/:chatId/events[?start=1]`: the chat's events, resumable with `Last-Event-ID`. */
  async events(req: IncomingMessage, res: ServerResponse, url: URL, headers: OutgoingHttpHeaders): Promise<void> {
    this.refuseWhileDraining();
    const identity = this.identityOf(req);
    let raw: string;
    try {
      raw = decodeURIComponent(url.pathname.split('/')[3] ?? '');
    } catch {
      throw new HttpError(400, ErrorCode.invalidPayload, 'bad percent-encoding in the chat id');
    }
    const problem = chatIdProblem(raw);
    if (problem !== undefined) throw new HttpError(400, ErrorCode.invalidPayload, `bad chat id in the path: ${problem}`);
    const chatId = chatIdFromText(raw);
    this.checkChat(identity, chatId);
    const start = ['1', 'true'].includes(url.searchParams.get('start') ?? '');
    const lastEventId = req.headers['last-event-id'] ?? url.searchParams.get('lastEventId') ?? undefined;
    const { hub, sync } = this.ctx;
    // A malformed Last-Event-ID cannot be resumed from: an impossible epoch makes it a resync.
    const parsed = lastEventId === undefined ? undefined : parseEventId(String(lastEventId));
    const resume: ResumePoint | undefined = lastEventId === undefined ? undefined : parsed ? { fromSeq: parsed.seq, epoch: parsed.epoch } : { fromSeq: 0, epoch: '' };

    const stream = this.track(res, syncChannel(chatId), SSE_ENDPOINT.events, this.clientKey(req, identity));
    const outcome: SubscribeOutcome = await hub.subscribe(stream.channel, stream, resume).catch((error: unknown) => httpErrorForHub(stream, error));
    const status = await sync.status(chatId);
    const live = sync.isRunning(chatId);
    const finished = isFinalStatus(status.syncStatus);
    if (stream.isEnded) {
      stream.detach(); // it may have subscribed after the client left: the channel must not stay busy
      return;
    }
    if (resume !== undefined && !live && finished && outcome.resync === undefined && outcome.replay.length === 0) {
      // The client has seen the end of the run: 204 tells EventSource to stop reconnecting.
      stream.detach();
      res.writeHead(204, headers).end();
      return;
    }
    if (start && !live && !(resume !== undefined && finished)) {
      await sync.start(chatId, {}).catch((error: unknown) => {
        stream.detach();
        httpErrorForDraining(error);
      });
    }
    if (outcome.resync !== undefined) this.ctx.metrics.resyncs.inc({ reason: outcome.resync });
    if (outcome.replay.length > 0) this.ctx.metrics.replayedEvents.inc(outcome.replay.length);
    stream.open(headers);
    if (outcome.resync !== undefined) stream.writeResync({ reason: outcome.resync, epoch: outcome.epoch, seq: outcome.seq, snapshot: await sync.status(chatId) });
    for (const event of outcome.replay) stream.writeEvent(event);
    stream.goLive(outcome.seq);
    if (outcome.resync !== undefined && finished && !sync.isRunning(chatId)) stream.end();
  }

  /** Ends every stream (drain, shutdown); clients reconnect with `Last-Event-ID`. */
  endAll(): void {
    for (const stream of this.streams) stream.end();
  }

  private refuseWhileDraining(): void {
    if (this.ctx.isDraining()) throw new HttpError(503, ErrorCode.draining, 'the server is draining: retry on another instance or in a moment');
  }

  /**
   * The identity of the request's token when identities are configured (`undefined` without them).
   * @throws HttpError 401 `UNAUTHORIZED` for a token that is no one's.
   */
  private identityOf(req: IncomingMessage): ChatIdentity | undefined {
    const { identities, allowQueryToken } = this.ctx.options;
    if (identities === undefined) return undefined;
    const identity = identities.identityOf(presentedToken(req, new URL(req.url ?? '/', 'http://localhost'), { allowQuery: allowQueryToken }));
    if (identity === undefined) throw new HttpError(401, HttpErrorCode.unauthorized, 'a token with an identity is required: send "Authorization: Bearer <token>"', { 'www-authenticate': 'Bearer' });
    return identity;
  }

  /** @throws HttpError 403 `FORBIDDEN` when identities are configured and the chat is not the identity's. */
  private checkChat(identity: ChatIdentity | undefined, chatId: ChatId): void {
    if (this.ctx.options.identities === undefined || mayTouchChat(identity, chatId)) return;
    throw new HttpError(403, ErrorCode.forbidden, `chat ${chatId} is not one of ${identityName(identity)}'s chats`);
  }

  /** Whom a stream counts against: the identity when there is one, else the peer's IP address (a proxy's peers share its address). */
  private clientKey(req: IncomingMessage, identity: ChatIdentity | undefined): string {
    return identity === undefined ? `ip:${req.socket.remoteAddress ?? 'unknown'}` : `id:${identity.id}`;
  }

  /** Registers a stream against its client's cap. @throws HttpError 429 `TOO_MANY_STREAMS` when the client holds the most allowed. */
  private track(res: ServerResponse, channel: string, endpoint: SseEndpoint, client: string): SseStream {
    const open = this.perClient.get(client) ?? 0;
    const max = this.ctx.options.maxSseStreamsPerClient;
    if (open >= max) {
      throw new HttpError(429, HttpErrorCode.tooManyStreams, `this client has ${max} SSE streams open, the most allowed: close one first`, { 'retry-after': String(Math.ceil(this.ctx.options.sseKeepAliveMs / 1000)) });
    }
    this.perClient.set(client, open + 1);
    const stream = new SseStream(res, channel, endpoint, this.ctx, (ended) => {
      this.streams.delete(ended);
      const left = (this.perClient.get(client) ?? 1) - 1;
      if (left <= 0) this.perClient.delete(client);
      else this.perClient.set(client, left);
    });
    this.streams.add(stream);
    return stream;
  }
}

/** Answers an SSE endpoint's failure as JSON (before the stream started) or ends the stream. */
export function failSse(res: ServerResponse, error: unknown, logger: Logger, headers: OutgoingHttpHeaders): void {
  if (res.headersSent) {
    logger.error({ err: messageOf(error) }, 'SSE stream failed');
    res.end();
    return;
  }
  sendError(res, error instanceof HttpError ? error : new HttpError(500, ErrorCode.internal, `the server failed: ${messageOf(error)}`), headers);
}
