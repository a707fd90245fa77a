import { API_BASE_URL } from '../api/base-url';

export interface Notification {
  id: string;
  text: string;
}

/** Live notifications (mentions, invitations). Not part of the sync feature. */
export function listenToNotifications(onNotification: (notification: Notification) => void): () => void {
  const source = new EventSource(`${API_BASE_URL}/api/notifications/stream`);
  source.onmessage = (event) => onNotification(JSON.parse(event.data) as Notification);
  return () => source.close();
}
