/**
 * Scenario knobs as the k6 scripts read them: environment variables `WSMIG_<KNOB>` (`rampUp` →
 * `WSMIG_RAMP_UP`), the same names and defaults as wsmig's scenario catalog (a test keeps them in
 * step). Durations accept k6's notation (`500ms`, `30s`, `1m30s`); a bare number is milliseconds.
 * No k6 imports: unit-tested in Node.
 */
import { parseDurationMs } from '../../../lib/duration.js';

export type KnobKind = 'integer' | 'number' | 'duration' | 'enum';

/** One knob of a k6 script. */
export interface KnobSpec {
  name: string;
  kind: KnobKind;
  /** The default: a number, a duration in ms, or an enum value. */
  default: number | string;
  min?: number;
  max?: number;
  values?: readonly string[];
}

/** Knob values by name; durations in milliseconds. */
export type KnobValues = Record<string, number | string>;

/** The environment variable for a knob: `rampUp` → `WSMIG_RAMP_UP`. */
export function knobEnvVar(name: string): string {
  return `WSMIG_${name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/** Milliseconds of a duration (`500ms`, `30s`, `1m30s`, `2h`; a bare number is ms), or `undefined` when malformed: wsmig's own parser. */
export function durationMsOf(text: string): number | undefined {
  try {
    return parseDurationMs(text);
  } catch {
    return undefined;
  }
}

/** A duration in k6's notation, for `options` (`1500` → `1500ms`). */
export function k6Duration(ms: number): string {
  return `${Math.max(0, Math.round(ms))}ms`;
}

function expectation(spec: KnobSpec): string {
  const range = spec.min !== undefined && spec.max !== undefined ? ` from ${spec.min} to ${spec.max}` : spec.min !== undefined ? ` of at least ${spec.min}` : '';
  switch (spec.kind) {
    case 'integer':
      return `a whole number${range}`;
    case 'number':
      return `a number${range}`;
    case 'duration':
      return `a duration such as 500ms, 30s or 1m30s${spec.min !== undefined ? ` (at least ${spec.min}ms)` : ''}`;
    case 'enum':
      return `one of ${(spec.values ?? []).join(', ')}`;
  }
}

function parseKnob(spec: KnobSpec, text: string): number | string | undefined {
  const trimmed = text.trim();
  let value: number | string;
  switch (spec.kind) {
    case 'integer':
      if (!/^\d+$/.test(trimmed)) return undefined;
      value = Number(trimmed);
      break;
    case 'number':
      if (!/^\d+(\.\d+)?$/.test(trimmed)) return undefined;
      value = Number(trimmed);
      break;
    case 'duration': {
      const ms = durationMsOf(trimmed);
      if (ms === undefined) return undefined;
      value = ms;
      break;
    }
    case 'enum':
      if ((spec.values ?? []).indexOf(trimmed) < 0) return undefined;
      value = trimmed;
      break;
  }
  if (typeof value === 'number' && ((spec.min !== undefined && value < spec.min) || (spec.max !== undefined && value > spec.max))) return undefined;
  return value;
}

/**
 * Reads every knob from the environment, falling back to its default.
 * @throws Error naming the variable, the value and what it accepts (k6 shows it and stops before the test).
 */
export function readKnobs(specs: readonly KnobSpec[], env: Record<string, string | undefined>): KnobValues {
  const values: KnobValues = {};
  for (const spec of specs) {
    const variable = knobEnvVar(spec.name);
    const text = env[variable];
    if (text === undefined || text.trim() === '') {
      values[spec.name] = spec.default;
      continue;
    }
    const value = parseKnob(spec, text);
    if (value === undefined) throw new Error(`${variable}="${text}" is not valid: expected ${expectation(spec)}.`);
    values[spec.name] = value;
  }
  return values;
}

/** A resolved number knob; a missing one is a programming error in the script. */
export function numberKnob(values: KnobValues, name: string): number {
  const value = values[name];
  if (typeof value !== 'number') throw new Error(`knob "${name}" is not a number`);
  return value;
}

/** A resolved enum knob. */
export function textKnob(values: KnobValues, name: string): string {
  const value = values[name];
  if (typeof value !== 'string') throw new Error(`knob "${name}" is not text`);
  return value;
}
