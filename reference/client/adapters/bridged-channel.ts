/**
 * Reading a channel the gateway's SSE bridge relays (`sse:<path>` or `sse-fetch:<id>`) as SSE
 * events: a frame's `type` is the event name, its payload the data, its `eventId` the SSE id; the
 * channel's last event is `sse:end` (the stream is over) or `sse:error` (the upstream failed for good).
 */
import { eventNameOfFrameType, type ErrorBody, type ResyncPayload, type SubscribeReply, type WSMessage } from '../../protocol/index.js';
import { WSRequestError } from '../request-error.js';
import type { WSClient } from '../ws-client.js';
import type { SseEvent } from './sse-over-fetch.js';

/** The SSE event a relayed (or app-published) frame carries; JSON payloads are given as their JSON text. */
export function sseEventOfFrame(message: WSMessage): SseEvent {
  const data = typeof message.payload === 'string' ? message.payload : JSON.stringify(message.payload) ?? '';
  return { type: eventNameOfFrameType(message.type), data, id: message.eventId };
}

/** What happens on a bridged channel. */
export interface BridgedChannelHandlers {
  /** The subscription stands (again, after a reconnect). */
  onSubscribed?(reply: SubscribeReply): void;
  onEvent(event: SseEvent): void;
  /** `sse:end`: the stream is over (a response ended, or the upstream answered 204). */
  onEnd(): void;
  /** `sse:error`: the upstream failed for good (its code and message are the error's). */
  onFailed(error: WSRequestError): void;
  /** The gateway refused the subscription (`NO_ROUTE`, `FORBIDDEN`, `UPSTREAM_*`, …). */
  onRefused(error: WSRequestError): void;
  /** The gateway could not replay what the client missed while disconnected. */
  onResync?(payload: ResyncPayload): void;
}

/** Where a bridged subscription starts. */
export interface BridgedChannelStart {
  fromSeq?: number;
  lastEventId?: string;
  headers?: Record<string, string>;
}

/**
 * Subscribes to a bridged channel; returns the function that unsubscribes. After `onEnd`,
 * `onFailed` or `onRefused` no handler is called again and the subscription is released.
 */
export function followBridgedChannel(client: WSClient, channel: string, handlers: BridgedChannelHandlers, start: BridgedChannelStart = {}): () => void {
  let finished = false;
  let unsubscribe: (() => void) | undefined;
  const finish = (): void => {
    finished = true;
    unsubscribe?.();
  };
  unsubscribe = client.subscribe(
    channel,
    (message) => {
      if (finished) return;
      if (message.type === 'sse:end') {
        finish();
        handlers.onEnd();
      } else if (message.type === 'sse:error') {
        finish();
        handlers.onFailed(upstreamFailure(message.payload as ErrorBody | null));
      } else {
        handlers.onEvent(sseEventOfFrame(message));
      }
    },
    {
      ...start,
      onSubscribed: (reply) => {
        if (!finished) handlers.onSubscribed?.(reply);
      },
      onResync: (payload) => {
        if (!finished) handlers.onResync?.(payload);
      },
      onError: (error) => {
        if (finished) return;
        finish();
        handlers.onRefused(error);
      },
    },
  );
  if (finished) unsubscribe();
  return finish;
}

function upstreamFailure(body: ErrorBody | null): WSRequestError {
  return new WSRequestError(body?.code ?? 'UPSTREAM_UNREACHABLE', body?.message ?? 'the upstream SSE stream failed', {
    retryable: body?.retryable ?? false,
    requestType: 'sse:error',
    details: body?.details,
  });
}
