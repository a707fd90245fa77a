// The part of React's API this app uses (the real package provides these types in a full install).
declare module 'react' {
  export type DependencyList = readonly unknown[];
  export type EffectCallback = () => void | (() => void);
  export function useEffect(effect: EffectCallback, deps?: DependencyList): void;
  export function useState<S>(initial: S | (() => S)): [S, (value: S | ((previous: S) => S)) => void];
  export function useRef<T>(initial: T): { current: T };
  export function useCallback<T extends (...args: never[]) => unknown>(callback: T, deps: DependencyList): T;
}

declare module 'react/jsx-runtime' {
  export namespace JSX {
    type Element = { readonly type: unknown; readonly props: unknown };
    interface IntrinsicElements {
      [name: string]: Record<string, unknown>;
    }
  }
  export function jsx(type: unknown, props: unknown, key?: unknown): JSX.Element;
  export function jsxs(type: unknown, props: unknown, key?: unknown): JSX.Element;
  export const Fragment: unique symbol;
}
