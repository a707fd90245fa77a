import type { SyncComplete, SyncProgress } from './types.js';

export function follow(chatId: number, render: (percent: number) => void): () => void {
  const source = new EventSource(<string>`/api/sync/${chatId}/events?start=true`);
  source.addEventListener('progress', function (event) {
    render((<SyncProgress>JSON.parse(event.data)).progress);
  });
  source.addEventListener('complete', (event) => {
    const done = <SyncComplete>JSON.parse(event.data);
    render(done.processed === done.total ? 100 : 99);
  });
  return () => source.close();
}
