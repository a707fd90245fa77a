import { useEffect, useState } from 'react';

export interface Notification {
  id: string;
  title: string;
  read: boolean;
}

const RETRY_MS = 3000;

export function useNotifications(userId: string | undefined) {
  const [notifications, setNotifications] = useState<Notification[]>([]);
  const [connected, setConnected] = useState(false);

  useEffect(() => {
    if (!userId) return;
    let retry: ReturnType<typeof setTimeout> | undefined;
    let source: EventSource | undefined;
    const connect = () => {
      source = new EventSource(`/api/users/${userId}/notifications/stream`, { withCredentials: true });
      source.onopen = () => setConnected(true);
      source.onmessage = (event) => {
        const notification = JSON.parse(event.data) as Notification;
        setNotifications((list) => [notification, ...list].slice(0, 50));
      };
      source.onerror = () => {
        setConnected(false);
        source?.close();
        retry = setTimeout(connect, RETRY_MS);
      };
    };
    connect();
    return () => {
      clearTimeout(retry);
      source?.close();
    };
  }, [userId]);

  return { notifications, connected };
}
