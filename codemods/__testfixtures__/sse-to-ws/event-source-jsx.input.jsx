import { useEffect, useState } from "react";

export function SyncMeter({ chatId }) {
  const [percent, setPercent] = useState(0);
  useEffect(() => {
    const events = new window.EventSource("/api/sync/" + chatId + "/events?start=1", { withCredentials: true });
    events.addEventListener("progress", (e) => setPercent(JSON.parse(e.data).progress));
    events.addEventListener("complete", () => events.close());
    return () => events.close();
  }, [chatId]);
  return <meter value={percent} max={100} />;
}
