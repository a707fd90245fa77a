/**
 * The request headers that go upstream, and the key that keeps one user's stream away from
 * another's: two callers share an upstream stream only when everything forwarded for them is equal.
 */
import { createHash } from 'node:crypto';
import { validateHeaderName, validateHeaderValue } from 'node:http';
import { invalidRequestError } from './errors.js';

/** Connection headers forwarded upstream besides the configured `forwardHeaders`. */
export const CREDENTIAL_HEADERS: readonly string[] = ['cookie', 'authorization'];

/**
 * Headers a caller may never set upstream: hop-by-hop (RFC 9110 §7.6.1), framing, the target host,
 * and the ones the bridge sets itself.
 */
const NEVER_FORWARDED: ReadonlySet<string> = new Set([
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authorization',
  'proxy-authenticate',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'expect',
  'last-event-id',
  'accept-encoding',
]);

/** Response headers not handed back to a caller (hop-by-hop and framing). */
const HOP_BY_HOP_RESPONSE: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade']);

/** Lower-cased, validated headers with the forbidden ones removed; throws `INVALID_PAYLOAD` on a malformed one. */
export function requestHeaders(headers: Record<string, string> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === undefined) return out;
  for (const [rawName, value] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (NEVER_FORWARDED.has(name)) continue;
    try {
      validateHeaderName(name);
      validateHeaderValue(name, value);
    } catch (error) {
      throw invalidRequestError(`the header "${rawName}" cannot be sent upstream: ${(error as Error).message}`);
    }
    out[name] = String(value);
  }
  return out;
}

/** The connection's headers that may go upstream: `cookie`, `authorization` and the configured ones. */
export function connectionHeaders(headers: Record<string, string>, allowed: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [rawName, value] of Object.entries(headers)) {
    const name = rawName.toLowerCase();
    if (allowed.has(name) && !NEVER_FORWARDED.has(name)) out[name] = value;
  }
  return requestHeaders(out);
}

/** A short, stable digest of a header set (sorted by name): equal sets, equal keys; no header value can be read back from it. */
export function headersKey(headers: Record<string, string>): string {
  const canonical = JSON.stringify(Object.entries(headers).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 22);
}

/** The upstream's response headers for a caller: lower-case names, hop-by-hop ones removed, repeated ones joined with ", ". */
export function responseHeaders(headers: NodeJS.Dict<string | string[]>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || HOP_BY_HOP_RESPONSE.has(name)) continue;
    out[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return out;
}
