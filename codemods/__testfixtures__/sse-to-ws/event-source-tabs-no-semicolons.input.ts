import { useEffect, useState } from "react"
import { getSharedClient } from "wsmig/client"

export function useLiveFeed(feedId: string) {
	const [items, setItems] = useState<string[]>([])

	useEffect(() => {
		if (!feedId) return
		const source = new EventSource(`/api/feeds/${feedId}/live`, { withCredentials: true })
		source.addEventListener("item", (event) => {
			setItems((previous) => [...previous, JSON.parse(event.data).title])
		})
		return () => source.close()
	}, [feedId])

	return { items, client: getSharedClient() }
}
