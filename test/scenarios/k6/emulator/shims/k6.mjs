// k6 stand-in: check() and sleep().
import { record } from './state.mjs';

export function check(value, sets, tags = {}) {
  let all = true;
  for (const [name, test] of Object.entries(sets)) {
    const ok = Boolean(typeof test === 'function' ? test(value) : test);
    record('checks', 'rate', ok, { ...tags, check: name });
    all = all && ok;
  }
  return all;
}

/** Blocks, as k6's sleep blocks its VU. */
export function sleep(seconds) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Math.max(0, seconds * 1000));
}

export default { check, sleep };
