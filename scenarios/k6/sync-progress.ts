/**
 * wsmig scenario `sync-progress` for k6: Many concurrent syncs over WebSocket: progress delivery latency, sync completion time, completeness by seq.
 *
 * Run it with wsmig (`wsmig load run sync-progress --engine k6`), or export it
 * (`wsmig load export k6 sync-progress --out DIR`) and run `k6 run sync-progress.js` with the WSMIG_* variables
 * (docs/k6.md). Knobs: the catalog's, as environment variables (WSMIG_CONNECTIONS, WSMIG_DURATION, …).
 * It speaks wsmig's own protocol only (it drives `sync:start`).
 */
import { workloadScript } from './runtime/workload-script.js';

/** What k6 looks for: the options, `setup()`, and the VU function the scenario names (`exec`). */
export const { options, setup, holdConnections } = workloadScript('sync-progress', false);
