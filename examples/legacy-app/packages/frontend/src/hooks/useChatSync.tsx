import { useEffect, useState } from 'react';
import { API_BASE_URL } from '../api/base-url';
import type { SyncComplete, SyncFailure, SyncProgress } from '../api/sync-types';

export interface ChatSyncState {
  status: 'idle' | 'syncing' | 'done' | 'failed';
  percent: number;
  error?: string;
}

const MAX_RETRIES = 5;

/** Starts the chat's sync when the chat is opened, and follows its progress. */
export function useChatSync(chatId: number): ChatSyncState {
  const [state, setState] = useState<ChatSyncState>({ status: 'idle', percent: 0 });
  const [attempt, setAttempt] = useState(0);

  useEffect(() => {
    let retries = attempt;
    const source = new EventSource(`${API_BASE_URL}/api/sync/${chatId}/events?start=1`);
    setState({ status: 'syncing', percent: 0 });

    source.addEventListener('progress', (event) => {
      const data = JSON.parse(event.data) as SyncProgress;
      setState({ status: 'syncing', percent: data.progress });
    });
    source.addEventListener('complete', (event) => {
      const data: SyncComplete = JSON.parse(event.data);
      setState({ status: 'done', percent: 100 });
      console.debug(`chat ${data.chatId} synced in ${data.durationMs} ms`);
      source.close();
    });
    source.addEventListener('error', (event) => {
      const failure = JSON.parse((event as MessageEvent).data) as SyncFailure;
      setState({ status: 'failed', percent: 0, error: failure.error.message });
      source.close();
    });
    // The browser gives up on some errors: reconnect ourselves, a few times, slower each time.
    source.onerror = () => {
      source.close();
      if (retries < MAX_RETRIES) {
        retries++;
        setTimeout(() => setAttempt(retries), 1000 * retries);
      }
    };

    return () => source.close();
  }, [chatId, attempt]);

  return state;
}
