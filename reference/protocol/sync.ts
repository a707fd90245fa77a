/**
 * Payloads of the sync service: the seed's `SyncManager.startSync(chatId, options)` and the
 * `sync:progress` / `sync:complete` / `sync:error` events on the `sync:<chatId>` channel.
 * The legacy SSE endpoints carry the very same payloads as JSON in `data:`.
 */
import type { ErrorBody } from './envelope.js';

/** Chat ids are numbers in the seed; strings are accepted too (many apps use UUIDs). */
export type ChatId = number | string;

/** The seed's `SyncOptions`. */
export interface SyncOptions {
  messageTypes?: string[];
  incremental?: boolean;
  batchSize?: number;
}

/** Payload of `sync:start` (and the JSON body of the legacy `POST /commands/sync`). */
export interface SyncStartPayload {
  chatId: ChatId;
  options?: SyncOptions;
}

/** Status of a chat's sync, as stored by the status store (the seed's `db.chats.update`). */
export type SyncStatus = 'idle' | 'running' | 'completed' | 'failed' | 'cancelled';

/** Reply to `sync:start`: `started` for a new run, `running` when one was already running (idempotent). */
export interface SyncStartReply {
  chatId: ChatId;
  status: 'started' | 'running';
  /** Identifies this run of the sync. */
  runId: string;
}

/** Reply to `sync:status`, and the `snapshot` of a `resync` on a sync channel. */
export interface SyncStatusReply {
  chatId: ChatId;
  syncStatus: SyncStatus;
  /** Percent done, 0–100. */
  syncProgress: number;
  /** Messages processed so far in the current (or last) run. */
  processed: number;
  total: number;
  runId: string | null;
  error?: ErrorBody;
  /** When the status last changed (ms since the Unix epoch). */
  updatedAt: number;
}

/** Payload of `sync:progress` (SSE event `progress`). */
export interface SyncProgressEvent {
  chatId: ChatId;
  runId: string;
  /** Percent done, 0–100. */
  progress: number;
  processed: number;
  total: number;
}

/** Payload of `sync:complete` (SSE event `complete`). */
export interface SyncCompleteEvent {
  chatId: ChatId;
  runId: string;
  processed: number;
  total: number;
  durationMs: number;
}

/** Payload of `sync:error` (SSE event `error`). */
export interface SyncErrorEvent {
  chatId: ChatId;
  runId: string;
  error: ErrorBody;
  processed: number;
}

/** The channel carrying a chat's sync events. */
export function syncChannel(chatId: ChatId): string {
  return `sync:${chatId}`;
}

/** The chat id of a `sync:<chatId>` channel, or `undefined` for other channels. */
export function chatIdOfChannel(channel: string): string | undefined {
  return channel.startsWith('sync:') && channel.length > 5 ? channel.slice(5) : undefined;
}

/** Legacy SSE event names and the WebSocket event types they correspond to. */
export const SSE_EVENT_FOR_TYPE = {
  'sync:progress': 'progress',
  'sync:complete': 'complete',
  'sync:error': 'error',
} as const;

/** Formats an SSE event id from an epoch and a sequence number: `<epoch>-<seq>`. */
export function formatEventId(epoch: string, seq: number): string {
  return `${epoch}-${seq}`;
}

/** Parses an SSE `Last-Event-ID` of the form `<epoch>-<seq>`; `undefined` when malformed. */
export function parseEventId(id: string | undefined | null): { epoch: string; seq: number } | undefined {
  if (!id) return undefined;
  const dash = id.lastIndexOf('-');
  if (dash <= 0) return undefined;
  const digits = id.slice(dash + 1);
  if (!/^\d+$/.test(digits)) return undefined;
  const seq = Number(digits);
  if (!Number.isSafeInteger(seq)) return undefined;
  return { epoch: id.slice(0, dash), seq };
}

/** Checks a `sync:start` payload; returns a problem description or `undefined` when valid. */
export function syncStartProblem(payload: unknown): string | undefined {
  if (payload === null || typeof payload !== 'object') return 'payload must be { chatId, options? }';
  const { chatId, options } = payload as Record<string, unknown>;
  const idProblem = chatIdProblem(chatId);
  if (idProblem) return idProblem;
  if (options === undefined || options === null) return undefined;
  if (typeof options !== 'object' || Array.isArray(options)) return '"options" must be an object';
  const { messageTypes, incremental, batchSize } = options as Record<string, unknown>;
  if (messageTypes !== undefined && !(Array.isArray(messageTypes) && messageTypes.every((t) => typeof t === 'string'))) {
    return '"options.messageTypes" must be an array of strings';
  }
  if (incremental !== undefined && typeof incremental !== 'boolean') return '"options.incremental" must be a boolean';
  if (batchSize !== undefined && !(Number.isSafeInteger(batchSize) && (batchSize as number) >= 1 && (batchSize as number) <= 100_000)) {
    return '"options.batchSize" must be an integer from 1 to 100000';
  }
  return undefined;
}

/**
 * The chat id written as text (a channel name, a URL path, a command-line argument): a canonical
 * integer (`42`, not `042`) is the number, as the seed's chat ids are numbers; anything else stays a
 * string. Every place that reads a chat id from text uses this one rule, so `042` is the same chat
 * everywhere.
 */
export function chatIdFromText(text: string): ChatId {
  const asNumber = Number(text);
  return Number.isSafeInteger(asNumber) && String(asNumber) === text ? asNumber : text;
}

/** Checks a chat id; returns a problem description or `undefined` when valid. */
export function chatIdProblem(chatId: unknown): string | undefined {
  if (typeof chatId === 'number' && Number.isSafeInteger(chatId)) return undefined;
  if (typeof chatId === 'string' && /^[A-Za-z0-9_.:-]{1,128}$/.test(chatId)) return undefined;
  return '"chatId" must be an integer or a string of letters, digits, "_", ".", ":" or "-" (at most 128)';
}
