export interface Notification {
	for: string
	n: number
	text: string
}

// The signed-in user's notifications: the session cookie selects them.
export function watchNotifications(base: string, show: (notification: Notification) => void) {
	const stream = new EventSource(`${base}/api/notifications/stream`, { withCredentials: true })
	stream.addEventListener('notification', (event) => {
		show(JSON.parse((event as MessageEvent).data))
	})
	return stream
}
