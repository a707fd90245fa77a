/* A dedicated worker that keeps the stream off the main thread. */
let source = null;

self.onmessage = (message) => {
  if (message.data.type === 'open') {
    source?.close();
    source = new EventSource(message.data.url);
    source.onmessage = (event) => self.postMessage({ type: 'event', payload: event.data });
    source.onerror = () => self.postMessage({ type: 'error' });
  } else if (message.data.type === 'close') {
    source?.close();
    source = null;
  }
};
