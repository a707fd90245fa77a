import { fetchEventSource } from "@microsoft/fetch-event-source";

export interface AssistantEvent {
    kind: "thinking" | "answer";
    text: string;
}

export function followAssistant(sessionId: string, token: string, onEvent: (event: AssistantEvent) => void): AbortController {
    const controller = new AbortController();
    void fetchEventSource("/assistant/sessions/" + sessionId + "/events", {
        headers: { Authorization: "Bearer " + token },
        signal: controller.signal,
        onmessage: (message) => onEvent(JSON.parse(message.data) as AssistantEvent),
    });
    return controller;
}
