import { WsEventSource } from 'wsmig/client';
import { features } from './config/features.js';

export function openLogs(url: string): EventSource | WsEventSource {
  if (features.useNewWSSync) {
    return new WsEventSource(url);
  } else {
    return new EventSource(url);
  }
}

export const metrics = features.useNewWSSync ? null : new EventSource('/metrics/live');
