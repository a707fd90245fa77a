/**
 * SSE APIs the codemod recognises but does not rewrite: vueuse's `useEventSource` and
 * eventsource-parser's `EventSourceParserStream`. They get a marker and a report line, so that a
 * reviewer sees every SSE consumer in the report — converted, or listed as manual work.
 */
import type { ASTPath } from 'jscodeshift';
import type { TransformContext } from '../lib/context.js';
import { findNamedImport } from '../lib/imports.js';
import { isOpenSite } from './site-scope.js';
import { EVENTSOURCE_PARSER_PACKAGE } from './stream-readers.js';

export function reportOtherSseApis(ctx: TransformContext): void {
  if (!ctx.mentions('useEventSource', 'EventSourceParserStream')) return;
  const { j } = ctx;
  const useEventSource = findNamedImport(ctx, (source) => source === '@vueuse/core', 'useEventSource');
  if (useEventSource) {
    ctx.root
      .find(j.CallExpression)
      .filter((path: ASTPath) => ((path.node as { callee: { name?: string } }).callee.name === useEventSource))
      .forEach((path: ASTPath) => {
        if (isOpenSite(ctx, path)) ctx.markManual(path, "vueuse useEventSource exposes the raw SSE data ref: rewrite it with runSync/watchSync from the client and refs of your own");
      });
  }
  const parserStream = findNamedImport(ctx, (source) => source === EVENTSOURCE_PARSER_PACKAGE || source === `${EVENTSOURCE_PARSER_PACKAGE}/stream`, 'EventSourceParserStream');
  if (parserStream) {
    ctx.root
      .find(j.NewExpression)
      .filter((path: ASTPath) => ((path.node as { callee: { name?: string } }).callee.name === parserStream))
      .forEach((path: ASTPath) => {
        if (isOpenSite(ctx, path)) ctx.markManual(path, 'EventSourceParserStream: the codemod reads createParser() only; rewrite this stream with runSync from the client');
      });
  }
}
