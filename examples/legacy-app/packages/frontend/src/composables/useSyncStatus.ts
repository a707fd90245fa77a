import { ref, watchEffect, type Ref } from 'vue';
import { API_BASE_URL } from '../api/base-url';
import type { SyncProgress } from '../api/sync-types';

/** Follows a chat's sync (started elsewhere) for as long as the component using it lives. */
export function useSyncStatus(chatId: Ref<number>) {
  const percent = ref(0);
  const finished = ref(false);
  const failure = ref<string | null>(null);

  watchEffect((onCleanup) => {
    const source = new EventSource(`${API_BASE_URL}/api/sync/${chatId.value}/events`);
    finished.value = false;
    source.addEventListener('progress', (e) => {
      percent.value = (JSON.parse(e.data) as SyncProgress).progress;
    });
    source.addEventListener('complete', () => {
      finished.value = true;
      source.close();
    });
    source.addEventListener('error', (e) => {
      failure.value = JSON.parse((e as MessageEvent).data).error.message;
      source.close();
    });
    onCleanup(() => source.close());
  });

  return { percent, finished, failure };
}
