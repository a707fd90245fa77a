/**
 * wsmig scenario `latency` for k6: Request round trip (open model, from the intended send time) and event delivery latency while syncs run.
 *
 * Run it with wsmig (`wsmig load run latency --engine k6`), or export it
 * (`wsmig load export k6 latency --out DIR`) and run `k6 run latency.js` with the WSMIG_* variables
 * (docs/k6.md). Knobs: the catalog's, as environment variables (WSMIG_CONNECTIONS, WSMIG_DURATION, …).
 */
import type { Options } from 'k6/options';
import { readKnobs } from './lib/knobs.js';
import { SCRIPT_KNOBS, workloadPlanOf } from './lib/scenario-knobs.js';
import { heldConnectionsScenario, scriptOptions } from './lib/workload-plan.js';
import { targetFromEnv, thresholdsFromEnv } from './runtime/script-env.js';
import { runWorkloadLane, setupWorkload, type WorkloadSetup } from './runtime/ws-workload.js';

const SCENARIO = 'latency';
const plan = workloadPlanOf(SCENARIO, readKnobs(SCRIPT_KNOBS[SCENARIO], __ENV));
const target = targetFromEnv();

export const options: Options = scriptOptions({ [SCENARIO]: heldConnectionsScenario(plan, 'holdConnections') }, thresholdsFromEnv(SCENARIO, plan));

export function setup(): WorkloadSetup {
  return setupWorkload(plan, target);
}

export function holdConnections(setupData: WorkloadSetup): void {
  runWorkloadLane(SCENARIO, plan, target, setupData);
}
