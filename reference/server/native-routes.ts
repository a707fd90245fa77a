/**
 * SSE routes the app has taken over: once it publishes on `sse:<path>` itself (`gateway.publish`),
 * new subscriptions to that path read the app's own events and the SSE bridge stops relaying it,
 * so `/health` no longer lists it and `stabilize` may remove the legacy code behind it.
 */
import { ssePathOfChannel } from '../protocol/index.js';
import type { SseBridge } from './bridge/types.js';

/** The upstream path of a `sse:` channel without its query, or `undefined` for any other channel. */
function routeOf(channel: string): string | undefined {
  const path = ssePathOfChannel(channel);
  return path === undefined ? undefined : path.split('?', 1)[0];
}

export class NativeRoutes {
  private readonly paths = new Set<string>();

  /** Notes a channel the app published on; returns nothing for channels that are not `sse:` ones. */
  notePublished(channel: string): void {
    const route = routeOf(channel);
    if (route !== undefined) this.paths.add(route);
  }

  /** True for a `sse:` channel whose path the app publishes itself. */
  has(channel: string): boolean {
    const route = routeOf(channel);
    return route !== undefined && this.paths.has(route);
  }

  /** The bridge, minus the routes the app has taken over. */
  over(bridge: SseBridge): SseBridge {
    return {
      handles: (channel) => !this.has(channel) && bridge.handles(channel),
      attach: (channel, caller, resume) => bridge.attach(channel, caller, resume),
      fetch: (request, caller) => bridge.fetch(request, caller),
      status: () => {
        const status = bridge.status();
        return { ...status, routes: status.routes.filter((route) => !this.paths.has(route.path)) };
      },
      close: () => bridge.close(),
    };
  }
}
