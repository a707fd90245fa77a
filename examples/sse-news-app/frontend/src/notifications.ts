export interface Notification {
	for: string
	n: number
	text: string
}

// The signed-in user's notifications: the session cookie selects them, so the stream needs credentials.
export function watchNotifications(show: (notification: Notification) => void, onSignedOut: () => void) {
	const stream = new EventSource('/api/notifications/stream', { withCredentials: true })
	stream.addEventListener('notification', (event) => {
		show(JSON.parse((event as MessageEvent).data))
	})
	stream.onerror = () => {
		if (stream.readyState === stream.CLOSED) onSignedOut()
	}
	return stream
}
