/**
 * `fetch` calls that request SSE. On a sync endpoint, read in a shape the codemod knows, the region
 * from the fetch to the read loop gets the deeper rewrite (stream-readers.ts); every other SSE fetch
 * (see sse-fetch.ts) is swapped for `wsFetch`, which has fetch's signature and returns the SSE body
 * as a stream, so readers, hand-written parsers and eventsource-parser keep working unchanged.
 */
import type { ASTPath } from 'jscodeshift';
import type { TransformContext } from '../lib/context.js';
import { findNamedImport } from '../lib/imports.js';
import { swapForAdapter } from './adapter-swap.js';
import { matchEndpoint } from './endpoint-match.js';
import { unwrapExpression } from './payload-callbacks.js';
import { convertOpenSite, isOpenSite } from './site-scope.js';
import { isFetchCall, objectProperty, isSseFetch } from './sse-fetch.js';
import { convertFetchStream, EVENTSOURCE_PARSER_PACKAGE, type StreamTarget } from './stream-readers.js';

type AnyNode = { type: string; [key: string]: unknown };

/** Converts every SSE fetch; marks eventsource-parser in a file where none was found (its stream is opened elsewhere). */
export function convertFetchCalls(ctx: TransformContext): void {
  let sseFetches = 0;
  // Most files with SSE words call no fetch at all: they skip the walk of the tree.
  if (/\bfetch\s*\(/.test(ctx.block.code)) {
    ctx.root.find(ctx.j.CallExpression).forEach((path: ASTPath) => {
      if (!isFetchCall(path)) return;
      const target = syncTarget(ctx, path);
      const sse = isSseFetch(ctx, path, target !== undefined);
      if (!target && !sse) return;
      sseFetches++;
      convertOpenSite(ctx, path, () => {
        const deep = target && convertFetchStream(ctx, path, target);
        if (target && deep === undefined) return undefined;
        return sse ? swapForAdapter(ctx, path, 'wsFetch') : deep;
      });
    });
  }
  // A file whose fetch a previous run swapped already imports wsFetch: its parser is reached.
  if (sseFetches === 0 && !findNamedImport(ctx, (source) => source === ctx.config.clientImport, 'wsFetch')) markUnreachedParsers(ctx);
}

/** eventsource-parser used in a file without an SSE fetch: the stream it parses is opened elsewhere. */
function markUnreachedParsers(ctx: TransformContext): void {
  if (!ctx.mentions(EVENTSOURCE_PARSER_PACKAGE)) return;
  const isParserPackage = (source: string): boolean => source === EVENTSOURCE_PARSER_PACKAGE || source === `${EVENTSOURCE_PARSER_PACKAGE}/stream`;
  const parserNames = new Set(['createParser', 'EventSourceParserStream'].flatMap((name) => findNamedImport(ctx, isParserPackage, name) ?? []));
  if (parserNames.size === 0) return;
  // The stream may be opened here after all, by a fetch function the code was handed (a parameter, a local).
  const injected = ctx.root.find(ctx.j.CallExpression).filter((path: ASTPath) => {
    const callee = unwrapExpression((path.node as unknown as AnyNode)['callee']);
    return callee.type === 'Identifier' && callee['name'] === 'fetch' && !isFetchCall(path) && isOpenSite(ctx, path);
  });
  if (injected.size() > 0) {
    const reason = 'this fetch is a function the code was handed (a parameter or local named fetch), not the global one: wsFetch would bypass what it adds; pass wsFetch (from wsmig/client) in its place under the flag, or swap this call by hand';
    injected.forEach((path: ASTPath) => ctx.markManual(path, reason));
    return;
  }
  const reason = 'eventsource-parser reads a stream this file does not open: swap the fetch that opens it for wsFetch (from wsmig/client) under the flag, or run the codemod on that file';
  for (const path of [...ctx.root.find(ctx.j.CallExpression).paths(), ...ctx.root.find(ctx.j.NewExpression).paths()]) {
    const callee = (path.node as unknown as AnyNode)['callee'] as AnyNode;
    if (callee.type === 'Identifier' && parserNames.has(callee['name'] as string) && isOpenSite(ctx, path)) ctx.markManual(path, reason);
  }
}

/** The sync endpoint a fetch targets, or `undefined` for other URLs. */
function syncTarget(ctx: TransformContext, path: ASTPath): StreamTarget | undefined {
  const [url, init] = (path.node as AnyNode)['arguments'] as AnyNode[];
  const method = (objectProperty(init, 'method')?.['value'] as AnyNode | undefined)?.['value'];
  const post = typeof method === 'string' && method.toUpperCase() === 'POST';
  const match = matchEndpoint(ctx, url, path, post ? ctx.config.endpoints.syncCommand : ctx.config.endpoints.syncEvents);
  return match.kind === 'match' ? { post, match, init } : undefined;
}
