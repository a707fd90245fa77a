/**
 * The JavaScript pieces of the native engine's request/reply hot path, each timed against the way
 * it was done before (or could be done), in CPU microseconds per message: what a lever saves, free
 * of the kernel and of other processes' noise, which on a shared machine swamp a few percent in a
 * whole-run comparison. Part of `npm run bench:load` (`node dist/bench/load.js hot-path` alone).
 */
import { isUtf8 } from 'node:buffer';
import { decodeFrame, encodeFrame } from '../../reference/protocol/index.js';
import { EchoRequestEncoder, echoReplyId } from '../../scenarios/engines/native/echo-frames.js';
import { MetricsRecorder, type CounterHandle } from '../../scenarios/result/recorder.js';
import { PAYLOAD } from './artillery.js';

const OPS = 400_000;
const ECHO_ID = 'e'.charCodeAt(0);

/** CPU µs per call of `op` (after a warm-up), best of three rounds. */
function cpuMicros(op: (i: number) => void): number {
  for (let i = 0; i < 50_000; i += 1) op(i);
  let best = Infinity;
  for (let round = 0; round < 3; round += 1) {
    const before = process.cpuUsage();
    for (let i = 0; i < OPS; i += 1) op(i);
    const used = process.cpuUsage(before);
    best = Math.min(best, (used.user + used.system) / OPS);
  }
  return best;
}

export interface HotPathLever {
  name: string;
  beforeUs: number;
  afterUs: number;
  adopted: boolean;
}

/** Times each lever's before and after. */
export function measureHotPath(): HotPathLever[] {
  let sink = 0;
  const encoder = new EchoRequestEncoder(PAYLOAD);
  const replies = Array.from({ length: 1_000 }, (_, i) => Buffer.from(encodeFrame({ id: `e${i}`, channel: 'load', type: 'reply', payload: PAYLOAD })));
  const recorder = new MetricsRecorder({ startMs: Date.now() });
  const counters = ['ws_msgs_sent', 'data_sent', 'iterations', 'ws_msgs_received', 'data_received'].map((name) => recorder.counter(name, {}));
  const rtt = recorder.trend('ws_rpc_duration', {});
  const checks = recorder.rate('checks', {});
  const levers: HotPathLever[] = [
    {
      // Both as the bytes ws writes (Buffer.from), so a lazily concatenated string pays its flattening here.
      name: 'echo request: pre-serialised template instead of JSON.stringify of an object',
      beforeUs: cpuMicros((i) => (sink += Buffer.from(encodeFrame({ id: `e${i}`, channel: 'load', type: 'echo', payload: PAYLOAD })).length)),
      afterUs: cpuMicros((i) => (sink += Buffer.from(encoder.encode(`e${i}`)).length)),
      adopted: true,
    },
    {
      name: 'echo reply: its id read from the raw frame instead of decoding all of it',
      beforeUs: cpuMicros((i) => {
        const decoded = decodeFrame((replies[i % 1_000] as Buffer).toString());
        if (decoded.ok) sink += decoded.message.id.length;
      }),
      afterUs: cpuMicros((i) => (sink += echoReplyId(replies[i % 1_000] as Buffer, ECHO_ID)?.length ?? 0)),
      adopted: true,
    },
    {
      name: "UTF-8 validation of each reply (what ws's skipUTF8Validation would skip)",
      beforeUs: cpuMicros((i) => (sink += isUtf8(replies[i % 1_000] as Buffer) ? 1 : 0)),
      afterUs: 0,
      adopted: false,
    },
    {
      name: 'recording a request (7 samples): 3 clock reads shared instead of one each',
      beforeUs: cpuMicros((i) => {
        for (const counter of counters) counter.add(1);
        rtt.add(1 + (i % 50) / 10);
        checks.add(true);
      }),
      // As the engine records: one read for the send's two samples, the iteration's own, one for the reply's four.
      afterUs: cpuMicros((i) => {
        const sentAtMs = recorder.now();
        (counters[0] as CounterHandle).add(1, sentAtMs);
        (counters[1] as CounterHandle).add(130, sentAtMs);
        (counters[2] as CounterHandle).add(1);
        const receivedAtMs = recorder.now();
        (counters[3] as CounterHandle).add(1, receivedAtMs);
        (counters[4] as CounterHandle).add(130, receivedAtMs);
        rtt.add(1 + (i % 50) / 10, receivedAtMs);
        checks.add(true, receivedAtMs);
      }),
      adopted: true,
    },
  ];
  if (sink === 0) throw new Error('the hot-path benchmark measured nothing');
  return levers;
}
