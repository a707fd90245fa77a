/**
 * One HTTP request to the upstream SSE server (node:http / node:https): resolves with the response
 * once it is an SSE stream, or rejects with the typed error of what went wrong — never waits past
 * `connectTimeoutMs` for the response headers, nor for an error body.
 */
import { request as httpRequest, type Agent as HttpAgent, type IncomingMessage } from 'node:http';
import { request as httpsRequest, type Agent as HttpsAgent } from 'node:https';
import type { UpstreamResponseDetails } from '../../protocol/index.js';
import { MAX_ERROR_BODY_BYTES, upstreamNotSseError, upstreamStatusError, upstreamTimeoutError, upstreamUnreachableError } from './errors.js';
import { responseHeaders } from './forwarded-headers.js';
import type { UpstreamTarget } from './routes.js';

/** What to send. */
export interface UpstreamRequest {
  target: UpstreamTarget;
  method: string;
  headers: Record<string, string>;
  body?: string | null | undefined;
  connectTimeoutMs: number;
  agents: { http: HttpAgent; https: HttpsAgent };
  /** Aborts the request (the bridge closing, the last subscriber gone). */
  signal: AbortSignal;
}

/** How the upstream answered a request it accepted. */
export type UpstreamAnswer =
  | { kind: 'stream'; status: number; headers: Record<string, string>; response: IncomingMessage }
  /** HTTP 204: the server says the stream is over (`EventSource` stops reconnecting). */
  | { kind: 'no-content'; status: 204; headers: Record<string, string> };

const SSE_MEDIA_TYPE = /^\s*text\/event-stream\s*(;|$)/i;

/** `text` of a request for messages: `GET /events?room=1`. */
export function describeRequest(method: string, target: UpstreamTarget): string {
  return `${method} ${target.pathAndQuery}`;
}

/** Sends the request and waits for the response headers; see the module comment. */
export function requestUpstream(spec: UpstreamRequest): Promise<UpstreamAnswer> {
  const what = describeRequest(spec.method, spec.target);
  const { url } = spec.target;
  const secure = url.protocol === 'https:';
  const send = secure ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (error: Error): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      reject(error);
    };
    const req = send(url, { method: spec.method, headers: spec.headers, agent: secure ? spec.agents.https : spec.agents.http, signal: spec.signal });
    const timer = setTimeout(() => fail(upstreamTimeoutError(what, 'answer', spec.connectTimeoutMs)), spec.connectTimeoutMs);
    let answered = false;
    // Once the upstream answered, a failure is the answer's (an error body cut short is still an answer).
    req.on('error', (error) => {
      if (!answered) fail(upstreamUnreachableError(what, error));
    });
    req.on('response', (response) => {
      answered = true;
      const status = response.statusCode ?? 0;
      const headers = responseHeaders(response.headers);
      const isSse = SSE_MEDIA_TYPE.test(headers['content-type'] ?? '');
      if (status === 204 && spec.method === 'GET') {
        settled = true;
        clearTimeout(timer);
        response.resume();
        resolve({ kind: 'no-content', status, headers });
        return;
      }
      if (status >= 200 && status < 300 && isSse) {
        settled = true;
        clearTimeout(timer);
        resolve({ kind: 'stream', status, headers, response });
        return;
      }
      void readErrorBody(response).then(
        (body) => {
          const details: UpstreamResponseDetails = { status, headers, body };
          fail(status >= 200 && status < 300 ? upstreamNotSseError(what, details) : upstreamStatusError(what, details));
        },
        (error: unknown) => fail(upstreamUnreachableError(what, error)),
      );
    });
    req.end(spec.body ?? undefined);
  });
}

/** The first {@link MAX_ERROR_BODY_BYTES} of a response body as text; the rest is not read. */
function readErrorBody(response: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => resolve(Buffer.concat(chunks).subarray(0, MAX_ERROR_BODY_BYTES).toString('utf8'));
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size >= MAX_ERROR_BODY_BYTES) {
        done();
        response.destroy();
      }
    });
    response.on('end', done);
    response.on('error', reject);
    response.on('aborted', () => reject(new Error('the upstream closed the connection in the middle of its answer')));
  });
}
