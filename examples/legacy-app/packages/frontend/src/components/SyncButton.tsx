import { useRef, useState } from 'react';
import { createConnection, type SyncConnection } from '../api/sse-connection';

/** "Sync now" for one chat, with the progress in the button. */
export function SyncButton({ chatId }: { chatId: number }) {
  const [percent, setPercent] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const connection = useRef<SyncConnection | null>(null);

  function startSync() {
    setError(null);
    connection.current?.close();
    connection.current = createConnection('/commands/sync', { chatId, options: { batchSize: 20 } }, {
      onProgress: (event) => setPercent(event.progress),
      onComplete: () => setPercent(100),
      onError: (event) => setError(event.error.message),
    });
  }

  return (
    <button type="button" onClick={startSync} disabled={percent !== null && percent < 100}>
      {percent === null ? 'Sync now' : `${percent}%`}
      {error && <span className="sync-error">{error}</span>}
    </button>
  );
}
