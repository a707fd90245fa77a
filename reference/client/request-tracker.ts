/**
 * Requests from send to settle: one timer each (never a hang, never a leaked timer), in flight
 * until a reply or an error arrives, or waiting in a bounded offline queue while not connected.
 */
import { encodeFrame, type ErrorCode, type WSMessage } from '../protocol/index.js';
import type { Clock, TimerHandle } from './clock.js';
import { WSRequestError, requestErrorOf } from './request-error.js';

/** What the offline queue does when it is full: refuse the new request, or evict the oldest one. */
export type QueueOverflowPolicy = 'reject-new' | 'drop-oldest';

/** Reported whenever the offline queue drops a request (never silently). */
export interface QueueOverflowEvent {
  policy: QueueOverflowPolicy;
  queueSize: number;
  /** The request that was rejected with `QUEUE_OVERFLOW`. */
  dropped: { id: string; type: string };
}

interface PendingRequest {
  readonly id: string;
  readonly type: string;
  readonly frame: string;
  readonly resolve: (payload: unknown) => void;
  readonly reject: (error: WSRequestError) => void;
  timer: TimerHandle;
}

/** Sends a frame if the connection is open; returns whether it did. */
export type SendIfOpen = (frame: string) => boolean;

export class RequestTracker {
  readonly #clock: Clock;
  readonly #queueSize: number;
  readonly #policy: QueueOverflowPolicy;
  readonly #onOverflow: (event: QueueOverflowEvent) => void;
  readonly #inFlight = new Map<string, PendingRequest>();
  /** Insertion-ordered: the first entry is the oldest. */
  readonly #queued = new Map<string, PendingRequest>();

  constructor(clock: Clock, options: { queueSize: number; overflow: QueueOverflowPolicy; onOverflow: (event: QueueOverflowEvent) => void }) {
    this.#clock = clock;
    this.#queueSize = Math.max(0, Math.floor(options.queueSize));
    this.#policy = options.overflow;
    this.#onOverflow = options.onOverflow;
  }

  /**
   * Sends a request now when `sendIfOpen` can, otherwise queues it. The promise settles exactly once:
   * with the reply payload, or a {@link WSRequestError}.
   */
  submit<T>(message: Omit<WSMessage, 'seq' | 'ts' | 'epoch' | 'error'>, timeoutMs: number, sendIfOpen: SendIfOpen): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const request: PendingRequest = {
        id: message.id,
        type: message.type,
        frame: encodeFrame(message),
        resolve: resolve as (payload: unknown) => void,
        reject,
        timer: undefined,
      };
      request.timer = this.#clock.setTimeout(() => this.#timeOut(request, timeoutMs), timeoutMs);
      if (sendIfOpen(request.frame)) {
        this.#inFlight.set(request.id, request);
        return;
      }
      this.#enqueue(request);
    });
  }

  /** Sends queued requests, oldest first, for as long as the connection takes them. */
  flush(sendIfOpen: SendIfOpen): void {
    for (const request of this.#queued.values()) {
      if (!sendIfOpen(request.frame)) return;
      this.#queued.delete(request.id);
      this.#inFlight.set(request.id, request);
    }
  }

  /** Settles the request a `reply` or `error` frame answers; returns false when none waits for it. */
  settle(message: WSMessage): boolean {
    const request = this.#inFlight.get(message.id);
    if (!request) return false;
    this.#inFlight.delete(message.id);
    this.#clock.clearTimeout(request.timer);
    if (message.type === 'error') {
      request.reject(requestErrorOf(message, request.type));
    } else {
      request.resolve(message.payload);
    }
    return true;
  }

  /** Rejects every request in flight (the connection closed under them); queued ones keep waiting. */
  failInFlight(code: ErrorCode, message: string, retryable: boolean): void {
    this.#failAll(this.#inFlight, code, message, retryable);
  }

  /** Rejects every request, in flight and queued. */
  failAll(code: ErrorCode, message: string, retryable: boolean): void {
    this.#failAll(this.#inFlight, code, message, retryable);
    this.#failAll(this.#queued, code, message, retryable);
  }

  #failAll(requests: Map<string, PendingRequest>, code: ErrorCode, message: string, retryable: boolean): void {
    const failing = [...requests.values()];
    requests.clear();
    for (const request of failing) this.#reject(request, code, message, retryable);
  }

  #enqueue(request: PendingRequest): void {
    if (this.#queued.size < this.#queueSize) {
      this.#queued.set(request.id, request);
      return;
    }
    const oldest = this.#queued.values().next();
    const evictOldest = this.#policy === 'drop-oldest' && !oldest.done;
    const dropped = evictOldest ? oldest.value : request;
    if (evictOldest) {
      this.#queued.delete(dropped.id);
      this.#queued.set(request.id, request);
    }
    this.#reject(dropped, 'QUEUE_OVERFLOW', `the offline queue is full (${this.#queueSize} requests, ${this.#policy}): "${dropped.type}" was dropped; retry once connected`, true);
    this.#onOverflow({ policy: this.#policy, queueSize: this.#queueSize, dropped: { id: dropped.id, type: dropped.type } });
  }

  #timeOut(request: PendingRequest, timeoutMs: number): void {
    const inFlight = this.#inFlight.delete(request.id);
    const queued = this.#queued.delete(request.id);
    if (!inFlight && !queued) return;
    const where = inFlight ? 'no reply' : 'still not connected';
    request.reject(new WSRequestError('TIMEOUT', `"${request.type}" timed out after ${timeoutMs} ms (${where})`, { retryable: true, requestType: request.type, requestId: request.id }));
  }

  #reject(request: PendingRequest, code: ErrorCode, message: string, retryable: boolean): void {
    this.#clock.clearTimeout(request.timer);
    request.reject(new WSRequestError(code, message, { retryable, requestType: request.type, requestId: request.id }));
  }
}
