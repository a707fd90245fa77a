import { readable } from 'svelte/store'
import { WsEventSource } from 'wsmig/client'
import { features } from './config/features.js'

// recast reprints a return statement whose inside changed, with a semicolon: the file has none.
export function presence(room) {
  return readable(0, (set) => {
    const source = features.useNewWSSync
      ? new WsEventSource(`/rooms/${room}/presence`)
      : new EventSource(`/rooms/${room}/presence`)
    source.addEventListener('count', (event) => set(Number(event.data)))
    return () => source.close()
  })
}
