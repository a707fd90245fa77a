// Module resolution hook: `k6` → shims/k6.mjs, `k6/<module>` → shims/<module>.mjs.
const SHIMS = new URL('./shims/', import.meta.url);

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'k6') return { url: new URL('k6.mjs', SHIMS).href, shortCircuit: true };
  const match = /^k6\/([a-z-]+)$/.exec(specifier);
  if (match) return { url: new URL(`${match[1]}.mjs`, SHIMS).href, shortCircuit: true };
  return nextResolve(specifier, context);
}
