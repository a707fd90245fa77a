/**
 * Identities of the demo sync service: which token is whom, and which chats each may touch.
 * Configured with `identities` (`wsmig server --identities <file>`), a JSON object mapping each
 * token to `{ "id": "alice", "chats": ["42", "43"] }` (or `"chats": "*"` for every chat: wsmig's own
 * tools). With identities, a token's identity may subscribe to, start, cancel and read the status
 * of its own chats only, over WebSocket and the legacy SSE endpoints alike; anything else is
 * refused with `FORBIDDEN`, and a token that is no one's with 401 `UNAUTHORIZED`.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { chatIdProblem, type ChatId } from '../protocol/index.js';
import { UsageError, messageOf } from '../../lib/errors.js';
import { presentedToken } from './auth.js';
import { chatKey } from './status-store.js';

/** One identity as configured: who the token is, and its chats (`"*"`: every chat). */
export interface IdentityConfig {
  id: string;
  chats: readonly ChatId[] | '*';
}

/** The `identities` option: each token mapped to its identity. */
export type IdentitiesOption = Readonly<Record<string, IdentityConfig>>;

/** What `authenticate` returns for a token with an identity: the `identity` that `authorize` and handlers get. */
export interface ChatIdentity {
  readonly id: string;
  /** Keys of the chats it may touch (`42` and `"42"` are one), or `"*"`. */
  readonly chats: ReadonlySet<string> | '*';
}

/** The identity of the server's shared `token` when identities are configured: every chat (wsmig's own tools use it). */
export const SERVICE_IDENTITY_ID = 'service';

const MAX_IDENTITY_ID = 128;

function digest(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

function identityProblem(token: string, config: unknown): string | undefined {
  if (token.length === 0) return 'a token is a non-empty string';
  if (config === null || typeof config !== 'object' || Array.isArray(config)) return 'each token maps to { "id": "alice", "chats": ["42"] }';
  const { id, chats } = config as Record<string, unknown>;
  if (typeof id !== 'string' || id.length === 0 || id.length > MAX_IDENTITY_ID) return `"id" must be a string of 1 to ${MAX_IDENTITY_ID} characters`;
  if (chats === '*') return undefined;
  if (!Array.isArray(chats)) return `"chats" of "${id}" must be an array of chat ids, or "*" for every chat`;
  const bad = chats.find((chat) => chatIdProblem(chat) !== undefined);
  return bad === undefined ? undefined : `"chats" of "${id}" holds ${JSON.stringify(bad)}: ${chatIdProblem(bad) as string}`;
}

/** Tokens and their identities, looked up by the token's SHA-256 (no token is compared character by character). */
export class IdentityTable {
  private readonly byDigest = new Map<string, ChatIdentity>();

  /** @throws UsageError `INVALID_SERVER_OPTION` naming the first bad entry. */
  constructor(identities: IdentitiesOption, sharedToken: string | undefined) {
    if (identities === null || typeof identities !== 'object' || Array.isArray(identities)) {
      throw new UsageError('INVALID_SERVER_OPTION', 'Invalid server option "identities": expected an object mapping each token to { "id": "alice", "chats": ["42"] }.');
    }
    for (const [token, config] of Object.entries(identities)) {
      const problem = identityProblem(token, config);
      if (problem !== undefined) throw new UsageError('INVALID_SERVER_OPTION', `Invalid server option "identities": ${problem}.`);
      const chats = config.chats === '*' ? '*' : new Set(config.chats.map(chatKey));
      this.byDigest.set(digest(token), { id: config.id, chats });
    }
    if (sharedToken !== undefined && !this.byDigest.has(digest(sharedToken))) this.byDigest.set(digest(sharedToken), { id: SERVICE_IDENTITY_ID, chats: '*' });
  }

  /** Tokens known. */
  get size(): number {
    return this.byDigest.size;
  }

  /** The identity of `token`; `undefined` when it is no one's (or absent). */
  identityOf(token: string | undefined): ChatIdentity | undefined {
    return token === undefined || token.length === 0 ? undefined : this.byDigest.get(digest(token));
  }
}

/** Whether `identity` (a {@link ChatIdentity}) may touch `chatId`. Anything else is no identity and may not. */
export function mayTouchChat(identity: unknown, chatId: ChatId): boolean {
  const chats = (identity as Partial<ChatIdentity> | null | undefined)?.chats;
  if (chats === '*') return true;
  return chats instanceof Set && chats.has(chatKey(chatId));
}

/** The name an identity goes by in messages and logs. */
export function identityName(identity: unknown): string {
  const id = (identity as Partial<ChatIdentity> | null | undefined)?.id;
  return typeof id === 'string' ? id : 'this connection';
}

/**
 * Reads an identities file (`wsmig server --identities <file>`): a JSON object mapping each token to
 * its identity. Tokens live in files, never in argv (which `ps` shows to everyone).
 * @throws UsageError `BAD_FLAG` when it cannot be read or is not such an object.
 */
export function readIdentitiesFile(flag: string, file: string): IdentitiesOption {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new UsageError('BAD_FLAG', `Cannot read ${flag} ${file}: ${messageOf(error)}. It holds JSON such as {"<token>": {"id": "alice", "chats": ["42", "43"]}}.`, { cause: error });
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new UsageError('BAD_FLAG', `${flag} ${file} must hold a JSON object such as {"<token>": {"id": "alice", "chats": ["42", "43"]}}.`);
  }
  for (const [token, config] of Object.entries(parsed)) {
    const problem = identityProblem(token, config);
    if (problem !== undefined) throw new UsageError('BAD_FLAG', `${flag} ${file}: ${problem}.`);
  }
  return parsed as IdentitiesOption;
}

/**
 * The gateway's `authenticate` with identities: the identity of the token the upgrade presents
 * (`Authorization: Bearer`, the `wsmig.bearer.` subprotocol, `?token=` only when allowed);
 * `undefined` (401) for none or a token that is no one's.
 */
export function authenticateByIdentity(identities: IdentityTable, allowQueryToken: boolean): (req: IncomingMessage) => ChatIdentity | undefined {
  return (req) => {
    try {
      return identities.identityOf(presentedToken(req, new URL(req.url ?? '/', 'http://localhost'), { allowQuery: allowQueryToken }));
    } catch {
      return undefined;
    }
  };
}
