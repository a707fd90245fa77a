/**
 * The wsmig wire envelope as the k6 scripts speak it (docs/protocol.md). k6 cannot import wsmig's
 * own protocol module, so this is a deliberately small copy of the parts the scripts need; a test
 * checks it against reference/protocol so the two cannot drift apart. No k6 imports: unit-tested in Node.
 */

/** Frame types the scripts send or handle (the same strings as reference/protocol's MessageType). */
export const FrameType = {
  subscribe: 'subscribe',
  reply: 'reply',
  error: 'error',
  resync: 'resync',
  drain: 'drain',
  syncStart: 'sync:start',
  echo: 'echo',
  syncProgress: 'sync:progress',
  syncComplete: 'sync:complete',
  syncError: 'sync:error',
} as const;

/** The channel for notices about the whole connection (`drain`). */
export const SYSTEM_CHANNEL = 'sys';

/** An error carried by an `error` frame. */
export interface ErrorBody {
  code: string;
  message: string;
  retryable: boolean;
}

/** One frame: `{ id, channel, type, payload }` plus the optional sequencing fields of events. */
export interface Envelope {
  id: string;
  channel: string;
  type: string;
  payload: unknown;
  seq?: number;
  ts?: number;
  epoch?: string;
  error?: ErrorBody;
}

/** Where to resume a subscription: the last `seq` processed, in the server history `epoch`. */
export interface ResumePoint {
  fromSeq: number;
  epoch: string;
}

/** The channel carrying a chat's sync events. */
export function syncChannelOf(chatId: string): string {
  return `sync:${chatId}`;
}

/** A request frame: the server answers it once, with the same `id`. */
export function encodeRequest(id: string, channel: string, type: string, payload: unknown): string {
  return JSON.stringify({ id, channel, type, payload });
}

/** A `subscribe` frame: live only, or resuming after `resume.fromSeq` in `resume.epoch`. */
export function encodeSubscribe(id: string, channel: string, resume?: ResumePoint): string {
  const payload = resume === undefined ? {} : { fromSeq: resume.fromSeq, epoch: resume.epoch };
  return encodeRequest(id, channel, FrameType.subscribe, payload);
}

function isNonEmptyString(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0;
}

/** Decodes one text frame; `undefined` when it is not JSON or not an envelope. Never throws. */
export function decodeEnvelope(text: string): Envelope | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const frame = value as Record<string, unknown>;
  if (!isNonEmptyString(frame['id']) || !isNonEmptyString(frame['channel']) || !isNonEmptyString(frame['type'])) return undefined;
  if (!('payload' in frame)) return undefined;
  const seq = frame['seq'];
  if (seq !== undefined && !(typeof seq === 'number' && Number.isInteger(seq) && seq >= 0)) return undefined;
  const ts = frame['ts'];
  if (ts !== undefined && !(typeof ts === 'number' && isFinite(ts))) return undefined;
  if (frame['epoch'] !== undefined && typeof frame['epoch'] !== 'string') return undefined;
  return frame as unknown as Envelope;
}

/**
 * An echo payload of `bytes` characters (the `payloadBytes` knob): a JSON string of ASCII letters,
 * so the frame grows by exactly that many bytes plus the quotes.
 */
export function echoPayloadOfBytes(bytes: number): string {
  const size = Math.max(0, Math.floor(bytes));
  const alphabet = 'abcdefghijklmnopqrstuvwxyz';
  let text = '';
  while (text.length < size) text += alphabet;
  return text.slice(0, size);
}
