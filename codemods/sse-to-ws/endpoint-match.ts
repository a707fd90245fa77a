/**
 * Matching a URL written in code (a string, a template literal, a `+` concatenation, or a `const`
 * holding one) against an endpoint pattern such as `/api/sync/:chatId/events`. A base URL in front
 * (`${API_BASE}/api/…`, `https://host/api/…`) is allowed; `:name` segments capture the expression or
 * literal text in that place.
 */
import type { ASTPath } from 'jscodeshift';
import type { ExpressionKind } from '../lib/ast-kinds.js';
import { scopeOf } from '../lib/bindings.js';
import type { TransformContext } from '../lib/context.js';

export type UrlMatch =
  | { kind: 'match'; params: Map<string, ExpressionKind>; query: URLSearchParams }
  /** Built at run time in a way the codemod cannot read: never guessed. */
  | { kind: 'dynamic'; reason: string }
  /** A readable URL of another endpoint. */
  | { kind: 'other'; url: string };

/** A URL that matched the endpoint pattern. */
export type MatchedUrl = Extract<UrlMatch, { kind: 'match' }>;

const HOLE = '\u0000';

interface UrlParts {
  text: string;
  holes: ExpressionKind[];
}

function partsOf(ctx: TransformContext, node: unknown, at: ASTPath, depth = 0): UrlParts | undefined {
  const n = node as { type: string; value?: unknown; quasis?: { value: { cooked?: string | null; raw: string } }[]; expressions?: ExpressionKind[]; operator?: string; left?: unknown; right?: unknown; name?: string; expression?: unknown };
  switch (n.type) {
    case 'StringLiteral':
    case 'Literal':
      return typeof n.value === 'string' ? { text: n.value, holes: [] } : undefined;
    case 'TemplateLiteral': {
      const holes: ExpressionKind[] = [];
      let text = '';
      (n.quasis ?? []).forEach((quasi, index) => {
        text += quasi.value.cooked ?? quasi.value.raw;
        const expression = n.expressions?.[index];
        if (expression) {
          text += `${HOLE}${holes.length}${HOLE}`;
          holes.push(expression);
        }
      });
      return { text, holes };
    }
    case 'BinaryExpression': {
      if (n.operator !== '+') return undefined;
      const left = partsOf(ctx, n.left, at, depth) ?? { text: `${HOLE}0${HOLE}`, holes: [n.left as ExpressionKind] };
      const right = partsOf(ctx, n.right, at, depth) ?? { text: `${HOLE}0${HOLE}`, holes: [n.right as ExpressionKind] };
      const shifted = right.text.replace(new RegExp(`${HOLE}(\\d+)${HOLE}`, 'g'), (_, i: string) => `${HOLE}${Number(i) + left.holes.length}${HOLE}`);
      return { text: left.text + shifted, holes: [...left.holes, ...right.holes] };
    }
    case 'Identifier': {
      if (depth > 0 || !n.name) return undefined;
      const init = constInitializer(at, n.name);
      return init ? partsOf(ctx, init, at, depth + 1) : undefined;
    }
    case 'TSAsExpression':
    case 'TSTypeAssertion':
    case 'TSNonNullExpression':
    case 'ParenthesizedExpression':
      return partsOf(ctx, n.expression, at, depth);
    default:
      return undefined;
  }
}

/** The initializer of a `const` binding visible from `at`, when it has one. */
function constInitializer(at: ASTPath, name: string): unknown {
  const scope = scopeOf(at)?.lookup(name);
  const binding = scope?.getBindings()[name]?.[0];
  const declarator = binding?.parent as ASTPath | undefined;
  const declaration = declarator?.parent as ASTPath | undefined;
  const declaratorNode = declarator?.node as { type: string; init?: unknown; id?: unknown } | undefined;
  if (declaratorNode?.type !== 'VariableDeclarator' || declaratorNode.id !== binding?.node) return undefined;
  if ((declaration?.node as { kind?: string } | undefined)?.kind !== 'const') return undefined;
  return declaratorNode.init ?? undefined;
}

/** The static start of an endpoint pattern: `/api/sync/:chatId/events` → `/api/sync/`. */
export function staticPrefix(pattern: string): string {
  const colon = pattern.indexOf(':');
  return colon === -1 ? pattern : pattern.slice(0, colon);
}

/** `a.b.c` for an identifier, `this`, or a chain of non-computed members of them. */
export function dottedName(node: unknown): string | undefined {
  const n = node as { type: string; name?: string; computed?: boolean; object?: unknown; property?: { name?: unknown } };
  if (n.type === 'Identifier') return n.name;
  if (n.type === 'ThisExpression') return 'this';
  if (n.type === 'MemberExpression' && !n.computed && typeof n.property?.name === 'string') {
    const object = dottedName(n.object);
    return object ? `${object}.${n.property.name}` : undefined;
  }
  return undefined;
}

/** True when the URL asks the events endpoint to start the sync too (`?start=1` or `?start=true`). */
export function startsSync(match: MatchedUrl): boolean {
  return ['1', 'true'].includes(match.query.get('start') ?? '');
}

/** Query parameters of the URL other than `start`: they have no WebSocket equivalent. */
export function extraQueryKeys(match: MatchedUrl): string[] {
  return [...match.query.keys()].filter((key) => key !== 'start');
}

/** Says where a URL the codemod cannot read comes from. */
function unreadableUrl(url: unknown, at: ASTPath): string {
  const node = url as { type: string; name?: string; callee?: unknown } | undefined;
  if (!node) return 'there is no URL argument';
  if (node.type === 'Identifier' && node.name) {
    const init = constInitializer(at, node.name) as { type: string; callee?: unknown } | undefined;
    if (init?.type === 'CallExpression') return `the URL comes from ${dottedName(init.callee) ?? 'a function call'}(…), which the codemod does not read`;
    return `the URL is the variable "${node.name}", set at run time`;
  }
  if (node.type === 'CallExpression') return `the URL comes from ${dottedName(node.callee) ?? 'a function call'}(…), which the codemod does not read`;
  const name = dottedName(node);
  return name ? `the URL is read from ${name} at run time` : 'the URL is computed at run time';
}

/** `encodeURIComponent(id)`, `String(id)`: a path segment built from the id is the id itself. */
function segmentValue(expression: ExpressionKind): ExpressionKind {
  const node = expression as { type: string; callee?: { type: string; name?: string }; arguments?: ExpressionKind[] };
  const wrapper = node.type === 'CallExpression' && node.callee?.type === 'Identifier' && ['encodeURIComponent', 'encodeURI', 'String'].includes(node.callee.name ?? '');
  return wrapper && node.arguments?.length === 1 ? (node.arguments[0] as ExpressionKind) : expression;
}

/** Matches the URL expression `url` (found at `at`) against `pattern`. */
export function matchEndpoint(ctx: TransformContext, url: unknown, at: ASTPath, pattern: string): UrlMatch {
  const parts = partsOf(ctx, url, at);
  if (!parts) return { kind: 'dynamic', reason: unreadableUrl(url, at) };
  const { j } = ctx;
  const queryAt = parts.text.indexOf('?');
  let pathText = queryAt === -1 ? parts.text : parts.text.slice(0, queryAt);
  const queryText = queryAt === -1 ? '' : parts.text.slice(queryAt + 1).split('#')[0] ?? '';
  pathText = pathText.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').replace(new RegExp(`^${HOLE}\\d+${HOLE}(?=/)`), '');
  const readable = (text: string): string => text.replace(new RegExp(`${HOLE}(\\d+)${HOLE}`, 'g'), '${…}');
  if (pathText.includes(HOLE) && !pathText.split('/').every((segment) => !segment.includes(HOLE) || new RegExp(`^${HOLE}\\d+${HOLE}$`).test(segment))) {
    return { kind: 'dynamic', reason: `the URL path "${readable(pathText)}" mixes text and expressions in one segment` };
  }
  const segments = pathText.replace(/\/+$/, '').split('/');
  const patternSegments = pattern.replace(/\/+$/, '').split('/');
  if (segments.length !== patternSegments.length) return { kind: 'other', url: readable(pathText) };
  const params = new Map<string, ExpressionKind>();
  for (let i = 0; i < segments.length; i++) {
    const segment = segments[i] ?? '';
    const expected = patternSegments[i] ?? '';
    const hole = new RegExp(`^${HOLE}(\\d+)${HOLE}$`).exec(segment);
    if (expected.startsWith(':')) {
      if (hole) params.set(expected.slice(1), segmentValue(parts.holes[Number(hole[1])] as ExpressionKind));
      else if (segment.length > 0) params.set(expected.slice(1), /^\d+$/.test(segment) ? j.literal(Number(segment)) : j.literal(decodeURIComponent(segment)));
      else return { kind: 'other', url: readable(pathText) };
    } else if (hole) {
      return { kind: 'dynamic', reason: `the URL path "${readable(pathText)}" has an expression where "${expected}" is expected` };
    } else if (segment !== expected) {
      return { kind: 'other', url: readable(pathText) };
    }
  }
  if (queryText.includes(HOLE)) return { kind: 'dynamic', reason: `the query string "${readable(queryText)}" is computed at run time` };
  return { kind: 'match', params, query: new URLSearchParams(queryText) };
}
