// k6/metrics stand-in: custom metrics recorded in memory.
import { defineMetric, record } from './state.mjs';

class Metric {
  constructor(type, name, isTime) {
    this.name = name;
    this.type = type;
    const metric = defineMetric(name, type, isTime);
    if (isTime) metric.isTime = true;
  }

  add(value, tags) {
    if (typeof value !== 'number' && typeof value !== 'boolean') throw new Error(`emulator: ${this.name}.add(${String(value)}) needs a number or boolean`);
    if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`emulator: ${this.name}.add(${value}) is not finite`);
    record(this.name, this.type, value, tags);
  }
}

export class Counter extends Metric {
  constructor(name, isTime) {
    super('counter', name, isTime);
  }
}
export class Gauge extends Metric {
  constructor(name, isTime) {
    super('gauge', name, isTime);
  }
}
export class Rate extends Metric {
  constructor(name, isTime) {
    super('rate', name, isTime);
  }
}
export class Trend extends Metric {
  constructor(name, isTime) {
    super('trend', name, isTime);
  }
}
