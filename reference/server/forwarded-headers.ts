/**
 * The upgrade request's headers that may go to the SSE bridge's upstream: `cookie`, `authorization`
 * and the configured `forwardHeaders`, nothing else. A bearer token that was the gateway's own
 * `token` is the gateway's credential, not the app's, and stays behind.
 */
import type { IncomingHttpHeaders } from 'node:http';

/** Connection headers forwarded upstream besides the configured ones. */
const CREDENTIAL_HEADERS = ['cookie', 'authorization'] as const;

/** The header names a gateway forwards: the credentials plus `configured`, lower-cased. */
export function forwardedHeaderNames(configured: readonly string[] = []): ReadonlySet<string> {
  return new Set([...CREDENTIAL_HEADERS, ...configured.map((name) => name.toLowerCase())]);
}

/** The forwarded subset of an upgrade request's headers (repeated ones joined with ", "). */
export function forwardedHeaders(headers: IncomingHttpHeaders, names: ReadonlySet<string>, gatewayToken: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const value = headers[name];
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.join(name === 'cookie' ? '; ' : ', ') : value;
  }
  if (gatewayToken !== undefined && out['authorization'] !== undefined && /^Bearer\s+(.+)$/i.exec(out['authorization'].trim())?.[1] === gatewayToken) delete out['authorization'];
  return out;
}
