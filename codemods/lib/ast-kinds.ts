/**
 * The node types jscodeshift's builders accept. `jscodeshift` exports the named node types
 * (`Expression`, `Statement`), but its builders take ast-types' wider "kind" unions; these aliases
 * are read off the builders so transforms need no import from ast-types itself.
 */
import type { JSCodeshift } from 'jscodeshift';

export type ExpressionKind = Parameters<JSCodeshift['expressionStatement']>[0];
export type StatementKind = Parameters<JSCodeshift['blockStatement']>[0][number];
