import { createParser } from "eventsource-parser";
import { wsFetch } from "wsmig/client";
import { features } from "./config/features.js";

export async function generateImage(prompt: string, onPreview: (url: string) => void): Promise<string> {
    let finalUrl = "";
    const parser = createParser({
        onEvent(event) {
            if (event.event === "preview") onPreview(JSON.parse(event.data).url);
            if (event.event === "final") finalUrl = JSON.parse(event.data).url;
        },
    });
    const response = await (features.useNewWSSync ? wsFetch : fetch)("/api/images", { method: "POST", body: JSON.stringify({ prompt }) });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        parser.feed(decoder.decode(value, { stream: true }));
    }
    return finalUrl;
}
