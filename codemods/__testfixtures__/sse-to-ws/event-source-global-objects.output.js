import { WsEventSource } from 'wsmig/client';
import { features } from './config/features.js';

export function connectPresence(roomUrl, onCount) {
  const presence = features.useNewWSSync
    ? new WsEventSource(roomUrl + '/presence', { withCredentials: true })
    : new window.EventSource(roomUrl + '/presence', { withCredentials: true });
  presence.addEventListener('count', (e) => onCount(Number(e.data)));
  return presence;
}

export function connectTicker(symbols) {
  return features.useNewWSSync
    ? new WsEventSource(`/ticker?symbols=${symbols.join(',')}`)
    : new globalThis.EventSource(`/ticker?symbols=${symbols.join(',')}`);
}
