import EventSourceClient from "eventsource";

const API = process.env.API_URL ?? "http://localhost:8080";

export function tailDeployLogs(deployId: string, token: string): () => void {
    const stream = new EventSourceClient(`${API}/deploys/${deployId}/logs`, {
        headers: { Authorization: `Bearer ${token}` },
    });
    stream.onmessage = (event) => process.stdout.write(`${event.data}\n`);
    stream.onerror = () => stream.close();
    return () => stream.close();
}
