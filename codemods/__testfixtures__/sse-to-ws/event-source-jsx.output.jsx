import { useEffect, useState } from "react";
import { getSharedSyncManager, runSync } from "wsmig/client";
import { features } from "./config/features.js";

export function SyncMeter({ chatId }) {
  const [percent, setPercent] = useState(0);
  useEffect(() => {
    if (features.useNewWSSync) {
      const events = runSync(getSharedSyncManager(), { chatId }, {
        onProgress: (payload) => setPercent(payload.progress),
        onComplete: () => events.close()
      });
      return () => events.close();
    } else {
      const events = new window.EventSource("/api/sync/" + chatId + "/events?start=1", { withCredentials: true });
      events.addEventListener("progress", (e) => setPercent(JSON.parse(e.data).progress));
      events.addEventListener("complete", () => events.close());
      return () => events.close();
    }
  }, [chatId]);
  return <meter value={percent} max={100} />;
}
