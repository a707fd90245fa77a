import { describe, expect, it } from 'vitest';
import { utf8Text } from '../../../../scenarios/k6/runtime/utf8.js';

function bufferOf(bytes: readonly number[]): ArrayBuffer {
  return new Uint8Array(bytes).buffer;
}

describe('utf8Text (binary messages in k6)', () => {
  it('reads JSON and text in any script as Node reads the same bytes', () => {
    for (const text of ['{"type":"event","data":{"seq":7}}', 'crème brûlée — 東京 🚀', '', '%41 100%']) {
      const bytes = Buffer.from(text, 'utf8');
      expect(utf8Text(bufferOf([...bytes]))).toBe(text);
    }
  });

  it('refuses bytes that are not UTF-8: a stray continuation byte, a cut sequence, an overlong form, a surrogate', () => {
    for (const bytes of [[0x80], [0xe6, 0x9d], [0xc0, 0xaf], [0xed, 0xa0, 0x80], [0x7b, 0xff, 0x7d]]) {
      expect(utf8Text(bufferOf(bytes)), bytes.join(',')).toBeUndefined();
    }
  });
});
