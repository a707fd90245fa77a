/**
 * wsmig scenario `latency` for k6: Request round trip (open model, from the intended send time) and event delivery latency while syncs run.
 *
 * Run it with wsmig (`wsmig load run latency --engine k6`), or export it
 * (`wsmig load export k6 latency --out DIR`) and run `k6 run latency.js` with the WSMIG_* variables
 * (docs/k6.md). Knobs: the catalog's, as environment variables (WSMIG_CONNECTIONS, WSMIG_DURATION, …).
 * With a protocol profile embedded by `wsmig load export k6 latency --profile …`, it speaks that profile.
 */
import { workloadScript } from './runtime/workload-script.js';

/** What k6 looks for: the options, `setup()`, and the VU function the scenario names (`exec`). */
export const { options, setup, holdConnections } = workloadScript('latency');
