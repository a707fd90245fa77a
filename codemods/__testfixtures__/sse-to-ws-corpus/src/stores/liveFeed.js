import { readable } from 'svelte/store'

const FEED_URL = import.meta.env.VITE_FEED_URL

export function liveFeed(topic) {
	return readable([], (set) => {
		let posts = []
		const source = new EventSource(`${FEED_URL}/topics/${topic}`)
		source.addEventListener('post', (event) => {
			posts = [JSON.parse(event.data), ...posts]
			set(posts)
		})
		return () => source.close()
	})
}
