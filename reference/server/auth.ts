/**
 * Who may connect: bearer tokens (header or `?token=`), the origin allowlist, and the loopback
 * rule for `/admin/*` when no admin token is configured.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The token a request presents: `Authorization: Bearer <token>`, else the `token` query parameter. */
export function presentedToken(req: IncomingMessage, url: URL): string | undefined {
  const header = req.headers.authorization;
  if (header !== undefined) {
    const match = /^Bearer\s+(.+)$/i.exec(header.trim());
    return match ? (match[1] as string) : undefined;
  }
  return url.searchParams.get('token') ?? undefined;
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** Compares tokens in constant time (hashing first, so the length does not leak either). */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  return timingSafeEqual(digest(presented), digest(expected));
}

/** Whether a request's `Origin` may use the server. A request without `Origin` (not a browser) may. */
export function originAllowed(req: IncomingMessage, allowed: ReadonlySet<string> | undefined): boolean {
  const origin = req.headers.origin;
  return allowed === undefined || origin === undefined || allowed.has(origin);
}

/** Whether the peer is on this machine (127.0.0.0/8, ::1, or IPv4-mapped loopback). */
export function isLoopback(req: IncomingMessage): boolean {
  const address = req.socket.remoteAddress ?? '';
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
