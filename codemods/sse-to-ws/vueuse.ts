/**
 * vueuse's `useEventSource(url, events, options)`: swapped for `useWsEventSource` from `wsmig/vue`,
 * which takes the same arguments and returns the same refs (`data`, `event`, `status`, `error`,
 * `close`, `open`, `eventSource`), so the component around it is unchanged.
 */
import type { ASTPath } from 'jscodeshift';
import { scopeOf } from '../lib/bindings.js';
import type { TransformContext } from '../lib/context.js';
import { findNamedImport } from '../lib/imports.js';
import { swapForAdapter } from './adapter-swap.js';
import { convertOpenSite } from './site-scope.js';

const VUEUSE_PACKAGE = '@vueuse/core';
const AUTO_IMPORTED = 'useEventSource is called without an import (a Nuxt or unplugin auto-import?), so whether it is vueuse\'s is unknown: import it from @vueuse/core and run again, or swap it for useWsEventSource (wsmig/vue) by hand';

/** Swaps every call of vueuse's `useEventSource`; marks an auto-imported one (nothing in the file says where it comes from). */
export function convertVueUseEventSources(ctx: TransformContext): void {
  if (!ctx.mentions('useEventSource')) return;
  const local = findNamedImport(ctx, (source) => source === VUEUSE_PACKAGE, 'useEventSource');
  ctx.root
    .find(ctx.j.CallExpression)
    .filter((path: ASTPath) => {
      const callee = (path.node as unknown as { callee: { type: string; name?: string } }).callee;
      return callee.type === 'Identifier' && (callee.name === local || (callee.name === 'useEventSource' && !scopeOf(path)?.lookup('useEventSource')));
    })
    .forEach((path: ASTPath) => convertOpenSite(ctx, path, () => (local ? swapForAdapter(ctx, path, 'useWsEventSource') : AUTO_IMPORTED)));
}
