import { useEventSource } from '@vueuse/core';
import { computed, type Ref } from 'vue';

export function useServerEvents(projectId: Ref<string>) {
  const url = computed(() => `/api/projects/${projectId.value}/events`);
  const { data, event, status, close } = useEventSource(url, ['deploy', 'build'], {
    autoReconnect: { retries: 5, delay: 2000 },
  });
  const lastDeploy = computed(() => (event.value === 'deploy' && data.value ? JSON.parse(data.value) : null));
  return { status, lastDeploy, close };
}
