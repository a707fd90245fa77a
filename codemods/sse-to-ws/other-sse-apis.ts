/**
 * SSE APIs the codemod recognises but does not rewrite: vueuse's `useEventSource` and
 * eventsource-parser's `EventSourceParserStream`. They get a marker and a report line, so that a
 * reviewer sees every SSE consumer in the report — converted, or listed as manual work.
 */
import type { TransformContext } from '../lib/context.js';
import { findNamedImport } from '../lib/imports.js';
import { isOpenSite } from './site-scope.js';
import { EVENTSOURCE_PARSER_PACKAGE } from './stream-readers.js';

interface OtherSseApi {
  /** The export, as imported from one of `packages`. */
  name: string;
  packages: readonly string[];
  /** Used with `new` (else called). */
  constructed: boolean;
  reason: string;
}

const OTHER_SSE_APIS: readonly OtherSseApi[] = [
  {
    name: 'useEventSource',
    packages: ['@vueuse/core'],
    constructed: false,
    reason: 'vueuse useEventSource exposes the raw SSE data ref: rewrite it with runSync/watchSync from the client and refs of your own',
  },
  {
    name: 'EventSourceParserStream',
    packages: [EVENTSOURCE_PARSER_PACKAGE, `${EVENTSOURCE_PARSER_PACKAGE}/stream`],
    constructed: true,
    reason: 'EventSourceParserStream: the codemod reads createParser() only; rewrite this stream with runSync from the client',
  },
];

export function reportOtherSseApis(ctx: TransformContext): void {
  for (const api of OTHER_SSE_APIS) {
    if (!ctx.mentions(api.name)) continue;
    const local = findNamedImport(ctx, (source) => api.packages.includes(source), api.name);
    if (!local) continue;
    const uses = api.constructed ? ctx.root.find(ctx.j.NewExpression).paths() : ctx.root.find(ctx.j.CallExpression).paths();
    for (const path of uses) {
      if ((path.node.callee as { name?: string }).name === local && isOpenSite(ctx, path)) ctx.markManual(path, api.reason);
    }
  }
}
