import type { EngineName } from '../result/types.js';
import type { Workload } from '../engines/types.js';
import type { KnobDefinition, ScenarioOptions } from './knobs.js';

/** A load scenario: data (name, knobs, metrics) plus the small function that turns options into a workload. */
export interface ScenarioDefinition {
  name: string;
  /** One line for `wsmig load list`. */
  description: string;
  /** Engines that can run it; the first is the default. */
  engines: readonly EngineName[];
  knobs: readonly KnobDefinition[];
  /** Metrics it records (catalog names). */
  metrics: readonly string[];
  /** The workload for resolved options. */
  workload(options: ScenarioOptions): Workload;
  /** A WebSocket scenario this one always runs beside (http-under-load measures HTTP while WebSocket load runs). */
  runsBeside?: string;
  /** `http`: it talks only to HTTP (SSE) endpoints, so an `http://` target without a WebSocket endpoint serves. Absent: it needs the WebSocket endpoint. */
  transport?: 'http';
}

/** Reads a resolved numeric option; the catalog resolves every knob, so a missing one is a programming error. */
export function numberOption(options: ScenarioOptions, key: string): number {
  const value = options[key];
  if (typeof value !== 'number') throw new TypeError(`scenario option "${key}" is not a resolved number`);
  return value;
}

/** Reads a resolved string option (enum knobs). */
export function stringOption(options: ScenarioOptions, key: string): string {
  const value = options[key];
  if (typeof value !== 'string') throw new TypeError(`scenario option "${key}" is not a resolved string`);
  return value;
}
