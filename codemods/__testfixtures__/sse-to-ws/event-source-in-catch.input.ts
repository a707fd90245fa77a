// ast-types cannot scan a `catch {}` without a parameter: the sites inside it are still read.
export function connect(url: string, fallbackUrl: string): EventSource {
  try {
    return new EventSource(url);
  } catch {
    const fallback = `${fallbackUrl}?legacy=1`;
    return new EventSource(fallback);
  }
}
