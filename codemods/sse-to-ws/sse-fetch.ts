/**
 * Which `fetch(…)` calls are SSE requests: those that ask for `text/event-stream`, and those whose
 * response body is read as a stream (`res.body.getReader()`, `res.body.pipeThrough(…)`,
 * `for await (… of res.body)`) by code that parses SSE (`data:`/`event:` lines, eventsource-parser,
 * the sync endpoints). A streamed download or a plain-text stream is not SSE and is left alone.
 */
import type { ASTPath } from 'jscodeshift';
import { declaringScope, patternNames, referencesTo, scopeOf } from '../lib/bindings.js';
import type { TransformContext } from '../lib/context.js';
import { propertyKey } from './fetch-event-source.js';
import { GLOBAL_OBJECTS, unwrapExpression } from './payload-callbacks.js';

type AnyNode = { type: string; [key: string]: unknown };

/**
 * Response methods that read the whole body at once. They need no marker: `wsFetch` answers them as
 * the server did (a non-SSE or error answer comes back as that very response, status, headers and
 * body; a finite SSE body ends where the upstream ended it).
 */
const WHOLE_BODY_READS = new Set(['json', 'text', 'blob', 'arrayBuffer', 'formData', 'bytes']);
/** Response members that do not touch the body. */
const METADATA = new Set(['ok', 'status', 'statusText', 'headers', 'url', 'redirected', 'type', 'bodyUsed']);
/**
 * Text that only SSE-parsing code holds: a field name at a line start (`'data: '`, `/^event:/`; not a
 * `data:image/png` URL), the media type, the parser library.
 */
const SSE_EVIDENCE = /(?:['"`/^]|\\n)(?:data|event):(?![\w/])|text\/event-stream|createParser|EventSourceParserStream/;
const WRAPPERS = new Set(['AwaitExpression', 'TSNonNullExpression', 'TSAsExpression', 'ParenthesizedExpression', 'TSSatisfiesExpression']);

interface BodyReads {
  stream: boolean;
  /** The response (or its body) goes somewhere the codemod does not follow. */
  escapes: boolean;
}

/** True for a call of the global `fetch` (`fetch`, `window.fetch`, `globalThis.fetch`, `self.fetch`). */
export function isFetchCall(path: ASTPath): boolean {
  const callee = unwrapExpression((path.node as AnyNode)['callee']);
  if (callee.type === 'Identifier') return callee['name'] === 'fetch' && !scopeOf(path)?.lookup('fetch');
  return callee.type === 'MemberExpression' && GLOBAL_OBJECTS.has(String(unwrapExpression(callee['object'])['name'])) && (callee['property'] as AnyNode)['name'] === 'fetch';
}

/** The value of `key` in an object literal. */
export function objectProperty(object: AnyNode | undefined, key: string): AnyNode | undefined {
  if (object?.type !== 'ObjectExpression') return undefined;
  return (object['properties'] as AnyNode[]).find((property) => propertyKey(property) === key);
}

/** True when the fetch options ask for `text/event-stream` (`headers: { Accept: 'text/event-stream' }`). */
function acceptsEventStream(init: AnyNode | undefined): boolean {
  const headers = objectProperty(init, 'headers')?.['value'] as AnyNode | undefined;
  const accept = (objectProperty(headers, 'Accept') ?? objectProperty(headers, 'accept'))?.['value'] as AnyNode | undefined;
  return typeof accept?.['value'] === 'string' && accept['value'].includes('text/event-stream');
}

/** The path above `path` once awaits, casts and parentheses are passed. */
function valuePath(path: ASTPath): ASTPath {
  let current = path;
  while (WRAPPERS.has(((current.parent as ASTPath).node as AnyNode).type)) current = current.parent as ASTPath;
  return current;
}

/** Records what one use of the response (at `use`, its value path) does with the body. */
function readUse(ctx: TransformContext, use: ASTPath, reads: BodyReads): void {
  const parent = (use.parent as ASTPath).node as AnyNode;
  if ((parent.type === 'MemberExpression' || parent.type === 'OptionalMemberExpression') && parent['object'] === use.node && !parent['computed']) {
    const member = String((parent['property'] as AnyNode)['name']);
    if (member === 'body') reads.stream = true;
    else if (member === 'then') thenCallback(ctx, use.parent as ASTPath, reads);
    else if (!METADATA.has(member) && !WHOLE_BODY_READS.has(member)) reads.escapes = true;
    return;
  }
  if (parent.type === 'VariableDeclarator' && parent['init'] === use.node) {
    const id = parent['id'] as AnyNode;
    if (id.type === 'Identifier') {
      const name = id['name'] as string;
      const scope = declaringScope(use.parent as ASTPath, name);
      for (const reference of referencesTo(ctx.j, ctx.root, name, scope)) readUse(ctx, valuePath(reference), reads);
    } else if (patternNames(id as never).includes('body')) {
      reads.stream = true;
    } else {
      reads.escapes = true;
    }
    return;
  }
  reads.escapes = true;
}

/** `fetch(…).then((res) => …)`: the callback's parameter is the response. */
function thenCallback(ctx: TransformContext, member: ASTPath, reads: BodyReads): void {
  const call = (member.parent as ASTPath).node as AnyNode;
  const callback = (call['arguments'] as AnyNode[] | undefined)?.[0];
  const param = (callback?.['params'] as AnyNode[] | undefined)?.[0];
  if (!callback || !/Function/.test(callback.type) || param?.type !== 'Identifier') {
    reads.escapes = true;
    return;
  }
  const name = param['name'] as string;
  const callbackPath = ctx.j(member.parent as ASTPath).find(ctx.j.Function).filter((p) => p.node === (callback as unknown)).paths()[0];
  if (!callbackPath) return;
  const body = callbackPath.get('body') as ASTPath;
  for (const reference of referencesTo(ctx.j, ctx.j(body), name, declaringScope(body, name))) readUse(ctx, valuePath(reference), reads);
}

/** The text of the top-level statement holding `path` (where the reading code lives), or the whole block when the body escapes. */
function surroundingText(ctx: TransformContext, path: ASTPath, wholeBlock: boolean): string {
  if (wholeBlock) return ctx.block.code;
  let top = path;
  while (top.parent && ((top.parent as ASTPath).node as AnyNode).type !== 'Program') top = top.parent as ASTPath;
  const node = top.node as { start?: number; end?: number };
  return node.start === undefined || node.end === undefined ? ctx.block.code : ctx.block.code.slice(node.start, node.end);
}

/**
 * True when the fetch at `path` is an SSE request (swapping it for `wsFetch` keeps its behaviour).
 * `knownSse`: its URL is one of the sync endpoints, so a streamed body is SSE without further evidence.
 */
export function isSseFetch(ctx: TransformContext, path: ASTPath, knownSse: boolean): boolean {
  const init = ((path.node as AnyNode)['arguments'] as AnyNode[])[1];
  const accepts = acceptsEventStream(init);
  const reads: BodyReads = { stream: false, escapes: false };
  readUse(ctx, valuePath(path), reads);
  return accepts || (reads.stream && (knownSse || SSE_EVIDENCE.test(surroundingText(ctx, path, reads.escapes))));
}
