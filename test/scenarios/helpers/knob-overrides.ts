import type { KnobOverride } from '../../../scenarios/catalog/index.js';

/** Knob overrides for every selected scenario, as `--set knob=value` would give them: `{ duration: '3s' }`. */
export function knobOverrides(values: Readonly<Record<string, string>>): KnobOverride[] {
  return Object.entries(values).map(([knob, value]) => ({ knob, value, source: 'test' }));
}
