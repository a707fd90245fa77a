declare module '@vueuse/core' {
  import type { MaybeRefOrGetter, Ref, ShallowRef } from 'vue';

  export type EventSourceStatus = 'OPEN' | 'CONNECTING' | 'CLOSED';
  export interface UseEventSourceOptions extends EventSourceInit {
    immediate?: boolean;
    autoConnect?: boolean;
    autoReconnect?: boolean | { retries?: number | (() => boolean); delay?: number; onFailed?: () => void };
  }
  export interface UseEventSourceReturn<Events extends string[], Data = any> {
    eventSource: Ref<EventSource | null>;
    event: ShallowRef<Events[number] | null>;
    data: ShallowRef<Data | null>;
    status: ShallowRef<EventSourceStatus>;
    error: ShallowRef<Event | null>;
    close: () => void;
    open: () => void;
    lastEventId: ShallowRef<string | null>;
  }
  export function useEventSource<Events extends string[], Data = any>(url: MaybeRefOrGetter<string | URL | undefined>, events?: Events, options?: UseEventSourceOptions): UseEventSourceReturn<Events, Data>;
}
