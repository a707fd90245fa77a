/**
 * The body every WebSocket scenario script shares: its knobs read from the environment, the
 * protocol profile embedded by the export (if any), the target, the k6 options (one constant-vus
 * scenario holding the connections, the thresholds k6 can evaluate), `setup()` and the VU's
 * iteration. Runs in k6's init context.
 */
import type { Options } from 'k6/options';
import { readKnobs } from '../lib/knobs.js';
import { SCRIPT_KNOBS, workloadPlanOf, type ScriptName } from '../lib/scenario-knobs.js';
import { heldConnectionsScenario, scriptOptions } from '../lib/workload-plan.js';
import { embeddedProfile, targetFromEnv, thresholdsFromEnv } from './script-env.js';
import { runWorkloadLane, setupWorkload, type WorkloadSetup } from './ws-workload.js';

/** What a scenario script exports, under the names k6 looks for. */
export interface WorkloadScript {
  options: Options;
  setup(): WorkloadSetup;
  holdConnections(setupData: WorkloadSetup): void;
}

/**
 * A scenario's script. `speaksProfiles: false` for sync-progress, which drives wsmig's own
 * `sync:start` (the export refuses a profile for it).
 */
export function workloadScript(scenario: ScriptName, speaksProfiles = true): WorkloadScript {
  const plan = workloadPlanOf(scenario, readKnobs(SCRIPT_KNOBS[scenario], __ENV));
  const profile = speaksProfiles ? embeddedProfile(plan) : undefined;
  const target = targetFromEnv(profile);
  return {
    options: scriptOptions({ [scenario]: heldConnectionsScenario(plan, 'holdConnections') }, thresholdsFromEnv(scenario, plan, profile)),
    setup: () => setupWorkload(plan, target),
    holdConnections: (setupData) => runWorkloadLane(scenario, plan, target, setupData, profile),
  };
}
