import { Injectable, NgZone } from '@angular/core';
import { Observable } from 'rxjs';

export interface ServerEvent<T = unknown> {
  type: string;
  data: T;
}

@Injectable({ providedIn: 'root' })
export class EventStreamService {
  constructor(private readonly zone: NgZone) {}

  connect<T>(path: string, eventTypes: string[] = ['message']): Observable<ServerEvent<T>> {
    return new Observable<ServerEvent<T>>((subscriber) => {
      const eventSource = new EventSource(`/api${path}`, { withCredentials: true });
      for (const type of eventTypes) {
        eventSource.addEventListener(type, (event) => {
          this.zone.run(() => subscriber.next({ type, data: JSON.parse((event as MessageEvent).data) as T }));
        });
      }
      eventSource.onerror = (error) => this.zone.run(() => subscriber.error(error));
      return () => eventSource.close();
    });
  }
}
