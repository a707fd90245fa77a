type Listener = (data: unknown) => void;

/** One stream per tab, reconnected with backoff; components subscribe by event name. */
export class RealtimeClient {
  private source: EventSource | null = null;
  private attempts = 0;
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly baseUrl: string, private readonly getToken: () => string) {}

  start(): void {
    const url = `${this.baseUrl}/realtime?token=${encodeURIComponent(this.getToken())}`;
    this.source = new EventSource(url);
    this.source.onopen = () => {
      this.attempts = 0;
    };
    this.source.onerror = () => {
      this.source?.close();
      const delay = Math.min(30_000, 1000 * 2 ** this.attempts++);
      setTimeout(() => this.start(), delay);
    };
    for (const name of this.listeners.keys()) this.bind(name);
  }

  on(name: string, listener: Listener): () => void {
    if (!this.listeners.has(name)) {
      this.listeners.set(name, new Set());
      this.bind(name);
    }
    this.listeners.get(name)!.add(listener);
    return () => this.listeners.get(name)?.delete(listener);
  }

  stop(): void {
    this.source?.close();
    this.source = null;
  }

  private bind(name: string): void {
    this.source?.addEventListener(name, (event) => {
      const data = JSON.parse((event as MessageEvent).data);
      this.listeners.get(name)?.forEach((listener) => listener(data));
    });
  }
}
