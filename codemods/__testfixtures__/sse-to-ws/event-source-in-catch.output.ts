import { WsEventSource } from 'wsmig/client';
import { features } from './config/features.js';

// ast-types cannot scan a `catch {}` without a parameter: the sites inside it are still read.
export function connect(url: string, fallbackUrl: string): EventSource {
  try {
    return features.useNewWSSync ? new WsEventSource(url) : new EventSource(url);
  } catch {
    const fallback = `${fallbackUrl}?legacy=1`;
    return features.useNewWSSync ? new WsEventSource(fallback) : new EventSource(fallback);
  }
}
