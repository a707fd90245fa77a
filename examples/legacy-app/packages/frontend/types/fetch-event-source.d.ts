// @microsoft/fetch-event-source's API as this app uses it.
declare module '@microsoft/fetch-event-source' {
  export interface EventSourceMessage {
    id: string;
    event: string;
    data: string;
    retry?: number;
  }
  export interface FetchEventSourceInit extends RequestInit {
    headers?: Record<string, string>;
    onopen?: (response: Response) => Promise<void>;
    onmessage?: (event: EventSourceMessage) => void;
    onclose?: () => void;
    onerror?: (error: unknown) => number | null | undefined | void;
    openWhenHidden?: boolean;
  }
  export function fetchEventSource(input: RequestInfo, init: FetchEventSourceInit): Promise<void>;
}
