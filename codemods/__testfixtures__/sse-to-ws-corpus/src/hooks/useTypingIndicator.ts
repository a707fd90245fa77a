import { useEffect, useState } from 'react'

export function useTypingIndicator(roomId: string): string[] {
	const [typing, setTyping] = useState<string[]>([])

	useEffect(() => {
		const source = new EventSource('/rooms/' + roomId + '/typing')
		source.addEventListener('typing', (event) => {
			const { users } = JSON.parse(event.data) as { users: string[] }
			setTyping(users)
		})
		return () => {
			source.close()
		}
	}, [roomId])

	return typing
}
