/**
 * wsmig scenario `soak` for k6: Long-lived connections with light traffic: unexpected disconnects over a long run (wsmig adds the server RSS growth slope from /metrics).
 *
 * Run it with wsmig (`wsmig load run soak --engine k6`), or export it
 * (`wsmig load export k6 soak --out DIR`) and run `k6 run soak.js` with the WSMIG_* variables
 * (docs/k6.md). Knobs: the catalog's, as environment variables (WSMIG_CONNECTIONS, WSMIG_DURATION, …).
 */
import type { Options } from 'k6/options';
import { readKnobs } from './lib/knobs.js';
import { SCRIPT_KNOBS, workloadPlanOf } from './lib/scenario-knobs.js';
import { heldConnectionsScenario, scriptOptions } from './lib/workload-plan.js';
import { targetFromEnv, thresholdsFromEnv } from './runtime/script-env.js';
import { runWorkloadLane, setupWorkload, type WorkloadSetup } from './runtime/ws-workload.js';

const SCENARIO = 'soak';
const plan = workloadPlanOf(SCENARIO, readKnobs(SCRIPT_KNOBS[SCENARIO], __ENV));
const target = targetFromEnv();

export const options: Options = scriptOptions({ [SCENARIO]: heldConnectionsScenario(plan, 'holdConnections') }, thresholdsFromEnv(SCENARIO, plan));

export function setup(): WorkloadSetup {
  return setupWorkload(plan, target);
}

export function holdConnections(setupData: WorkloadSetup): void {
  runWorkloadLane(SCENARIO, plan, target, setupData);
}
