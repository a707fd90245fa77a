/**
 * The `sse-to-ws` transform: every legacy SSE consumer becomes its WebSocket equivalent behind the
 * feature flag (`features.useNewWSSync ? … : …` or if/else), or gets one marker comment and a report
 * line when it cannot be converted safely. See docs/codemods.md.
 */
import { defineTransform } from '../lib/define-transform.js';
import { convertEventSources } from './event-source.js';
import { convertFetchEventSourceCalls } from './fetch-event-source.js';
import { reportOtherSseApis } from './other-sse-apis.js';
import { convertStreamReaders } from './stream-readers.js';
import { convertWrapperCalls } from './wrapper-calls.js';

export default defineTransform((ctx) => {
  convertWrapperCalls(ctx);
  convertEventSources(ctx);
  convertFetchEventSourceCalls(ctx);
  convertStreamReaders(ctx);
  reportOtherSseApis(ctx);
});
