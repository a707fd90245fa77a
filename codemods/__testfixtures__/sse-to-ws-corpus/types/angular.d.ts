declare module '@angular/core' {
  export function Injectable(options?: { providedIn?: 'root' | null }): ClassDecorator;
  export class NgZone {
    run<T>(fn: () => T): T;
  }
}

declare module 'rxjs' {
  export interface Subscriber<T> {
    next(value: T): void;
    error(error: unknown): void;
    complete(): void;
  }
  export class Observable<T> {
    constructor(subscribe?: (subscriber: Subscriber<T>) => (() => void) | void);
  }
}
