/**
 * WebSocket text frames built by the gateway (RFC 6455 §5.2; server to client: FIN set, unmasked),
 * written straight to the upgraded socket: a reply goes out as one buffer in one write, and an
 * event's bytes are encoded once for all its subscribers instead of once per `ws.send` (issue 14).
 */

/** Opcode 0x1 (text) with FIN. */
const FIN_TEXT = 0x81;

function headerBytes(payloadBytes: number): number {
  return payloadBytes < 126 ? 2 : payloadBytes < 65_536 ? 4 : 10;
}

/** Writes the frame header of a `payloadBytes` text frame at the start of `target`; returns its length. */
function writeHeader(target: Buffer, payloadBytes: number): number {
  target[0] = FIN_TEXT;
  if (payloadBytes < 126) {
    target[1] = payloadBytes;
    return 2;
  }
  if (payloadBytes < 65_536) {
    target[1] = 126;
    target.writeUInt16BE(payloadBytes, 2);
    return 4;
  }
  target[1] = 127;
  target.writeUInt32BE(Math.floor(payloadBytes / 2 ** 32), 2);
  target.writeUInt32BE(payloadBytes >>> 0, 6);
  return 10;
}

/** The whole text frame of `text`, header and UTF-8 payload in one buffer. */
export function textFrame(text: string): Buffer {
  const payloadBytes = Buffer.byteLength(text);
  const frame = Buffer.allocUnsafe(headerBytes(payloadBytes) + payloadBytes);
  frame.write(text, writeHeader(frame, payloadBytes));
  return frame;
}

/** The text frame whose payload is `head` followed by `tail` (the bytes many frames share), in one buffer. */
export function eventFrame(head: Buffer, tail: Buffer): Buffer {
  const payloadBytes = head.length + tail.length;
  const frame = Buffer.allocUnsafe(headerBytes(payloadBytes) + payloadBytes);
  const at = writeHeader(frame, payloadBytes);
  head.copy(frame, at);
  tail.copy(frame, at + head.length);
  return frame;
}
