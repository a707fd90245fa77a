/**
 * The flag's HTTP side: whose answer `GET /api/config` gives (the stickiness id), and what
 * `POST /admin/flag` accepts. Documented in docs/protocol.md.
 */
import type { IncomingMessage } from 'node:http';
import { ErrorCode } from '../protocol/index.js';
import { isFlagPercentage } from '../../lib/flag-rollout.js';
import { HttpError } from './http-util.js';

/** Longest stickiness id `/api/config` accepts, in characters. */
export const MAX_STICKINESS_ID = 256;

/**
 * The caller's stickiness id: its identity's id when it presents a token with one (with
 * `identities`), else `?stickiness=<id>` (the client's session id, or one it drew for the page
 * load), else none.
 * @throws HttpError 400 `INVALID_PAYLOAD` for a stickiness id over {@link MAX_STICKINESS_ID} characters.
 */
export async function stickinessIdOf(req: IncomingMessage, url: URL, authenticate: ((req: IncomingMessage) => unknown) | undefined): Promise<string | undefined> {
  if (authenticate !== undefined) {
    const id = ((await authenticate(req)) as { id?: unknown } | undefined)?.id;
    if (typeof id === 'string' && id.length > 0) return id;
  }
  const given = url.searchParams.get('stickiness');
  if (given === null || given.length === 0) return undefined;
  if (given.length > MAX_STICKINESS_ID) throw new HttpError(400, ErrorCode.invalidPayload, `"stickiness" is at most ${MAX_STICKINESS_ID} characters: send the user's or the session's id`);
  return given;
}

const ADMIN_FLAG_USAGE = 'send {"value": true} (WebSocket for everyone), {"value": false} (legacy SSE for everyone) or {"percentage": 25} (a whole number from 0 to 100: WebSocket for that share of identities)';

/**
 * The percentage a `POST /admin/flag` body asks for: `{"value": true|false}` (100 or 0) or
 * `{"percentage": 0..100}` (whole), one of them.
 * @throws HttpError 400 `INVALID_PAYLOAD` for anything else.
 */
export function percentageFromAdminBody(body: Record<string, unknown>): number {
  const { value, percentage } = body;
  if (value !== undefined && percentage !== undefined) throw new HttpError(400, ErrorCode.invalidPayload, `give "value" or "percentage", not both: ${ADMIN_FLAG_USAGE}`);
  if (percentage !== undefined) {
    if (!isFlagPercentage(percentage)) throw new HttpError(400, ErrorCode.invalidPayload, `"percentage" must be a whole number from 0 to 100 (got ${JSON.stringify(percentage)}): ${ADMIN_FLAG_USAGE}`);
    return percentage;
  }
  if (typeof value !== 'boolean') throw new HttpError(400, ErrorCode.invalidPayload, ADMIN_FLAG_USAGE);
  return value ? 100 : 0;
}
