import { fetchEventSource } from "@microsoft/fetch-event-source";

/** Streams the assistant's reply token by token. */
export async function askAssistant(prompt: string, onToken: (word: string) => void, signal?: AbortSignal): Promise<void> {
    await fetchEventSource("/api/chat", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ prompt }),
        signal,
        onmessage(message) {
            if (message.event === "token") onToken(JSON.parse(message.data).word);
        },
    });
}
