/**
 * `wsFetch(input, init)`: `fetch` for code that reads an SSE response body, with the request
 * performed by the gateway's SSE bridge (`sse:fetch`) and the response's events carried over the
 * shared socket. It resolves with a real `Response` — the upstream's status and headers, a body
 * that streams the SSE text — so `response.body.getReader()` loops, hand-written line parsers and
 * `eventsource-parser` work unchanged. Falls back to the platform's `fetch` when the flag says
 * `sse`, the socket keeps failing, or the gateway has no route for the URL.
 */
import { type ErrorCode, type SseFetchPayload, type SseFetchReply, type UpstreamResponseDetails } from '../../protocol/index.js';
import { isWSRequestError } from '../request-error.js';
import type { WSClient } from '../ws-client.js';
import { absoluteUrl, adapterContext, type WsAdapterOptions } from './adapter-options.js';
import { followBridgedChannel } from './bridged-channel.js';
import { serializeSseEvent } from './sse-over-fetch.js';

/** Resolves relative URLs when there is no page to resolve them against; only path and query travel. */
const PLACEHOLDER_BASE = 'http://relative.invalid/';
/** Outcomes after which the upstream surely did not see the request, or a GET may safely go again. */
const RETRY_AS_SSE: ReadonlySet<string> = new Set<ErrorCode>(['DISCONNECTED', 'TIMEOUT', 'QUEUE_OVERFLOW', 'CLIENT_CLOSED']);

/**
 * `fetch(input, init)` whose SSE response streams over the WebSocket.
 * - Resolves with the upstream's status, headers and a body of SSE text (`id:`, `event:`, one
 *   `data:` line per data line, a blank line per event) that ends after the upstream's response ended.
 * - An upstream that answers non-2xx or not `text/event-stream` gives a `Response` with its status,
 *   headers and body, as a direct `fetch` would.
 * - `init.signal` aborts: before the answer the promise rejects, afterwards the body's reader does,
 *   with an `AbortError`; the subscription is released either way.
 * - A gateway that cannot reach the upstream, or a socket that gives up mid-stream, is a network
 *   error: a `TypeError`, as `fetch` rejects (the gateway's typed error is its `cause`).
 * @param options which client carries it and how the transport is chosen (see {@link WsAdapterOptions}).
 */
export async function wsFetch(input: string | URL | Request, init?: RequestInit, options: WsAdapterOptions = {}): Promise<Response> {
  const context = adapterContext(options);
  const direct = (): Promise<Response> => context.fetch(input, init);
  if (!context.client || context.mode === 'sse') return direct();
  if (context.selector) {
    const hold = context.selector.hold();
    await hold.ready;
    hold.release();
    if (context.selector.transport === 'sse') return direct();
  }
  const request = input instanceof Request ? new Request(input, init) : new Request(absoluteUrl(input, options.baseUrl) ?? new URL(input, PLACEHOLDER_BASE).href, init);
  const signal = request.signal;
  signal.throwIfAborted();
  const payload: SseFetchPayload = {
    url: new URL(request.url).pathname + new URL(request.url).search,
    method: request.method,
    headers: Object.fromEntries(request.headers),
    body: request.body === null ? null : await request.text(),
  };
  let reply: SseFetchReply;
  try {
    reply = await untilAborted(context.client.request<SseFetchReply>('sse:fetch', payload, { timeout: options.requestTimeoutMs ?? 30_000 }), signal);
  } catch (error) {
    if (signal.aborted || !isWSRequestError(error)) throw error;
    const upstream = upstreamResponse(error.code, error.details);
    if (upstream) return upstream;
    const safeToRepeat = request.method === 'GET' || request.method === 'HEAD';
    if (context.mode === 'auto' && (error.code === 'NO_ROUTE' || (safeToRepeat && RETRY_AS_SSE.has(error.code)))) return direct();
    throw new TypeError(`fetch failed: ${error.message}`, { cause: error });
  }
  return new Response(streamChannel(context.client, reply.channel, signal), { status: reply.status, headers: reply.headers });
}

/** The body of a bridged response: its events as SSE bytes, ending after `sse:end`. */
function streamChannel(client: WSClient, channel: string, signal: AbortSignal): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  let cleanup = (): void => undefined;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      let done = false;
      const finish = (error?: unknown): void => {
        if (done) return;
        done = true;
        cleanup();
        if (error === undefined) controller.close();
        else controller.error(error);
      };
      const onAbort = (): void => finish(signal.reason ?? new DOMException('This operation was aborted', 'AbortError'));
      const offGiveUp = client.on('give-up', ({ cause }) => finish(new TypeError(`network error: the WebSocket stopped reconnecting (${cause})`)));
      const unfollow = followBridgedChannel(
        client,
        channel,
        {
          onEvent: (event) => controller.enqueue(encoder.encode(serializeSseEvent(event))),
          onEnd: () => finish(),
          onFailed: (error) => finish(new TypeError(`network error: ${error.message}`, { cause: error })),
          onRefused: (error) => finish(new TypeError(`network error: ${error.message}`, { cause: error })),
          onResync: () => finish(new TypeError('network error: the gateway lost part of the response while the socket was reconnecting')),
        },
        { fromSeq: 0 },
      );
      cleanup = () => {
        signal.removeEventListener('abort', onAbort);
        offGiveUp();
        unfollow();
      };
      signal.addEventListener('abort', onAbort, { once: true });
      if (signal.aborted) onAbort();
    },
    cancel() {
      cleanup();
    },
  });
}

/** The upstream's own answer from an `UPSTREAM_STATUS` / `UPSTREAM_NOT_SSE` error, as a `Response`. */
export function upstreamResponse(code: string, details: unknown): Response | undefined {
  if (code !== 'UPSTREAM_STATUS' && code !== 'UPSTREAM_NOT_SSE') return undefined;
  const answer = details as Partial<UpstreamResponseDetails> | undefined;
  if (typeof answer?.status !== 'number' || answer.status < 200 || answer.status > 599) return undefined;
  const nullBody = answer.status === 204 || answer.status === 205 || answer.status === 304;
  return new Response(nullBody ? null : (answer.body ?? ''), { status: answer.status, headers: answer.headers ?? {} });
}

/** `promise`, or a rejection with the signal's reason as soon as it aborts. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
