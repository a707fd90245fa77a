/**
 * UTF-8 text of a binary WebSocket message in k6, which has no TextDecoder: the bytes are
 * percent-encoded and read back with the language's own UTF-8 decoder, `decodeURIComponent`, which
 * refuses a malformed sequence. No Node or k6 imports.
 */

const HEX = Array.from({ length: 256 }, (_, byte) => `%${byte.toString(16).padStart(2, '0')}`);

/** The message's text, or undefined when its bytes are not UTF-8. */
export function utf8Text(data: ArrayBuffer): string | undefined {
  const bytes = new Uint8Array(data);
  let escaped = '';
  for (let i = 0; i < bytes.length; i += 1) escaped += HEX[bytes[i] as number];
  try {
    return decodeURIComponent(escaped);
  } catch {
    return undefined;
  }
}
