import { describe, expect, it } from 'vitest';
import {
  PRE_ROLLOUT_CHECK,
  SCENARIOS,
  checkOverridesApply,
  describeScenarios,
  knobEnvVar,
  parseSetItems,
  resolveScenarioOptions,
  scenarioByName,
} from '../../../scenarios/catalog/index.js';
import { METRIC_CATALOG } from '../../../scenarios/result/metric-catalog.js';

const override = (knob: string, value: string, scenario?: string) => ({ knob, value, source: 'test', ...(scenario ? { scenario } : {}) });

describe('the scenario catalog', () => {
  it('has the scenarios of the issues, each building a workload from its defaults', () => {
    expect(SCENARIOS.map((s) => s.name)).toEqual(['latency', 'reconnect-storm', 'sync-progress', 'soak', 'fan-out', 'sse-baseline', 'sse-stream', 'http-under-load']);
    for (const scenario of SCENARIOS) {
      const workload = scenario.workload(resolveScenarioOptions(scenario, []));
      expect(workload.kind).toBe(scenario.engines[0] === 'autocannon' ? 'http' : scenario.name === 'sse-stream' ? 'sse' : 'ws');
      expect(workload.durationMs).toBeGreaterThan(0);
    }
  });

  it('records only metric names from the metric catalog', () => {
    const known = new Set(METRIC_CATALOG.map((m) => m.name));
    for (const scenario of SCENARIOS) for (const metric of scenario.metrics) expect(known.has(metric), `${scenario.name}: ${metric}`).toBe(true);
  });

  it('names the k6 environment variables after the knobs', () => {
    expect(knobEnvVar('connections')).toBe('WSMIG_CONNECTIONS');
    expect(knobEnvVar('rampUp')).toBe('WSMIG_RAMP_UP');
    expect(knobEnvVar('payloadBytes')).toBe('WSMIG_PAYLOAD_BYTES');
    const latency = describeScenarios().find((s) => s.name === 'latency');
    expect(latency?.knobs.map((k) => k.env)).toContain('WSMIG_SYNCS');
  });

  it('shows every default as a value that parses back to itself', () => {
    for (const scenario of describeScenarios()) {
      const definition = scenarioByName(scenario.name);
      const reparsed = resolveScenarioOptions(definition, scenario.knobs.map((knob) => override(knob.name, knob.default)));
      expect(reparsed).toEqual(resolveScenarioOptions(definition, []));
    }
    expect(describeScenarios().find((s) => s.name === 'soak')?.knobs.find((k) => k.name === 'duration')?.default).toBe('10m');
    expect(describeScenarios().find((s) => s.name === 'reconnect-storm')?.knobs.find((k) => k.name === 'reconnectDelay')?.default).toBe('500ms');
  });

  it('applies overrides: durations with units, scenario-targeted ones only to their scenario', () => {
    const latency = scenarioByName('latency');
    const options = resolveScenarioOptions(latency, [override('duration', '1m30s'), override('rate', '50', 'latency'), override('cuts', '9', 'reconnect-storm')]);
    expect(options).toMatchObject({ durationMs: 90_000, rate: 50, connections: 100, rampUpMs: 2_000 });
    expect(resolveScenarioOptions(scenarioByName('reconnect-storm'), [override('cuts', '9', 'reconnect-storm')])['cuts']).toBe(9);
  });

  it('rejects bad values with what the knob accepts', () => {
    const latency = scenarioByName('latency');
    expect(() => resolveScenarioOptions(latency, [override('connections', 'many')])).toThrow(/knob "connections": expected a whole number from 1 to 200000/);
    expect(() => resolveScenarioOptions(latency, [override('connections', '0')])).toThrow(/from 1 to 200000/);
    expect(() => resolveScenarioOptions(latency, [override('duration', 'soon')])).toThrow(/duration such as 500ms/);
    expect(() => resolveScenarioOptions(scenarioByName('reconnect-storm'), [override('cutMode', 'nuke')])).toThrow(/one of auto, restart, kick, client-close/);
    expect(() => resolveScenarioOptions(latency, [override('duration', '1s'), override('rampUp', '5s')])).toThrow(/rampUp .* is longer than duration/);
    expect(() => resolveScenarioOptions(latency, [override('cuts', '3', 'latency')])).toThrow(/has no knob "cuts"/);
  });

  it('rejects a knob that no selected scenario has, naming who has it', () => {
    expect(() => checkOverridesApply([scenarioByName('latency')], [override('cuts', '3')])).toThrow(/belongs to reconnect-storm/);
    expect(() => checkOverridesApply([scenarioByName('latency')], [override('bogus', '3')])).toThrow(/No scenario has a knob "bogus"/);
    expect(() => checkOverridesApply([scenarioByName('latency'), scenarioByName('reconnect-storm')], [override('cuts', '3')])).not.toThrow();
  });

  it('parses --set items and refuses malformed ones', () => {
    expect(parseSetItems(['rampUp=5s', 'latency.rate=500'])).toEqual([
      { knob: 'rampUp', value: '5s', source: '--set' },
      { scenario: 'latency', knob: 'rate', value: '500', source: '--set' },
    ]);
    expect(() => parseSetItems(['rate'])).toThrow(/write knob=value/);
    expect(() => parseSetItems(['latncy.rate=5'])).toThrow(/did you mean "latency"/);
  });

  it('suggests the closest scenario for a typo', () => {
    expect(() => scenarioByName('reconect-storm')).toThrow(/Unknown scenario "reconect-storm" \(did you mean "reconnect-storm"\?\)/);
    expect(() => scenarioByName('zzz')).toThrow(/choose one of latency, reconnect-storm/);
  });

  it('defines a pre-rollout check of latency, reconnect-storm and sync-progress that fits in about 30 s', () => {
    expect(PRE_ROLLOUT_CHECK.map((entry) => entry.scenario)).toEqual(['latency', 'reconnect-storm', 'sync-progress']);
    const totalMs = PRE_ROLLOUT_CHECK.reduce((sum, entry) => sum + (resolveScenarioOptions(scenarioByName(entry.scenario), [], entry.overrides)['durationMs'] as number), 0);
    expect(totalMs).toBeLessThanOrEqual(30_000);
  });
});
