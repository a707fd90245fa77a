import { ref, watchEffect, type Ref } from 'vue';

/** Follows a chat's sync while the component lives (the sync is started elsewhere). */
export function useSyncStatus(chatId: Ref<number>) {
  const percent = ref(0);
  const failure = ref<string | null>(null);
  watchEffect((onCleanup) => {
    const source = new EventSource(`/api/sync/${chatId.value}/events`);
    source.addEventListener('progress', (e) => {
      percent.value = JSON.parse(e.data).progress;
    });
    source.addEventListener('error', (e) => {
      failure.value = JSON.parse((e as MessageEvent).data).error.message;
      source.close();
    });
    onCleanup(() => source.close());
  });
  return { percent, failure };
}
