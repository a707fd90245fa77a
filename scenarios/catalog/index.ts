/**
 * The scenario catalog: every load scenario wsmig knows, how to look one up, how to resolve its
 * options from defaults and user overrides, and the pre-rollout check (`wsmig load run` with no
 * scenario, `npm start`).
 */
import { UsageError } from '../../lib/errors.js';
import { closestNames } from '../thresholds/did-you-mean.js';
import { fanOutScenario } from './fan-out.js';
import { httpUnderLoadScenario } from './http-under-load.js';
import { checkRange, formatKnobValue, knobEnvVar, optionKey, parseKnobValue, type ScenarioOptions } from './knobs.js';
import { latencyScenario } from './latency.js';
import { reconnectStormScenario } from './reconnect-storm.js';
import { soakScenario } from './soak.js';
import { sseBaselineScenario } from './sse-baseline.js';
import { sseStreamScenario } from './sse-stream.js';
import { syncProgressScenario } from './sync-progress.js';
import type { ScenarioDefinition } from './types.js';

export type { ScenarioDefinition } from './types.js';
export { formatKnobValue, knobEnvVar, optionKey, type KnobDefinition, type ScenarioOptions } from './knobs.js';

/** Every scenario, in the order `wsmig load list` shows them. */
export const SCENARIOS: readonly ScenarioDefinition[] = [
  latencyScenario,
  reconnectStormScenario,
  syncProgressScenario,
  soakScenario,
  fanOutScenario,
  sseBaselineScenario,
  sseStreamScenario,
  httpUnderLoadScenario,
];

/**
 * The pre-rollout check: short runs of the three scenarios behind the seed's rollback triggers,
 * sized to pass on a healthy 2-core machine in about 35 s with the default thresholds. The reconnect
 * storm leaves room after each cut for the slowest client to come back (a restart of the embedded
 * server plus the client's backoff: up to 5–9 s here), so both cuts fit in the run.
 */
export const PRE_ROLLOUT_CHECK: readonly { scenario: string; overrides: Readonly<Record<string, string>> }[] = [
  { scenario: 'latency', overrides: { duration: '8s', rampUp: '1s', connections: '100', rate: '200', syncs: '5' } },
  { scenario: 'reconnect-storm', overrides: { duration: '16s', rampUp: '1s', connections: '200', syncs: '10', cuts: '2' } },
  { scenario: 'sync-progress', overrides: { duration: '6s', rampUp: '500ms', connections: '20', syncs: '20' } },
];

/**
 * The scenario with this name.
 * @throws UsageError naming the known scenarios (and the closest one).
 */
export function scenarioByName(name: string): ScenarioDefinition {
  const found = SCENARIOS.find((scenario) => scenario.name === name);
  if (found) return found;
  const names = SCENARIOS.map((scenario) => scenario.name);
  const [closest] = closestNames(name, names);
  throw new UsageError(
    'UNKNOWN_SCENARIO',
    `Unknown scenario "${name}"${closest ? ` (did you mean "${closest}"?)` : ''}: choose one of ${names.join(', ')}, or run \`wsmig load list\`.`,
  );
}

/** A knob override as given by the user: `rate=100` (every selected scenario with a `rate` knob) or `latency.rate=100`. */
export interface KnobOverride {
  scenario?: string;
  knob: string;
  value: string;
  /** Where it came from, for error messages (`--rate`, `--set`). */
  source: string;
}

/**
 * Parses `--set` items: `knob=value` or `scenario.knob=value`.
 * @throws UsageError on a malformed item.
 */
export function parseSetItems(items: readonly string[]): KnobOverride[] {
  return items.map((item) => {
    const match = /^(?:([a-z][a-z0-9-]*)\.)?([A-Za-z][A-Za-z0-9]*)=(.*)$/.exec(item.trim());
    if (!match) throw new UsageError('BAD_SET', `Invalid --set "${item}": write knob=value or scenario.knob=value, e.g. --set rampUp=5s or --set latency.rate=500.`);
    const [, scenario, knob, value] = match as unknown as [string, string | undefined, string, string];
    if (scenario !== undefined) scenarioByName(scenario);
    return scenario === undefined ? { knob, value, source: '--set' } : { scenario, knob, value, source: '--set' };
  });
}

/**
 * Resolves one scenario's options: its defaults, then `base` (a preset such as the pre-rollout
 * check), then the user's overrides that apply to it.
 * @throws UsageError on a bad value or a knob the targeted scenario does not have.
 */
export function resolveScenarioOptions(scenario: ScenarioDefinition, overrides: readonly KnobOverride[], base: Readonly<Record<string, string>> = {}): ScenarioOptions {
  const options: ScenarioOptions = {};
  for (const knob of scenario.knobs) {
    checkRange(knob, knob.default, scenario.name);
    options[optionKey(knob)] = knob.default;
  }
  const apply = (knobName: string, text: string): boolean => {
    const knob = scenario.knobs.find((candidate) => candidate.name === knobName);
    if (!knob) return false;
    options[optionKey(knob)] = parseKnobValue(knob, text, scenario.name);
    return true;
  };
  for (const [knob, value] of Object.entries(base)) apply(knob, value);
  for (const override of overrides) {
    if (override.scenario !== undefined && override.scenario !== scenario.name) continue;
    if (!apply(override.knob, override.value) && override.scenario !== undefined) {
      throw new UsageError('UNKNOWN_KNOB', `Scenario "${scenario.name}" has no knob "${override.knob}" (${override.source}): its knobs are ${scenario.knobs.map((k) => k.name).join(', ')}.`);
    }
  }
  if (options['rampUpMs'] !== undefined && options['durationMs'] !== undefined && (options['rampUpMs'] as number) > (options['durationMs'] as number)) {
    throw new UsageError('BAD_KNOB_VALUE', `Scenario "${scenario.name}": rampUp (${String(options['rampUpMs'])} ms) is longer than duration (${String(options['durationMs'])} ms); shorten the ramp-up or lengthen the run.`);
  }
  return options;
}

/**
 * Checks that every untargeted override fits at least one selected scenario.
 * @throws UsageError naming the knob and the scenarios that have it.
 */
export function checkOverridesApply(selected: readonly ScenarioDefinition[], overrides: readonly KnobOverride[]): void {
  for (const override of overrides) {
    if (override.scenario !== undefined) continue;
    if (selected.some((scenario) => scenario.knobs.some((knob) => knob.name === override.knob))) continue;
    const owners = SCENARIOS.filter((scenario) => scenario.knobs.some((knob) => knob.name === override.knob)).map((s) => s.name);
    throw new UsageError(
      'UNKNOWN_KNOB',
      owners.length === 0
        ? `No scenario has a knob "${override.knob}" (${override.source}): run \`wsmig load list\` to see the knobs.`
        : `Knob "${override.knob}" (${override.source}) does not apply to ${selected.map((s) => s.name).join(', ')}; it belongs to ${owners.join(', ')}.`,
    );
  }
}

/** A scenario as `wsmig load list --json` shows it. */
export interface ScenarioDescription {
  name: string;
  description: string;
  engines: readonly string[];
  metrics: readonly string[];
  runsBeside: string | null;
  knobs: { name: string; default: string; description: string; env: string; values?: readonly string[] }[];
}

/** Every scenario with its knobs and defaults, for `wsmig load list`. */
export function describeScenarios(): ScenarioDescription[] {
  return SCENARIOS.map((scenario) => ({
    name: scenario.name,
    description: scenario.description,
    engines: scenario.engines,
    metrics: scenario.metrics,
    runsBeside: scenario.runsBeside ?? null,
    knobs: scenario.knobs.map((knob) => ({
      name: knob.name,
      default: formatKnobValue(knob),
      description: knob.description,
      env: knobEnvVar(knob.name),
      ...(knob.values ? { values: knob.values } : {}),
    })),
  }));
}
