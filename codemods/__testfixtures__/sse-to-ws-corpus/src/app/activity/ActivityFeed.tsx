'use client';

import { useEffect, useState } from 'react';

type Activity = { id: string; actor: string; verb: string };

export default function ActivityFeed() {
  const [items, setItems] = useState<Activity[]>([]);
  useEffect(() => {
    const es = new EventSource(process.env.NEXT_PUBLIC_ACTIVITY_URL!);
    es.addEventListener('activity', (e) => setItems((prev) => [JSON.parse(e.data) as Activity, ...prev]));
    return () => es.close();
  }, []);
  return (
    <ul>
      {items.map((a) => (
        <li key={a.id}>
          {a.actor} {a.verb}
        </li>
      ))}
    </ul>
  );
}
