import { describe, expect, it } from 'vitest';
import { decodeFrame } from '../../../../reference/protocol/index.js';
import { MessageType, decodeEnvelope, echoPayloadOfBytes, encodeRequest, encodeSubscribe } from '../../../../scenarios/k6/lib/envelope.js';

describe('k6 envelope helpers', () => {
  it('encode frames the protocol module decodes as valid envelopes', () => {
    const frames = [
      encodeRequest('r1-1', 'echo', MessageType.echo, 'abc'),
      encodeSubscribe('s1-1', 'sync:7'),
      encodeSubscribe('s1-2', 'sync:7', { fromSeq: 17, epoch: 'k3j9x' }),
      encodeRequest('y1-3', 'sync', MessageType.syncStart, { chatId: 'k6abc-latency-0' }),
    ];
    for (const frame of frames) expect(decodeFrame(frame).ok, frame).toBe(true);
    expect(JSON.parse(frames[2] as string)).toEqual({ id: 's1-2', channel: 'sync:7', type: 'subscribe', payload: { fromSeq: 17, epoch: 'k3j9x' } });
    expect(JSON.parse(frames[1] as string).payload).toEqual({});
  });

  it('decodes what the protocol module accepts and rejects what it rejects', () => {
    const samples = [
      '{"id":"s1","channel":"sync:42","type":"sync:progress","payload":{"progress":40},"seq":18,"ts":1764000000000,"epoch":"k3j9x"}',
      '{"id":"c1","channel":"sync","type":"reply","payload":null}',
      'not json',
      '[1,2]',
      '{"id":"","channel":"x","type":"t","payload":null}',
      '{"id":"a","channel":"x","type":"t"}',
      '{"id":"a","channel":"x","type":"t","payload":1,"seq":-1}',
      '{"id":"a","channel":"x","type":"t","payload":1,"seq":1.5}',
      '{"id":"a","channel":"x","type":"t","payload":1,"epoch":3}',
    ];
    for (const text of samples) expect(decodeEnvelope(text) !== undefined, text).toBe(decodeFrame(text).ok);
  });

  it('builds echo payloads of exactly the requested size', () => {
    for (const size of [0, 1, 26, 100, 1000]) expect(echoPayloadOfBytes(size)).toHaveLength(size);
    expect(JSON.stringify(echoPayloadOfBytes(100))).toHaveLength(102);
  });
});
