import { useEventSource } from '@vueuse/core';

export function useChatStream(chatId: number) {
  const { data, close } = useEventSource(`/api/sync/${chatId}/events`, ['progress', 'complete']);
  return { data, close };
}
