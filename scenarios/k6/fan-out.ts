/**
 * wsmig scenario `fan-out` for k6: Many subscribers, events pushed by the server: delivery latency, loss and duplicates per subscriber, connection stability.
 *
 * Run it with wsmig (`wsmig load run fan-out --engine k6`), or export it
 * (`wsmig load export k6 fan-out --out DIR`) and run `k6 run fan-out.js` with the WSMIG_* variables
 * (docs/k6.md). Knobs: the catalog's, as environment variables (WSMIG_CONNECTIONS, WSMIG_DURATION, …).
 * With a protocol profile embedded by `wsmig load export k6 fan-out --profile …`, it speaks that profile.
 */
import { workloadScript } from './runtime/workload-script.js';

/** What k6 looks for: the options, `setup()`, and the VU function the scenario names (`exec`). */
export const { options, setup, holdConnections } = workloadScript('fan-out');
