// What the emulation records: metric samples, errors thrown in callbacks, open sockets.

/** name → { type, isTime, samples: [value, tags][] } */
export const metrics = new Map();
/** Errors thrown by script callbacks (k6 would fail the iteration). */
export const errors = [];
export const sockets = { open: 0 };
/** Tags k6 adds to every sample by itself. */
export const systemTags = { scenario: '' };

const NAME = /^[a-zA-Z_][a-zA-Z0-9_]{1,128}$/;

/** Registers a metric as k6 does: one type per name, names k6 accepts. */
export function defineMetric(name, type, isTime) {
  if (!NAME.test(name)) throw new Error(`emulator: k6 rejects the metric name "${name}"`);
  const existing = metrics.get(name);
  if (existing !== undefined) {
    if (existing.type !== type) throw new Error(`emulator: metric "${name}" already exists with type ${existing.type}, not ${type}`);
    return existing;
  }
  const metric = { type, isTime: Boolean(isTime), samples: [] };
  metrics.set(name, metric);
  return metric;
}

export function record(name, type, value, tags = {}) {
  for (const [key, tagValue] of Object.entries(tags)) {
    if (typeof tagValue !== 'string') throw new Error(`emulator: tag "${key}" of ${name} is ${typeof tagValue}, k6 tags are strings`);
  }
  defineMetric(name, type, false).samples.push([typeof value === 'boolean' ? (value ? 1 : 0) : value, { ...systemTags, ...tags }]);
}

/** Runs a script callback as k6's event loop would, keeping what it throws. */
export function guarded(callback) {
  return (...args) => {
    try {
      return callback(...args);
    } catch (error) {
      errors.push(String(error && error.stack ? error.stack : error));
      return undefined;
    }
  };
}
