import { useEventSource } from '@vueuse/core';

export function useChatStream(chatId: number) {
  /* wsmig-codemod: vueuse useEventSource exposes the raw SSE data ref: rewrite it with runSync/watchSync from the client and refs of your own */
  const { data, close } = useEventSource(`/api/sync/${chatId}/events`, ['progress', 'complete']);
  return { data, close };
}
