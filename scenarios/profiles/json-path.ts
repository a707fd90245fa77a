/** Dotted JSON paths (`params.0.seq`), split once and read without allocating. */

/** A path split into its keys (array indices stay strings: `arr['0']` reads index 0). */
export type CompiledPath = readonly string[];

export function compilePath(path: string): CompiledPath {
  return path.split('.');
}

/** The value at `path` in a parsed message, or undefined when any step is missing. */
export function valueAt(root: unknown, path: CompiledPath): unknown {
  let value = root;
  for (let i = 0; i < path.length; i += 1) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[path[i] as string];
  }
  return value;
}

/** A value as the key it is matched by: numbers and strings by their text, anything else has none. */
export function keyOf(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}
