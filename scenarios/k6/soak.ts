/**
 * wsmig scenario `soak` for k6: Long-lived connections with light traffic: unexpected disconnects over a long run (wsmig adds the server RSS growth slope from /metrics).
 *
 * Run it with wsmig (`wsmig load run soak --engine k6`), or export it
 * (`wsmig load export k6 soak --out DIR`) and run `k6 run soak.js` with the WSMIG_* variables
 * (docs/k6.md). Knobs: the catalog's, as environment variables (WSMIG_CONNECTIONS, WSMIG_DURATION, …).
 * With a protocol profile embedded by `wsmig load export k6 soak --profile …`, it speaks that profile.
 */
import { workloadScript } from './runtime/workload-script.js';

/** What k6 looks for: the options, `setup()`, and the VU function the scenario names (`exec`). */
export const { options, setup, holdConnections } = workloadScript('soak');
