/**
 * The wsmig wire envelope as the k6 scripts speak it (docs/protocol.md): the protocol module itself
 * (`reference/protocol`), bundled into each script, plus the few frames the scripts build. No k6
 * imports: unit-tested in Node, and used by the native engine too.
 */
import { MessageType, SYSTEM_CHANNEL, decodeFrame, encodeFrame, syncChannel, type WSMessage } from '../../../reference/protocol/index.js';

export { MessageType, SYSTEM_CHANNEL };

/** One frame: `{ id, channel, type, payload }` plus the optional sequencing fields of events. */
export type Envelope = WSMessage;

/** Where to resume a subscription: the last `seq` processed, in the server history `epoch`. */
export interface ResumePoint {
  fromSeq: number;
  epoch: string;
}

/** The channel carrying a chat's sync events. */
export function syncChannelOf(chatId: string): string {
  return syncChannel(chatId);
}

/** A request frame: the server answers it once, with the same `id`. */
export function encodeRequest(id: string, channel: string, type: string, payload: unknown): string {
  return encodeFrame({ id, channel, type, payload });
}

/** A `subscribe` frame: live only, or resuming after `resume.fromSeq` in `resume.epoch`. */
export function encodeSubscribe(id: string, channel: string, resume?: ResumePoint): string {
  const payload = resume === undefined ? {} : { fromSeq: resume.fromSeq, epoch: resume.epoch };
  return encodeRequest(id, channel, MessageType.subscribe, payload);
}

/** Decodes one text frame; `undefined` when it is not JSON or not an envelope. Never throws. */
export function decodeEnvelope(text: string): Envelope | undefined {
  const decoded = decodeFrame(text);
  return decoded.ok ? decoded.message : undefined;
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
