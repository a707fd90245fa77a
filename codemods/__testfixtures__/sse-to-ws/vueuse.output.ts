import { useEventSource } from '@vueuse/core';
import { useWsEventSource } from 'wsmig/vue';
import { features } from './config/features.js';

export function useChatStream(chatId: number) {
  const { data, close } = (features.useNewWSSync ? useWsEventSource : useEventSource)(`/api/sync/${chatId}/events`, ['progress', 'complete']);
  return { data, close };
}
