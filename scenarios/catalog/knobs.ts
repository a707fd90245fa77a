/**
 * Scenario knobs: named, typed, documented settings with defaults. The same names are read by the
 * native and autocannon engines (resolved options), by `--set knob=value` on the CLI, and by the k6
 * scripts as environment variables (`WSMIG_<KNOB>`).
 */
import { UsageError } from '../../lib/errors.js';
import { parseDurationMs } from '../../lib/duration.js';
import type { ReconnectSettings } from '../engines/types.js';

export type KnobKind = 'integer' | 'number' | 'duration' | 'enum';

/** One knob of a scenario. */
export interface KnobDefinition {
  /** The name users write: `--set rampUp=5s`. */
  name: string;
  kind: KnobKind;
  /** The default: a number for numbers, ms for durations, a string for enums. */
  default: number | string;
  description: string;
  /** Smallest accepted value (numbers and durations, in ms for durations). */
  min?: number;
  max?: number;
  /** Accepted values of an enum knob. */
  values?: readonly string[];
}

/** Resolved knob values by option key: a knob's name, or `<name>Ms` for a duration (units in names). */
export type ScenarioOptions = Record<string, number | string>;

/** The option key of a knob: durations carry their unit (`rampUp` → `rampUpMs`). */
export function optionKey(knob: KnobDefinition): string {
  return knob.kind === 'duration' ? `${knob.name}Ms` : knob.name;
}

/** The environment variable the k6 scripts read for a knob: `rampUp` → `WSMIG_RAMP_UP`. */
export function knobEnvVar(name: string): string {
  return `WSMIG_${name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()}`;
}

/** A knob's value as people write it (`30s`, `1m`, `500ms`, `100`, `auto`), so it parses back to the same value. */
export function formatKnobValue(knob: KnobDefinition, value: number | string = knob.default): string {
  if (knob.kind !== 'duration' || typeof value !== 'number') return String(value);
  if (value > 0 && value % 60_000 === 0) return `${value / 60_000}m`;
  if (value > 0 && value % 1_000 === 0) return `${value / 1_000}s`;
  return `${value}ms`;
}

/**
 * Parses a knob value given as text (CLI, env). `where` names the scenario for the error message.
 * @throws UsageError saying what the knob accepts.
 */
export function parseKnobValue(knob: KnobDefinition, text: string, where: string): number | string {
  const trimmed = String(text).trim();
  const bad = (expected: string): never => {
    throw new UsageError('BAD_KNOB_VALUE', `Invalid value "${text}" for ${where} knob "${knob.name}": expected ${expected}. Run \`wsmig load list\` to see every knob.`);
  };
  let value: number | string;
  switch (knob.kind) {
    case 'integer':
      if (!/^\d+$/.test(trimmed)) bad(`a whole number${rangeText(knob)}`);
      value = Number(trimmed);
      break;
    case 'number':
      if (!/^\d+(\.\d+)?$/.test(trimmed)) bad(`a number${rangeText(knob)}`);
      value = Number(trimmed);
      break;
    case 'duration':
      try {
        value = parseDurationMs(trimmed, `${where} knob "${knob.name}"`);
      } catch (error) {
        throw new UsageError('BAD_KNOB_VALUE', `Invalid value "${text}" for ${where} knob "${knob.name}": expected a duration such as 500ms, 30s or 1m30s.`, { cause: error });
      }
      break;
    case 'enum':
      if (!knob.values?.includes(trimmed)) bad(`one of ${(knob.values ?? []).join(', ')}`);
      value = trimmed;
      break;
  }
  checkRange(knob, value, where);
  return value;
}

/** Checks a knob value against its range. @throws UsageError */
export function checkRange(knob: KnobDefinition, value: number | string, where: string): void {
  if (typeof value !== 'number') return;
  if ((knob.min !== undefined && value < knob.min) || (knob.max !== undefined && value > knob.max)) {
    throw new UsageError(
      'BAD_KNOB_VALUE',
      `Invalid value ${formatKnobValue(knob, value)} for ${where} knob "${knob.name}": expected${rangeText(knob)}.`,
    );
  }
}

function rangeText(knob: KnobDefinition): string {
  const show = (n: number): string => formatKnobValue(knob, n);
  if (knob.min !== undefined && knob.max !== undefined) return ` from ${show(knob.min)} to ${show(knob.max)}`;
  if (knob.min !== undefined) return ` of at least ${show(knob.min)}`;
  if (knob.max !== undefined) return ` of at most ${show(knob.max)}`;
  return '';
}

/** Builders for the knobs every scenario shares, so their names and meanings stay the same. */
export const commonKnobs = {
  connections: (defaultValue: number, description = 'WebSocket connections held open.'): KnobDefinition => ({
    name: 'connections',
    kind: 'integer',
    default: defaultValue,
    min: 1,
    max: 200_000,
    description,
  }),
  rate: (defaultValue: number, description = 'Requests started per second (open model: on schedule whatever the replies do).'): KnobDefinition => ({
    name: 'rate',
    kind: 'number',
    default: defaultValue,
    min: 0,
    max: 1_000_000,
    description,
  }),
  duration: (defaultMs: number, description = 'How long the scenario runs, ramp-up included.'): KnobDefinition => ({
    name: 'duration',
    kind: 'duration',
    default: defaultMs,
    min: 1,
    description,
  }),
  rampUp: (defaultMs: number, description = 'Connections open, and the request rate climbs linearly from 0, over this time.'): KnobDefinition => ({
    name: 'rampUp',
    kind: 'duration',
    default: defaultMs,
    min: 0,
    description,
  }),
  payloadBytes: (defaultValue: number, description = 'Size of each request payload, bytes.'): KnobDefinition => ({
    name: 'payloadBytes',
    kind: 'integer',
    default: defaultValue,
    min: 0,
    max: 512 * 1024,
    description,
  }),
  syncs: (defaultValue: number, description: string): KnobDefinition => ({
    name: 'syncs',
    kind: 'integer',
    default: defaultValue,
    min: 0,
    max: 100_000,
    description,
  }),
};

/** A request still unanswered after this is recorded at this duration and counted as failed. */
export const requestTimeoutKnob: KnobDefinition = {
  name: 'requestTimeout',
  kind: 'duration',
  default: 10_000,
  min: 1,
  description: 'A request still unanswered after this is recorded at this duration and counted as failed.',
};

/** The reference client's reconnect defaults (base 500 ms; the cap is lower than its 30 s to keep runs short). */
export const DEFAULT_RECONNECT: ReconnectSettings = { baseDelayMs: 500, maxDelayMs: 10_000 };
