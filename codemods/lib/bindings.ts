/**
 * Which identifiers are references to a binding, and which names a file already declares.
 * Transforms use this to prove that an object does not escape, that an import became unused,
 * and that a name they add does not collide with one the file uses.
 */
import type { ASTPath, Collection, JSCodeshift } from 'jscodeshift';

interface ScopeLike {
  lookup(name: string): ScopeLike | null;
  declares(name: string): boolean;
  getBindings(): Record<string, ASTPath[]>;
  path: ASTPath;
  node: { type: string };
  parent: ScopeLike | null;
}

/**
 * The scope object ast-types attaches to a path. ast-types cannot scan the scope of a `catch {}`
 * without a parameter (it throws "null does not match type Pattern"); such a clause declares
 * nothing, so the scope around it answers every lookup the same.
 */
export function scopeOf(path: ASTPath): ScopeLike | null {
  let scope = (path as unknown as { scope: ScopeLike | null }).scope;
  while (scope && scope.node.type === 'CatchClause' && !(scope.node as { param?: unknown }).param) scope = scope.parent;
  return scope;
}

/** True when the identifier at `path` reads or writes a variable (not a property name, label, type name or declaration). */
export function isValueReference(path: ASTPath): boolean {
  const parent = (path.parent as ASTPath | null)?.node as Record<string, unknown> & { type: string } | undefined;
  if (!parent) return false;
  const field = path.name;
  switch (parent.type) {
    case 'MemberExpression':
    case 'OptionalMemberExpression':
      return field !== 'property' || parent['computed'] === true;
    case 'Property':
    case 'ObjectProperty': {
      if (field === 'key') return parent['computed'] === true;
      // `const { a } = x`: the value is a declaration, not a read.
      const grandparent = ((path.parent as ASTPath).parent as ASTPath | null)?.node as { type: string } | undefined;
      return grandparent?.type !== 'ObjectPattern';
    }
    case 'ObjectMethod':
    case 'ClassMethod':
    case 'ClassPrivateMethod':
    case 'ClassProperty':
    case 'ClassPrivateProperty':
    case 'MethodDefinition':
    case 'PropertyDefinition':
    case 'TSPropertySignature':
    case 'TSMethodSignature':
      if (field === 'key') return parent['computed'] === true;
      return field === 'value';
    case 'VariableDeclarator':
      return field !== 'id';
    case 'FunctionDeclaration':
    case 'FunctionExpression':
    case 'ArrowFunctionExpression':
      return field === 'body';
    case 'ClassDeclaration':
    case 'ClassExpression':
      return field === 'superClass';
    case 'ImportSpecifier':
    case 'ImportDefaultSpecifier':
    case 'ImportNamespaceSpecifier':
    case 'LabeledStatement':
    case 'BreakStatement':
    case 'ContinueStatement':
    case 'CatchClause':
    case 'JSXAttribute':
    case 'JSXClosingElement':
    case 'JSXOpeningElement':
    case 'TSTypeReference':
    case 'TSQualifiedName':
    case 'TSInterfaceDeclaration':
    case 'TSTypeAliasDeclaration':
    case 'TSEnumDeclaration':
    case 'TSEnumMember':
    case 'TSModuleDeclaration':
    case 'TSTypeParameter':
    case 'TSParameterProperty':
    case 'TSExpressionWithTypeArguments':
    case 'TSInterfaceHeritage':
    case 'TSImportEqualsDeclaration':
    case 'TSFunctionType':
    case 'TSDeclareFunction':
      return false;
    case 'ExportSpecifier':
      return field === 'local';
    case 'AssignmentPattern':
      return field === 'right';
    default:
      return !(parent.type === 'RestElement' || parent.type === 'ArrayPattern' || parent.type === 'ObjectPattern');
  }
}

/** The scope that declares the identifier `name` as seen from `path` (`null` for globals). */
export function declaringScope(path: ASTPath, name: string): ScopeLike | null {
  return scopeOf(path)?.lookup(name) ?? null;
}

/**
 * Every value reference to the binding `name` declared in `scope`, inside `within`
 * (a collection of the file, or of a sub-tree).
 */
export function referencesTo(j: JSCodeshift, within: Collection, name: string, scope: ScopeLike | null): ASTPath[] {
  return within
    .find(j.Identifier, { name })
    .filter((path: ASTPath) => isValueReference(path) && declaringScope(path, name) === scope)
    .paths();
}

const TYPE_NAME_PARENTS = new Set(['TSTypeReference', 'TSExpressionWithTypeArguments', 'TSInterfaceHeritage', 'TSClassImplements', 'TSTypeQuery']);

/**
 * How many times the file uses each name as a value, a type or a JSX tag, whatever declares it
 * (shadowing counts too, which errs on the side of "still used"). One walk of the tree.
 */
export function nameUses(j: JSCodeshift, root: Collection): Map<string, number> {
  const uses = new Map<string, number>();
  const add = (name: string): void => {
    uses.set(name, (uses.get(name) ?? 0) + 1);
  };
  root.find(j.Identifier).forEach((path: ASTPath) => {
    const parent = (path.parent as ASTPath).node as { type: string; left?: unknown };
    const isTypeName = TYPE_NAME_PARENTS.has(parent.type) || (parent.type === 'TSQualifiedName' && parent.left === path.node);
    if (isTypeName || isValueReference(path)) add((path.node as { name: string }).name);
  });
  root.find(j.JSXIdentifier).forEach((path: ASTPath) => {
    const parent = (path.parent as ASTPath).node as { type: string };
    if (parent.type === 'JSXOpeningElement' || (parent.type === 'JSXMemberExpression' && path.name === 'object')) add((path.node as { name: string }).name);
  });
  return uses;
}

/** Every name declared anywhere in the file (variables, functions, classes, parameters, imports). */
export function declaredNames(j: JSCodeshift, root: Collection): Set<string> {
  const names = new Set<string>();
  root.find(j.Identifier).forEach((path: ASTPath) => {
    if (!isValueReference(path)) {
      const parent = (path.parent as ASTPath).node as { type: string };
      const declares = /Declarator|Specifier|Function|Class|CatchClause|Pattern|RestElement/.test(parent.type);
      if (declares) names.add((path.node as { name: string }).name);
    }
  });
  return names;
}

type PatternNode = { type: string; [key: string]: unknown };

/** The names a binding pattern declares: `a`, `{ a, b: [c] }`, `...rest`, `a = 1`. */
export function patternNames(pattern: PatternNode | null | undefined): string[] {
  if (!pattern) return [];
  if (pattern.type === 'Identifier') return [pattern['name'] as string];
  if (pattern.type === 'ObjectPattern') return (pattern['properties'] as PatternNode[]).flatMap((p) => patternNames((p['value'] ?? p['argument']) as PatternNode));
  if (pattern.type === 'ArrayPattern') return (pattern['elements'] as (PatternNode | null)[]).flatMap((e) => patternNames(e));
  if (pattern.type === 'RestElement') return patternNames(pattern['argument'] as PatternNode);
  if (pattern.type === 'AssignmentPattern') return patternNames(pattern['left'] as PatternNode);
  return [];
}

/** The names a list of statements declares at its own level (variables, functions, classes). */
export function topLevelDeclaredNames(statements: readonly PatternNode[]): string[] {
  return statements.flatMap((statement) => {
    if (statement.type === 'VariableDeclaration') return (statement['declarations'] as PatternNode[]).flatMap((d) => patternNames(d['id'] as PatternNode));
    if ((statement.type === 'FunctionDeclaration' || statement.type === 'ClassDeclaration') && statement['id']) return patternNames(statement['id'] as PatternNode);
    return [];
  });
}
