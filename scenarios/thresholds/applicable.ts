/**
 * Which thresholds apply to a run: a shared thresholds file (such as the default rollback thresholds)
 * names metrics of every scenario, and a run of one scenario should not be inconclusive about the
 * others. The orchestrator drops what the run cannot measure before evaluating; what it keeps is
 * still inconclusive when its data is missing.
 */
import type { ThresholdDefinition } from './thresholds-file.js';

/** A threshold left out, and why. */
export interface SkippedThreshold {
  definition: ThresholdDefinition;
  why: string;
}

/**
 * Keeps the thresholds whose metric one of the run's scenarios records (`measuredMetrics`) and whose
 * selector's `scenario` tag, if any, names a scenario that ran.
 */
export function applicableThresholds(
  definitions: readonly ThresholdDefinition[],
  run: { scenarios: readonly string[]; measuredMetrics: readonly string[] },
): { applicable: ThresholdDefinition[]; skipped: SkippedThreshold[] } {
  const applicable: ThresholdDefinition[] = [];
  const skipped: SkippedThreshold[] = [];
  for (const definition of definitions) {
    const scenario = definition.tags['scenario'];
    if (scenario !== undefined && !run.scenarios.includes(scenario)) {
      skipped.push({ definition, why: `scenario ${scenario} did not run` });
    } else if (!run.measuredMetrics.includes(definition.metric)) {
      skipped.push({ definition, why: `no scenario of this run records ${definition.metric}` });
    } else {
      applicable.push(definition);
    }
  }
  return { applicable, skipped };
}
