import { describe, expect, it } from 'vitest';
import { parseDurationMs } from '../../../../lib/duration.js';
import { knobEnvVar as catalogKnobEnvVar } from '../../../../scenarios/catalog/knobs.js';
import { durationMsOf, k6Duration, knobEnvVar, readKnobs, type KnobSpec } from '../../../../scenarios/k6/lib/knobs.js';

const SPECS: KnobSpec[] = [
  { name: 'connections', kind: 'integer', default: 100, min: 1, max: 200_000 },
  { name: 'rate', kind: 'number', default: 200, min: 0 },
  { name: 'rampUp', kind: 'duration', default: 2_000, min: 0 },
  { name: 'cutMode', kind: 'enum', default: 'auto', values: ['auto', 'kick'] },
];

describe('k6 knobs', () => {
  it('name the variables as the catalog does', () => {
    for (const name of ['connections', 'rampUp', 'payloadBytes', 'reconnectDeadline', 'maxReconnectDelay', 'socketsPerVu']) {
      expect(knobEnvVar(name)).toBe(catalogKnobEnvVar(name));
    }
    expect(knobEnvVar('rampUp')).toBe('WSMIG_RAMP_UP');
  });

  it('parse durations as wsmig does, and format them for k6', () => {
    for (const text of ['500ms', '30s', '1m30s', '2h', '1500', '0.5s', '1d']) expect(durationMsOf(text), text).toBe(parseDurationMs(text));
    for (const text of ['', 'fast', '30x', 's30', '1m 30s', '-5s']) expect(durationMsOf(text), text).toBeUndefined();
    expect(k6Duration(1500)).toBe('1500ms');
    expect(durationMsOf(k6Duration(2_500))).toBe(2_500);
  });

  it('read values from the environment and fall back to defaults', () => {
    expect(readKnobs(SPECS, {})).toEqual({ connections: 100, rate: 200, rampUp: 2_000, cutMode: 'auto' });
    expect(readKnobs(SPECS, { WSMIG_CONNECTIONS: '7', WSMIG_RATE: '2.5', WSMIG_RAMP_UP: '1m', WSMIG_CUT_MODE: 'kick', WSMIG_OTHER: 'x' })).toEqual({
      connections: 7,
      rate: 2.5,
      rampUp: 60_000,
      cutMode: 'kick',
    });
    expect(readKnobs(SPECS, { WSMIG_CONNECTIONS: '  ' }).connections).toBe(100);
  });

  it('refuse bad values with the variable, the value and what it accepts', () => {
    expect(() => readKnobs(SPECS, { WSMIG_CONNECTIONS: '0' })).toThrow('WSMIG_CONNECTIONS="0" is not valid: expected a whole number from 1 to 200000.');
    expect(() => readKnobs(SPECS, { WSMIG_CONNECTIONS: '1.5' })).toThrow(/WSMIG_CONNECTIONS="1.5"/);
    expect(() => readKnobs(SPECS, { WSMIG_RATE: 'lots' })).toThrow(/expected a number of at least 0/);
    expect(() => readKnobs(SPECS, { WSMIG_RAMP_UP: 'soon' })).toThrow(/WSMIG_RAMP_UP="soon" is not valid: expected a duration/);
    expect(() => readKnobs(SPECS, { WSMIG_CUT_MODE: 'restart' })).toThrow(/expected one of auto, kick/);
  });
});
