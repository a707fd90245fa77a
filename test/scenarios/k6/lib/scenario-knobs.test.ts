import { describe, expect, it } from 'vitest';
import { scenarioByName } from '../../../../scenarios/catalog/index.js';
import { readKnobs } from '../../../../scenarios/k6/lib/knobs.js';
import { SCRIPT_KNOBS, SOCKETS_PER_VU, workloadPlanOf, type ScriptName } from '../../../../scenarios/k6/lib/scenario-knobs.js';

const SCRIPTS = Object.keys(SCRIPT_KNOBS) as ScriptName[];

describe('k6 script knobs', () => {
  it.each(SCRIPTS)('%s has the catalog\'s knobs, defaults and ranges (plus socketsPerVu)', (script) => {
    const catalog = scenarioByName(script);
    expect(catalog.engines).toContain('k6');
    const own = SCRIPT_KNOBS[script].filter((knob) => knob !== SOCKETS_PER_VU);
    expect(own.map((knob) => knob.name).sort()).toEqual(catalog.knobs.map((knob) => knob.name).sort());
    for (const knob of own) {
      const definition = catalog.knobs.find((candidate) => candidate.name === knob.name);
      expect({ kind: knob.kind, default: knob.default, min: knob.min, max: knob.max, values: knob.values }, `${script}.${knob.name}`).toEqual({
        kind: definition?.kind,
        default: definition?.default,
        min: definition?.min,
        max: definition?.max,
        values: definition?.values,
      });
    }
  });

  it('turn knobs into the native engine\'s workload for the same scenario', () => {
    for (const script of SCRIPTS) {
      if (script === 'reconnect-storm') continue;
      const plan = workloadPlanOf(script, readKnobs(SCRIPT_KNOBS[script], {}));
      const catalog = scenarioByName(script);
      const options = Object.fromEntries(catalog.knobs.map((knob) => [knob.kind === 'duration' ? `${knob.name}Ms` : knob.name, knob.default]));
      const native = catalog.workload(options);
      expect(native.kind).toBe('ws');
      if (native.kind !== 'ws') continue;
      expect(plan, script).toMatchObject({
        connections: native.connections,
        ratePerSecond: native.ratePerSecond,
        payloadBytes: native.payloadBytes,
        durationMs: native.durationMs,
        rampUpMs: native.rampUpMs,
        syncs: native.syncs,
        requestTimeoutMs: native.requestTimeoutMs,
        reconnect: native.reconnect,
        cuts: null,
      });
    }
  });

  it('give reconnect-storm its cuts and reconnect policy, and refuse the restart cut mode k6 cannot do', () => {
    const plan = workloadPlanOf('reconnect-storm', readKnobs(SCRIPT_KNOBS['reconnect-storm'], { WSMIG_CUTS: '5', WSMIG_CUT_MODE: 'kick', WSMIG_RECONNECT_DELAY: '250ms' }));
    expect(plan.cuts).toEqual({ count: 5, mode: 'kick', reconnectDeadlineMs: 10_000 });
    expect(plan.reconnect).toEqual({ baseDelayMs: 250, maxDelayMs: 10_000 });
    expect(() => workloadPlanOf('reconnect-storm', readKnobs(SCRIPT_KNOBS['reconnect-storm'], { WSMIG_CUT_MODE: 'restart' }))).toThrow(/k6 cannot do: use kick, client-close or auto/);
  });
});
