import { ref, watchEffect, type Ref } from 'vue';
import { getSharedClient, watchSync } from 'wsmig/client';
import { features } from './config/features.js';

/** Follows a chat's sync while the component lives (the sync is started elsewhere). */
export function useSyncStatus(chatId: Ref<number>) {
  const percent = ref(0);
  const failure = ref<string | null>(null);
  watchEffect((onCleanup) => {
    if (features.useNewWSSync) {
      const source = watchSync(getSharedClient(), chatId.value, {
        onProgress: (payload: any) => {
          percent.value = payload.progress;
        },
        onError: (payload: any) => {
          failure.value = payload.error.message;
          source.close();
        }
      });
      onCleanup(() => source.close());
    } else {
      const source = new EventSource(`/api/sync/${chatId.value}/events`);
      source.addEventListener('progress', (e) => {
        percent.value = JSON.parse(e.data).progress;
      });
      source.addEventListener('error', (e) => {
        failure.value = JSON.parse((e as MessageEvent).data).error.message;
        source.close();
      });
      onCleanup(() => source.close());
    }
  });
  return { percent, failure };
}
