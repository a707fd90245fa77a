/**
 * Deep copies of AST nodes for code that appears in both branches of a flag guard. Source
 * locations and recast's `original` links are shared, not copied, so recast reprints the copy
 * from the original text (comments and formatting kept) wherever the copy was not changed.
 */

const SHARED_KEYS = new Set(['loc', 'tokens', 'start', 'end', 'range']);

/** A deep copy of an AST node (or array of nodes). */
export function cloneNode<T>(node: T): T {
  if (Array.isArray(node)) return node.map((item) => cloneNode(item)) as T;
  if (node === null || typeof node !== 'object') return node;
  const copy: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(node as Record<string, unknown>)) {
    copy[key] = SHARED_KEYS.has(key) ? value : cloneNode(value);
  }
  // recast keeps the link to the parsed node in a non-enumerable property.
  const original = (node as { original?: unknown }).original;
  if (original !== undefined) Object.defineProperty(copy, 'original', { value: original, enumerable: false, writable: true, configurable: true });
  return copy as T;
}
