/**
 * Scenario knobs: named, typed, documented settings with defaults. The same names are read by the
 * native and autocannon engines (resolved options), by `--set knob=value` on the CLI, and by the k6
 * scripts as environment variables (`WSMIG_<KNOB>`).
 */
import { UsageError } from '../../lib/errors.js';
import { parseDurationMs } from '../../lib/duration.js';
import type { KnobSpec } from '../k6/lib/knobs.js';
import { knobSpecs } from '../k6/lib/scenario-knobs.js';

export { knobEnvVar } from '../k6/lib/knobs.js';

/**
 * One knob of a scenario: the name users write (`--set rampUp=5s`), its kind, default (ms for
 * durations), range (ms for durations) or enum values — as the k6 scripts read it — and what it does.
 */
export interface KnobDefinition extends KnobSpec {
  description: string;
}

/** Resolved knob values by option key: a knob's name, or `<name>Ms` for a duration (units in names). */
export type ScenarioOptions = Record<string, number | string>;

/** The option key of a knob: durations carry their unit (`rampUp` → `rampUpMs`). */
export function optionKey(knob: KnobDefinition): string {
  return knob.kind === 'duration' ? `${knob.name}Ms` : knob.name;
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

/** A knob as the k6 scripts define it, with the catalog's description. */
export function describedKnob(spec: KnobSpec, description: string): KnobDefinition {
  return { ...spec, description };
}

/** Builders for the knobs every scenario shares, so their names and meanings stay the same. */
export const commonKnobs = {
  connections: (defaultValue: number, description = 'WebSocket connections held open.'): KnobDefinition => describedKnob(knobSpecs.connections(defaultValue), description),
  rate: (defaultValue: number, description = 'Requests started per second (open model: on schedule whatever the replies do).'): KnobDefinition =>
    describedKnob(knobSpecs.rate(defaultValue), description),
  duration: (defaultMs: number, description = 'How long the scenario runs, ramp-up included.'): KnobDefinition => describedKnob(knobSpecs.duration(defaultMs), description),
  rampUp: (defaultMs: number, description = 'Connections open, and the request rate climbs linearly from 0, over this time.'): KnobDefinition =>
    describedKnob(knobSpecs.rampUp(defaultMs), description),
  payloadBytes: (defaultValue: number, description = 'Size of each request payload, bytes.'): KnobDefinition => describedKnob(knobSpecs.payloadBytes(defaultValue), description),
  syncs: (defaultValue: number, description: string): KnobDefinition => describedKnob(knobSpecs.syncs(defaultValue), description),
};

/** A request still unanswered after this is recorded at this duration and counted as failed. */
export const requestTimeoutKnob: KnobDefinition = describedKnob(knobSpecs.requestTimeout, 'A request still unanswered after this is recorded at this duration and counted as failed.');
