import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { decodeFrame, encodeFrame } from '../../../../reference/protocol/index.js';
import { ECHO_CHANNEL, EchoRequestEncoder, echoReplyId } from '../../../../scenarios/engines/native/echo-frames.js';

const E = 'e'.charCodeAt(0);
const reply = (message: object): Buffer => Buffer.from(JSON.stringify(message));

describe('echo frames on the hot path', () => {
  it('writes exactly the bytes encodeFrame writes, for any id and payload', () => {
    fc.assert(
      fc.property(fc.nat(), fc.string(), (n, payload) => {
        expect(new EchoRequestEncoder(payload).encode(`e${n}`)).toBe(encodeFrame({ id: `e${n}`, channel: ECHO_CHANNEL, type: 'echo', payload }));
      }),
    );
  });

  it('reads the id of a reply as the protocol\'s servers write it, and the same id a full decode reads', () => {
    fc.assert(
      fc.property(fc.nat(), fc.oneof(fc.string(), fc.constant(null), fc.dictionary(fc.string(), fc.integer())), (n, payload) => {
        const frame = Buffer.from(encodeFrame({ id: `e${n}`, channel: ECHO_CHANNEL, type: 'reply', payload }));
        const decoded = decodeFrame(frame.toString());
        expect(decoded.ok && decoded.message.type === 'reply' && decoded.message.id).toBe(`e${n}`);
        expect(echoReplyId(frame, E)).toBe(`e${n}`);
      }),
    );
  });

  it('leaves every other frame to the full decode', () => {
    const others = [
      reply({ id: 'e1', channel: 'load', type: 'error', error: { code: 'RATE_LIMITED', message: 'slow down' } }),
      reply({ id: 'e1', channel: 'other', type: 'reply', payload: 1 }),
      reply({ channel: 'load', id: 'e1', type: 'reply', payload: 1 }),
      reply({ id: 's0', channel: 'load', type: 'reply', payload: {} }),
      reply({ id: 'e1"x', channel: 'load', type: 'reply', payload: 1 }),
      Buffer.from('{"id":"e1","channel":"load","type":"reply","payload":"cut'),
      Buffer.from('{"id":"e1"}'),
      Buffer.from('not json at all, not even close to it, but long enough'),
    ];
    for (const frame of others) expect(echoReplyId(frame, E), frame.toString()).toBeUndefined();
  });
});
