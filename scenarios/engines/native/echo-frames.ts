/**
 * The `echo` request and its reply, the frames of the native engine's request/reply hot path, without
 * building or parsing whole objects (docs/load.md "Benchmark"): a request is one concatenation of
 * pre-serialised text around its id (exactly the bytes `encodeFrame` would write), and a reply of
 * the exact shape the protocol's servers write is recognised by reading its id from the raw bytes.
 * Anything else goes through the full `decodeFrame`, so nothing is accepted that a full parse
 * would route elsewhere.
 */

/** The channel every `echo` request names. */
export const ECHO_CHANNEL = 'load';

const ID_START = '{"id":"';
/** What follows the id in a reply to an echo: the channel, the type, then the payload. */
const REPLY_AFTER_ID = `","channel":${JSON.stringify(ECHO_CHANNEL)},"type":"reply","payload":`;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/** Writes `echo` requests carrying one payload: `{"id":…,"channel":"load","type":"echo","payload":…}`. */
export class EchoRequestEncoder {
  private readonly afterId: string;

  constructor(payload: string) {
    this.afterId = `","channel":${JSON.stringify(ECHO_CHANNEL)},"type":"echo","payload":${JSON.stringify(payload)}}`;
  }

  /** The request with this id (an id needs no JSON escaping: `e` and digits). */
  encode(id: string): string {
    return ID_START + id + this.afterId;
  }
}

/**
 * The id of a reply to an `echo` request whose id starts with `idPrefix`, read from the raw frame
 * when it has exactly the shape `{"id":"<prefix>…","channel":"load","type":"reply","payload":…}`;
 * undefined for anything else (another shape, key order, type or channel, an escaped id), which
 * the caller decodes in full.
 */
export function echoReplyId(frame: Buffer, idPrefix: number): string | undefined {
  const start = ID_START.length;
  if (frame.length < start + REPLY_AFTER_ID.length + 2 || frame[0] !== OPEN_BRACE || frame[start] !== idPrefix || frame[frame.length - 1] !== CLOSE_BRACE) return undefined;
  if (frame.toString('latin1', 0, start) !== ID_START) return undefined;
  const end = frame.indexOf(QUOTE, start);
  if (end < 0 || frame[end - 1] === BACKSLASH || frame.toString('latin1', end, end + REPLY_AFTER_ID.length) !== REPLY_AFTER_ID) return undefined;
  return frame.toString('latin1', start, end);
}
