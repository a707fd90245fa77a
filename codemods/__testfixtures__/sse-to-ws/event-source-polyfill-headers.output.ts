import EventSourceClient from "eventsource";
import { WsEventSource } from "wsmig/client";
import { features } from "./config/features.js";

const API = process.env.API_URL ?? "http://localhost:8080";

export function tailDeployLogs(deployId: string, token: string): () => void {
    const stream = features.useNewWSSync
        ? new WsEventSource(`${API}/deploys/${deployId}/logs`, {
              headers: { Authorization: `Bearer ${token}` },
          })
        : new EventSourceClient(`${API}/deploys/${deployId}/logs`, {
              headers: { Authorization: `Bearer ${token}` },
          });
    stream.onmessage = (event) => process.stdout.write(`${event.data}\n`);
    stream.onerror = () => stream.close();
    return () => stream.close();
}
