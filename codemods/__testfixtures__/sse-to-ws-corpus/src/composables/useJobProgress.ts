import { onUnmounted, ref } from 'vue'

export function useJobProgress(jobId: string) {
  const percent = ref(0)
  const state = ref<'running' | 'done' | 'failed'>('running')
  const es = new EventSource('/api/jobs/' + jobId + '/progress')

  es.addEventListener('progress', (e) => {
    percent.value = JSON.parse(e.data).percent
  })
  es.addEventListener('done', () => {
    state.value = 'done'
    es.close()
  })
  es.onerror = () => {
    if (es.readyState === EventSource.CLOSED) state.value = 'failed'
  }

  onUnmounted(() => es.close())
  return { percent, state }
}
