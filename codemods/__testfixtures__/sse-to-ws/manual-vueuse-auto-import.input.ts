export function useBuildStatus(buildId: Ref<string>) {
  const url = computed(() => `/api/builds/${buildId.value}/status`);
  const { data, status } = useEventSource(url, ['status']);
  return { data, status };
}
