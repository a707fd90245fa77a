// Reads a text/event-stream response and calls back once per event
export function subscribe(url, onEvent, { signal } = {}) {
  return fetch(url, { headers: { Accept: 'text/event-stream' }, signal })
    .then((response) => {
      if (!response.ok) throw new Error('HTTP ' + response.status)
      const reader = response.body.getReader()
      const decoder = new TextDecoder()
      let buffer = ''
      const read = () => reader.read().then(({ done, value }) => {
        if (done) return
        buffer += decoder.decode(value, { stream: true })
        const parts = buffer.split('\n\n')
        buffer = parts.pop()
        for (const part of parts) {
          const event = { type: 'message', data: '' }
          for (const line of part.split('\n')) {
            if (line.startsWith('event:')) event.type = line.slice(6).trim()
            else if (line.startsWith('data:')) event.data += line.slice(5).trim()
          }
          onEvent(event)
        }
        return read()
      })
      return read()
    })
}
