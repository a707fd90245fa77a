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

/** The k6 class of a metric type: `new Counter(name, isTime)`. */
const metricClass = (type) =>
  class extends Metric {
    constructor(name, isTime) {
      super(type, name, isTime);
    }
  };

export const Counter = metricClass('counter');
export const Gauge = metricClass('gauge');
export const Rate = metricClass('rate');
export const Trend = metricClass('trend');
