import { useEffect, useRef, useState } from 'react'

export function BuildLog({ buildId }: { buildId: string }) {
  const [lines, setLines] = useState<string[]>([])
  const bottom = useRef<HTMLDivElement>(null)

  useEffect(() => {
    const controller = new AbortController()
    ;(async () => {
      const res = await fetch(`/api/builds/${buildId}/log`, { signal: controller.signal })
      const reader = res.body!.getReader()
      const decoder = new TextDecoder()
      while (true) {
        const { done, value } = await reader.read()
        if (done) break
        const text = decoder.decode(value)
        const data = text.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6))
        setLines((prev) => [...prev, ...data])
        bottom.current?.scrollIntoView()
      }
    })()
    return () => controller.abort()
  }, [buildId])

  return (
    <pre>
      {lines.join('\n')}
      <div ref={bottom} />
    </pre>
  )
}
