/**
 * Reads a V8 `.cpuprofile` and sums its self time into the parts of a server's hot path (issue 14):
 * which function a sample landed in decides its part, so a part's time excludes what it calls.
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

/** Parts of the hot path, matched in order on `<function> <file>`; the first that matches takes the sample. */
const PARTS: readonly [string, RegExp][] = [
  ['idle', /^\(idle\) /],
  ['the profiler itself', /^\(program\) |^dispatch $/],
  ['garbage collection', /^\(garbage collector\) /],
  ['socket write system calls', /^(writev|writeBuffer|writeUtf8String|writeLatin1String|writeAsciiString) /],
  ['socket read and ws frame parsing', /(receiver\.js|^onStreamRead |^readableAddChunk|^socketOnData )/],
  ['frame text to string, JSON parse, envelope validation', /^(decodeFrame|envelopeProblem|parse|toString|utf8Slice) /],
  ['reply serialisation and framing', /^(encodeFrame|errorFrame|textFrame|eventFrame|stringify|frameFor|frame|write|utf8Write|byteLength|FastBuffer|createUnsafeBuffer|allocUnsafe) /],
  ['metrics', /(^countMessage |^observeRequestMs |^observe |prom-client)/],
  ['rate limiter', /^take .*rate-limiter/],
  ['logging', /pino/],
  ['request dispatch (connection, handlers)', /(connection\.js|request-handlers\.js|subscriptions\.js|hub\.js)/],
  ['ws send path and Node streams', /(sender\.js|websocket\.js|stream|writable|net|events|^processTicksAndRejections |^emit |^get )/],
];

/** Self time in ms per part (and `other`), over the whole profile. */
export async function selfTimeByPart(path: string): Promise<Map<string, number>> {
  const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
  const partOf = new Map<number, string>();
  for (const node of profile.nodes) {
    const name = `${node.callFrame.functionName || '(anonymous)'} ${node.callFrame.url}`;
    partOf.set(node.id, PARTS.find(([, pattern]) => pattern.test(name))?.[0] ?? 'other');
  }
  const totals = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const part = partOf.get(id) ?? 'other';
    totals.set(part, (totals.get(part) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  });
  return totals;
}
