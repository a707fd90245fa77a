import { MAX_CHANNEL_LENGTH } from './channels.js';

/**
 * The wire envelope: every frame is one JSON text frame holding a {@link WSMessage}.
 * This module depends on nothing, so it runs unchanged in browsers, Node and k6.
 */

/** An error carried in a frame of type `error` (and in typed client errors). */
export interface ErrorBody {
  /** Stable machine code, one of {@link ErrorCode} for server errors. */
  code: string;
  /** What went wrong, for people. */
  message: string;
  /** Whether sending the same request again may succeed. */
  retryable: boolean;
  /** Facts that go with the code (for `UPSTREAM_STATUS`: an `UpstreamResponseDetails`). */
  details?: unknown;
}

/**
 * The seed's `WSMessage`, extended with optional sequencing fields.
 * - `id`: request id (client-chosen, echoed in the reply) or the subscription id for events.
 * - `channel`: routing key, e.g. `sync:42` for a chat's sync events, `sys` for server notices.
 * - `type`: what the frame is: a request type, `reply`, `error`, an event type, …
 * - `seq`: per-channel event sequence, strictly increasing within an `epoch`.
 * - `ts`: sender's clock (ms since the Unix epoch) when the frame was produced.
 * - `epoch`: identifies the server's replay history; it changes when that history is lost.
 * - `eventId`: the application's own id of an event (the SSE `id:` field), when it has one.
 */
export interface WSMessage<T = unknown> {
  id: string;
  channel: string;
  type: string;
  payload: T;
  seq?: number;
  ts?: number;
  epoch?: string;
  eventId?: string;
  error?: ErrorBody;
}

/** Why a frame could not be decoded. */
export type DecodeFailure =
  | { reason: 'not-json'; detail: string }
  | { reason: 'not-envelope'; detail: string; id?: string };

export type DecodeResult<T = unknown> = { ok: true; message: WSMessage<T> } | ({ ok: false } & DecodeFailure);

const MAX_ID_LENGTH = 128;
const MAX_TYPE_LENGTH = 64;

function isNonEmptyString(value: unknown, max: number): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}

/**
 * Checks that a parsed value is a valid envelope. Returns a reason for the first problem found,
 * or `undefined` when it is valid.
 */
export function envelopeProblem(value: unknown): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'a frame must be a JSON object';
  const frame = value as Record<string, unknown>;
  if (!isNonEmptyString(frame['id'], MAX_ID_LENGTH)) return `"id" must be a non-empty string of at most ${MAX_ID_LENGTH} characters`;
  if (!isNonEmptyString(frame['channel'], MAX_CHANNEL_LENGTH)) return `"channel" must be a non-empty string of at most ${MAX_CHANNEL_LENGTH} characters`;
  if (!isNonEmptyString(frame['type'], MAX_TYPE_LENGTH)) return `"type" must be a non-empty string of at most ${MAX_TYPE_LENGTH} characters`;
  if (!('payload' in frame)) return '"payload" is required (use null for none)';
  if (frame['seq'] !== undefined && !(Number.isSafeInteger(frame['seq']) && (frame['seq'] as number) >= 0)) return '"seq" must be a non-negative integer';
  if (frame['ts'] !== undefined && !Number.isFinite(frame['ts'])) return '"ts" must be a number';
  if (frame['epoch'] !== undefined && typeof frame['epoch'] !== 'string') return '"epoch" must be a string';
  if (frame['eventId'] !== undefined && typeof frame['eventId'] !== 'string') return '"eventId" must be a string';
  const error = frame['error'];
  if (error !== undefined) {
    if (error === null || typeof error !== 'object') return '"error" must be an object';
    const body = error as Record<string, unknown>;
    if (typeof body['code'] !== 'string' || typeof body['message'] !== 'string' || typeof body['retryable'] !== 'boolean') {
      return '"error" must be { code: string, message: string, retryable: boolean }';
    }
  }
  return undefined;
}

/** Decodes one text frame. Never throws. */
export function decodeFrame<T = unknown>(text: string): DecodeResult<T> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: 'not-json', detail: error instanceof Error ? error.message : String(error) };
  }
  const problem = envelopeProblem(value);
  if (problem !== undefined) {
    const id = value !== null && typeof value === 'object' && typeof (value as { id?: unknown }).id === 'string' ? (value as { id: string }).id : undefined;
    return id === undefined ? { ok: false, reason: 'not-envelope', detail: problem } : { ok: false, reason: 'not-envelope', detail: problem, id };
  }
  return { ok: true, message: value as WSMessage<T> };
}

/** Encodes one frame as JSON text. */
export function encodeFrame(message: WSMessage): string {
  return JSON.stringify(message);
}
