import { describe, expect, it } from 'vitest';
import * as ws from 'ws';
import { eventFrame, textFrame } from '../../../reference/server/text-frame.js';

/** `ws`'s own framing (public in `ws`, untyped in @types/ws). */
const { Sender } = ws as unknown as { Sender: { frame(data: Buffer, options: Record<string, unknown>): Buffer[] } };

/** The frame `ws` itself would send for `text` (server side: unmasked, FIN). */
function wsFrame(text: string): Buffer {
  return Buffer.concat(Sender.frame(Buffer.from(text), { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false }));
}

describe('text frames written by the gateway', () => {
  // Payload lengths around the 7-bit, 16-bit and 64-bit length encodings (RFC 6455 §5.2), and multi-byte UTF-8.
  const texts = ['', 'x'.repeat(125), 'x'.repeat(126), 'é'.repeat(63), 'x'.repeat(65_535), 'x'.repeat(65_536), `{"payload":"${'€'.repeat(30_000)}"}`];

  it.each(texts.map((text) => [text.length, text]))('frames %i characters as ws does', (_length, text) => {
    expect(textFrame(text).equals(wsFrame(text))).toBe(true);
  });

  it.each(texts.map((text) => [text.length, text]))('frames a start and a shared tail (%i characters) as one frame of both', (_length, text) => {
    const head = Buffer.from('{"id":"s1","channel":"room:1",');
    const tail = Buffer.from(text);
    expect(eventFrame(head, tail).equals(wsFrame(`${head.toString()}${text}`))).toBe(true);
  });
});
