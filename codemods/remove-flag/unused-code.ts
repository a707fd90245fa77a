/**
 * What dropping the legacy branches left without users: imports, and top-level helpers that are
 * not exported (a hand-written SSE parser, a reconnect helper). Only names that were used before
 * the transform and are unused after it go; whatever was already unused is not this transform's business.
 */
import { nameUses } from '../lib/bindings.js';
import type { TransformContext } from '../lib/context.js';
import { importUsage, removeImportsMadeUnused } from '../lib/imports.js';

type AnyNode = { type: string; [key: string]: unknown };

/** Names used before the transform: imports and top-level non-exported declarations, with their use counts. */
interface UsageBefore {
  imports: Map<string, number>;
  declarations: Map<string, number>;
}

/** The top-level statements declaring one local name each (functions, classes, single-variable declarations), by name. */
function topLevelDeclarations(ctx: TransformContext): Map<string, AnyNode> {
  const declarations = new Map<string, AnyNode>();
  for (const statement of (ctx.programPath().node as unknown as { body: AnyNode[] }).body) {
    if ((statement.type === 'FunctionDeclaration' || statement.type === 'ClassDeclaration') && statement['id']) {
      declarations.set((statement['id'] as AnyNode)['name'] as string, statement);
    } else if (statement.type === 'VariableDeclaration' && (statement['declarations'] as AnyNode[]).length === 1) {
      const id = ((statement['declarations'] as AnyNode[])[0] as AnyNode)['id'] as AnyNode;
      if (id.type === 'Identifier') declarations.set(id['name'] as string, statement);
    }
  }
  return declarations;
}

export function usageBefore(ctx: TransformContext): UsageBefore {
  const uses = nameUses(ctx.j, ctx.root);
  const declarations = new Map<string, number>();
  for (const name of topLevelDeclarations(ctx).keys()) declarations.set(name, uses.get(name) ?? 0);
  return { imports: importUsage(ctx), declarations };
}

/** Removes imports and top-level helpers the transform left unused, until nothing more goes. */
export function removeCodeMadeUnused(ctx: TransformContext, before: UsageBefore): void {
  for (;;) {
    const removedImports = removeImportsMadeUnused(ctx, before.imports);
    let removedDeclaration = false;
    const uses = nameUses(ctx.j, ctx.root);
    for (const [name, statement] of topLevelDeclarations(ctx)) {
      if ((before.declarations.get(name) ?? 0) === 0 || ctx.templateMentions(name)) continue;
      if ((uses.get(name) ?? 0) > 0) continue;
      const body = (ctx.programPath().node as unknown as { body: AnyNode[] }).body;
      body.splice(body.indexOf(statement), 1);
      removedDeclaration = true;
    }
    if (removedImports.length === 0 && !removedDeclaration) return;
  }
}
