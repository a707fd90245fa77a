/**
 * wsmig scenario `reconnect-storm` for k6: Every connection cut at once, several times (admin kick or client-side close): time to reconnect, success rate, events lost or duplicated.
 *
 * Run it with wsmig (`wsmig load run reconnect-storm --engine k6`), or export it
 * (`wsmig load export k6 reconnect-storm --out DIR`) and run `k6 run reconnect-storm.js` with the WSMIG_* variables
 * (docs/k6.md). Knobs: the catalog's, as environment variables (WSMIG_CONNECTIONS, WSMIG_DURATION, …).
 * With a protocol profile embedded by `wsmig load export k6 reconnect-storm --profile …`, it speaks that profile.
 */
import { workloadScript } from './runtime/workload-script.js';

/** What k6 looks for: the options, `setup()`, and the VU function the scenario names (`exec`). */
export const { options, setup, holdConnections } = workloadScript('reconnect-storm');
