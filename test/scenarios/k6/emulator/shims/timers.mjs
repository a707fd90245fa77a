// k6/timers stand-in: numeric ids, as k6 returns.
import { guarded } from './state.mjs';

const handles = new Map();
let nextId = 1;

export function setTimeout(callback, delayMs, ...args) {
  const id = nextId++;
  handles.set(
    id,
    globalThis.setTimeout(() => {
      handles.delete(id);
      guarded(callback)(...args);
    }, delayMs),
  );
  return id;
}

export function clearTimeout(id) {
  const handle = handles.get(id);
  if (handle !== undefined) globalThis.clearTimeout(handle);
  handles.delete(id);
}

export function setInterval() {
  throw new Error('emulator: setInterval is not emulated (the scripts do not use it)');
}

export function clearInterval() {
  throw new Error('emulator: clearInterval is not emulated (the scripts do not use it)');
}

export function pendingTimers() {
  return handles.size;
}
