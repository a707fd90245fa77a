/**
 * The upstream request a `sse:fetch` asks for, checked: a path on the upstream (an absolute URL is
 * reduced to its path and query), an HTTP method token, headers that may be sent, and a bounded body.
 */
import type { SseFetchPayload } from '../../protocol/index.js';
import { invalidRequestError } from './errors.js';
import { requestHeaders } from './forwarded-headers.js';
import { pathOfRequestUrl } from './routes.js';

/** What a valid `sse:fetch` becomes (the target is resolved by the caller, against its routes). */
export interface CheckedFetch {
  pathAndQuery: string;
  method: string;
  headers: Record<string, string>;
  body: string | undefined;
}

const METHOD_TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Methods that make no sense for a streamed response, or that a gateway must not tunnel. */
const REFUSED_METHODS: ReadonlySet<string> = new Set(['CONNECT', 'TRACE', 'TRACK']);

/** Checks a `sse:fetch` payload; throws `INVALID_PAYLOAD` (or `NO_ROUTE` for a URL that is not a path) otherwise. */
export function checkFetchRequest(request: SseFetchPayload, maxBodyBytes: number): CheckedFetch {
  if (typeof request !== 'object' || request === null || typeof request.url !== 'string') throw invalidRequestError('sse:fetch needs {"url": "/path?query", "method"?, "headers"?, "body"?}');
  const method = (request.method ?? 'GET').toUpperCase();
  if (!METHOD_TOKEN.test(method) || REFUSED_METHODS.has(method)) throw invalidRequestError(`"${request.method}" is not a method the bridge sends upstream`);
  if (request.headers !== undefined && (typeof request.headers !== 'object' || request.headers === null || Object.values(request.headers).some((v) => typeof v !== 'string'))) {
    throw invalidRequestError('sse:fetch "headers" must be an object of strings');
  }
  const body = request.body ?? undefined;
  if (body !== undefined && typeof body !== 'string') throw invalidRequestError('sse:fetch "body" must be text or null (send JSON as its text)');
  if (body !== undefined && (method === 'GET' || method === 'HEAD')) throw invalidRequestError(`a ${method} request cannot have a body`);
  const headers = requestHeaders(request.headers);
  if (body !== undefined) {
    const bytes = Buffer.byteLength(body);
    if (bytes > maxBodyBytes) throw invalidRequestError(`the sse:fetch body has ${bytes} bytes, more than the bridge's maxRequestBodyBytes (${maxBodyBytes})`);
    headers['content-length'] = String(bytes);
  }
  return { pathAndQuery: pathOfRequestUrl(request.url), method, headers, body };
}
