/**
 * One upstream SSE stream relayed into one hub channel: parses it (eventsource-parser), publishes
 * each event in order with its `id:` as `eventId`, and keeps it going as `EventSource` would —
 * reconnecting a dropped or silent GET stream after `retry:` (or `retryMs`) with `Last-Event-ID`,
 * ending it with `sse:end` on HTTP 204 and with `sse:error` when it fails for good. A streamed
 * response (`sse:fetch`) is never repeated: its end is `sse:end`, its failure `sse:error`.
 */
import type { IncomingMessage } from 'node:http';
import { createParser, type EventSourceMessage, type ParseError } from 'eventsource-parser';
import { ErrorCode, MessageType, eventFrameType, type SseEndPayload } from '../../protocol/index.js';
import { WsmigError, messageOf } from '../../../lib/errors.js';
import type { Logger } from '../../../lib/logger.js';
import { errorBodyOf, isRetryableBridgeError, upstreamTimeoutError, upstreamUnreachableError } from './errors.js';
import type { UpstreamTarget } from './routes.js';
import { PublishQueue } from './publish-queue.js';
import { describeRequest, requestUpstream, type UpstreamAnswer, type UpstreamRequest } from './upstream-request.js';
import type { BridgePublish } from './types.js';

/** Settings every relay of a bridge shares. */
export interface RelaySettings {
  publish: BridgePublish;
  logger: Logger;
  clock: () => number;
  connectTimeoutMs: number;
  idleTimeoutMs: number;
  retryMs: number;
  maxRetries: number;
  lingerMs: number;
  maxEventLength: number;
  agents: UpstreamRequest['agents'];
}

/** What one relay requests, and where it publishes. */
export interface RelaySpec {
  hubChannel: string;
  target: UpstreamTarget;
  method: string;
  /** Request headers, `Last-Event-ID` aside. */
  headers: Record<string, string>;
  body?: string | null | undefined;
  /** GET streams reconnect; streamed responses do not. */
  reconnects: boolean;
  /** The `Last-Event-ID` of the first request. */
  lastEventId: string | undefined;
}

export class UpstreamRelay {
  /** Subscribers holding the relay; at 0 it closes after `lingerMs`. */
  subscribers = 0;
  lastActiveMs: number;
  private ended = false;
  private lastEventId: string | undefined;
  private retryDelayMs: number;
  private failures = 0;
  private attempt: AbortController | undefined;
  private response: IncomingMessage | undefined;
  private waitingResponse: IncomingMessage | undefined;
  private idleTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private lingerTimer: NodeJS.Timeout | undefined;
  private readonly queue: PublishQueue;

  constructor(
    readonly spec: RelaySpec,
    private readonly settings: RelaySettings,
    private readonly onEnd: (relay: UpstreamRelay) => void,
  ) {
    this.lastEventId = spec.lastEventId;
    this.retryDelayMs = settings.retryMs;
    this.lastActiveMs = settings.clock();
    this.queue = new PublishQueue(spec.hubChannel, settings.publish, settings.logger, {
      pause: () => this.response?.pause(),
      resume: () => this.response?.resume(),
    });
  }

  /**
   * The first request. Resolves with the upstream's answer (a stream, or 204, which ends the relay
   * with `sse:end`); rejects with the typed error of a failure, and the relay is over. Events start
   * flowing on a later turn of the event loop, after the caller subscribed to the hub channel; a
   * streamed response waits for its first subscriber.
   */
  async start(): Promise<UpstreamAnswer> {
    let answer: UpstreamAnswer;
    try {
      answer = await this.request();
    } catch (error) {
      this.finish();
      throw error;
    }
    if (answer.kind === 'no-content') setImmediate(() => this.end({ reason: 'upstream-closed' }));
    else if (this.spec.reconnects) setImmediate(() => this.consume(answer.response));
    else this.waitingResponse = answer.response;
    if (this.subscribers === 0) this.startLinger();
    return answer;
  }

  /** A subscriber took hold of the relay. */
  hold(): void {
    this.subscribers += 1;
    this.lastActiveMs = this.settings.clock();
    clearTimeout(this.lingerTimer);
    this.lingerTimer = undefined;
    const waiting = this.waitingResponse;
    this.waitingResponse = undefined;
    if (waiting && !this.ended) this.consume(waiting);
  }

  /** A subscriber let go; the last one starts the linger countdown. */
  release(): void {
    this.subscribers = Math.max(0, this.subscribers - 1);
    this.lastActiveMs = this.settings.clock();
    if (this.subscribers === 0) this.startLinger();
  }

  /** Stops at once without a last event (bridge closing, no subscriber left). */
  close(): void {
    this.finish();
  }

  private startLinger(): void {
    if (this.ended) return;
    clearTimeout(this.lingerTimer);
    this.lingerTimer = setTimeout(() => {
      this.settings.logger.debug({ channel: this.spec.hubChannel }, 'closing an upstream stream without subscribers');
      this.finish();
    }, this.settings.lingerMs);
  }

  private request(): Promise<UpstreamAnswer> {
    this.attempt = new AbortController();
    const headers = { ...this.spec.headers };
    if (this.lastEventId) headers['last-event-id'] = this.lastEventId;
    return requestUpstream({
      target: this.spec.target,
      method: this.spec.method,
      headers,
      body: this.spec.body,
      connectTimeoutMs: this.settings.connectTimeoutMs,
      agents: this.settings.agents,
      signal: this.attempt.signal,
    });
  }

  private consume(response: IncomingMessage): void {
    if (this.ended) {
      response.destroy();
      return;
    }
    this.response = response;
    let closed = false;
    const parser = createParser({
      onEvent: (event) => this.relayEvent(event),
      onRetry: (retryMs) => {
        this.retryDelayMs = retryMs;
      },
      onError: (error: ParseError) => {
        if (error.type === 'max-buffer-size-exceeded') {
          closed = true;
          response.destroy();
          this.fail(this.tooLong());
        }
      },
      maxBufferSize: this.settings.maxEventLength,
    });
    const dropped = (cause: WsmigError | undefined): void => {
      if (closed) return;
      closed = true;
      this.dropped(response, cause);
    };
    response.setEncoding('utf8');
    this.resetIdle(response);
    response.on('data', (chunk: string) => {
      if (closed) return;
      this.resetIdle(response);
      parser.feed(chunk);
    });
    response.on('end', () => dropped(undefined));
    // An idle timeout destroys the response with its own (typed) error.
    response.on('error', (error) => dropped(error instanceof WsmigError ? error : upstreamUnreachableError(this.describe(), error)));
    response.on('close', () => dropped(upstreamUnreachableError(this.describe(), new Error('the upstream closed the connection'))));
  }

  private relayEvent(event: EventSourceMessage): void {
    if (this.ended) return;
    // The parser bounds what it buffers across chunks; an event that came whole in one chunk is checked here.
    if (event.data.length > this.settings.maxEventLength) {
      this.fail(this.tooLong());
      return;
    }
    if (event.id !== undefined) this.lastEventId = event.id;
    this.lastActiveMs = this.settings.clock();
    this.queue.push(eventFrameType(event.event ?? 'message'), event.data, event.id);
  }

  private resetIdle(response: IncomingMessage): void {
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      const error = upstreamTimeoutError(this.describe(), 'silence', this.settings.idleTimeoutMs);
      response.destroy(error);
    }, this.settings.idleTimeoutMs);
  }

  /** The open stream stopped: `cause` undefined when the upstream ended it cleanly. */
  private dropped(response: IncomingMessage, cause: WsmigError | undefined): void {
    clearTimeout(this.idleTimer);
    response.destroy();
    if (this.response === response) this.response = undefined;
    if (this.ended) return;
    if (!this.spec.reconnects) {
      if (cause === undefined) this.end({ reason: 'upstream-ended' });
      else this.fail(cause);
      return;
    }
    this.settings.logger.debug({ channel: this.spec.hubChannel, reason: cause?.message ?? 'ended' }, 'upstream SSE stream dropped; reconnecting');
    this.scheduleReconnect(cause ?? upstreamUnreachableError(this.describe(), new Error('the upstream ended the stream')));
  }

  private scheduleReconnect(cause: WsmigError): void {
    if (this.failures >= this.settings.maxRetries) {
      this.fail(cause);
      return;
    }
    this.retryTimer = setTimeout(() => void this.reconnect(), this.retryDelayMs);
  }

  private async reconnect(): Promise<void> {
    if (this.ended) return;
    let answer: UpstreamAnswer;
    try {
      answer = await this.request();
    } catch (error) {
      if (this.ended) return;
      this.failures += 1;
      if (!isRetryableBridgeError(error)) this.fail(error);
      else this.scheduleReconnect(error as WsmigError);
      return;
    }
    if (this.ended) {
      if (answer.kind === 'stream') answer.response.destroy();
      return;
    }
    this.failures = 0;
    if (answer.kind === 'no-content') this.end({ reason: 'upstream-closed' });
    else this.consume(answer.response);
  }

  private end(payload: SseEndPayload): void {
    if (this.ended) return;
    this.queue.push(MessageType.sseEnd, payload);
    this.finish();
  }

  private fail(error: unknown): void {
    if (this.ended) return;
    this.settings.logger.warn({ channel: this.spec.hubChannel, err: messageOf(error) }, 'upstream SSE stream failed for good');
    this.queue.push(MessageType.sseError, errorBodyOf(error));
    this.finish();
  }

  private finish(): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.idleTimer);
    clearTimeout(this.retryTimer);
    clearTimeout(this.lingerTimer);
    this.attempt?.abort();
    this.response?.destroy();
    this.waitingResponse?.destroy();
    this.onEnd(this);
  }

  private tooLong(): WsmigError {
    return new WsmigError(ErrorCode.upstreamNotSse, `an event of ${this.describe()} is longer than ${this.settings.maxEventLength} characters (maxEventLength)`);
  }

  private describe(): string {
    return describeRequest(this.spec.method, this.spec.target);
  }
}
