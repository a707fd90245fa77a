export function useBuildStatus(buildId: Ref<string>) {
  const url = computed(() => `/api/builds/${buildId.value}/status`);
  /* wsmig-codemod: useEventSource is called without an import (a Nuxt or unplugin auto-import?), so whether it is vueuse's is unknown: import it from @vueuse/core and run again, or swap it for useWsEventSource (wsmig/vue) by hand */
  const { data, status } = useEventSource(url, ['status']);
  return { data, status };
}
