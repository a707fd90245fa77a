// The part of Vue's API this app uses (the real package provides these types in a full install).
declare module 'vue' {
  export interface Ref<T> {
    value: T;
  }
  export function ref<T>(value: T): Ref<T>;
  export function computed<T>(getter: () => T): { readonly value: T };
  export type OnCleanup = (cleanup: () => void) => void;
  export function watchEffect(effect: (onCleanup: OnCleanup) => void): () => void;
  export function onUnmounted(hook: () => void): void;
}
