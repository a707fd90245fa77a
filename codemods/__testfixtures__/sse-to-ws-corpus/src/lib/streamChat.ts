export type Delta = { content?: string; finishReason?: string };

export async function streamChat(
    messages: { role: string; content: string }[],
    onDelta: (delta: Delta) => void,
    signal?: AbortSignal,
): Promise<void> {
    const response = await fetch("/v1/chat/completions", {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "text/event-stream" },
        body: JSON.stringify({ model: "small", stream: true, messages }),
        signal,
    });
    if (!response.ok) {
        throw new Error(`chat failed with ${response.status}`);
    }
    const reader = response.body!.getReader();
    const decoder = new TextDecoder("utf-8");
    let pending = "";
    for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        pending += decoder.decode(value, { stream: true });
        let boundary = pending.indexOf("\n\n");
        while (boundary !== -1) {
            const chunk = pending.slice(0, boundary);
            pending = pending.slice(boundary + 2);
            boundary = pending.indexOf("\n\n");
            for (const line of chunk.split("\n")) {
                if (!line.startsWith("data:")) continue;
                const data = line.slice(5).trim();
                if (data === "[DONE]") return;
                onDelta(JSON.parse(data).choices[0].delta as Delta);
            }
        }
    }
}
