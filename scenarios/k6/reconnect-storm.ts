/**
 * wsmig scenario `reconnect-storm` for k6: Every connection cut at once, several times (admin kick or client-side close): time to reconnect, success rate, events lost or duplicated.
 *
 * Run it with wsmig (`wsmig load run reconnect-storm --engine k6`), or export it
 * (`wsmig load export k6 reconnect-storm --out DIR`) and run `k6 run reconnect-storm.js` with the WSMIG_* variables
 * (docs/k6.md). Knobs: the catalog's, as environment variables (WSMIG_CONNECTIONS, WSMIG_DURATION, …).
 */
import type { Options } from 'k6/options';
import { readKnobs } from './lib/knobs.js';
import { SCRIPT_KNOBS, workloadPlanOf } from './lib/scenario-knobs.js';
import { heldConnectionsScenario, scriptOptions } from './lib/workload-plan.js';
import { targetFromEnv, thresholdsFromEnv } from './runtime/script-env.js';
import { runWorkloadLane, setupWorkload, type WorkloadSetup } from './runtime/ws-workload.js';

const SCENARIO = 'reconnect-storm';
const plan = workloadPlanOf(SCENARIO, readKnobs(SCRIPT_KNOBS[SCENARIO], __ENV));
const target = targetFromEnv();

export const options: Options = scriptOptions({ [SCENARIO]: heldConnectionsScenario(plan, 'holdConnections') }, thresholdsFromEnv(SCENARIO, plan));

export function setup(): WorkloadSetup {
  return setupWorkload(plan, target);
}

export function holdConnections(setupData: WorkloadSetup): void {
  runWorkloadLane(SCENARIO, plan, target, setupData);
}
