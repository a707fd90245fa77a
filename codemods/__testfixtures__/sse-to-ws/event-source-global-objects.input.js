export function connectPresence(roomUrl, onCount) {
  const presence = new window.EventSource(roomUrl + '/presence', { withCredentials: true });
  presence.addEventListener('count', (e) => onCount(Number(e.data)));
  return presence;
}

export function connectTicker(symbols) {
  return new globalThis.EventSource(`/ticker?symbols=${symbols.join(',')}`);
}
