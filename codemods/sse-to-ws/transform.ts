/**
 * The `sse-to-ws` transform: every legacy SSE consumer becomes its WebSocket equivalent behind the
 * feature flag — the drop-in adapter of the API it uses (`features.useNewWSSync ? new WsEventSource(…)
 * : new EventSource(…)`), or the deeper rewrite to the SyncManager for the sync endpoints — or gets
 * one marker comment and a report line where a swap would change behaviour. See docs/codemods.md.
 */
import { defineTransform } from '../lib/define-transform.js';
import { convertEventSources } from './event-source.js';
import { convertFetchEventSourceCalls } from './fetch-event-source.js';
import { markEventSourceValueUses } from './event-source-values.js';
import { convertFetchCalls } from './fetch-calls.js';
import { convertVueUseEventSources } from './vueuse.js';
import { convertWrapperCalls } from './wrapper-calls.js';

export default defineTransform((ctx) => {
  convertWrapperCalls(ctx);
  convertEventSources(ctx);
  markEventSourceValueUses(ctx);
  convertFetchEventSourceCalls(ctx);
  convertFetchCalls(ctx);
  convertVueUseEventSources(ctx);
});
