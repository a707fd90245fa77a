/**
 * Which upstream paths the bridge relays, and the one URL a path may become: always on the
 * upstream's origin. A path is appended to the origin as text and the result checked, so
 * `//other.host/x`, `/\other.host`, `@other.host` or an absolute URL can never make the bridge
 * contact another host (SSRF); dot segments are resolved before a route is matched, so
 * `/public/../admin` is matched as `/admin`.
 */
import type { PatternList } from '../pattern-list.js';
import { noRouteError } from './errors.js';

/** Where one upstream request goes. */
export interface UpstreamTarget {
  url: URL;
  /** The path without the query: the route the request belongs to. */
  pathname: string;
  /** Path and query, as written on the request line. */
  pathAndQuery: string;
}

/** The upstream origin of the bridge's `upstream` option (only its origin is used). */
export function upstreamOrigin(upstream: string): URL {
  let url: URL;
  try {
    url = new URL(upstream);
  } catch (error) {
    throw new TypeError(`the bridge's upstream "${upstream}" is not a URL; give one like http://127.0.0.1:3001`, { cause: error });
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`the bridge's upstream must be http: or https:, not ${url.protocol}`);
  return new URL(url.origin);
}

/**
 * The upstream URL of `pathAndQuery` (which must start with `/`), refused with `NO_ROUTE` when it
 * would leave the upstream's origin or is not among the allowed routes.
 */
export function upstreamTarget(origin: URL, pathAndQuery: string, routes: PatternList | undefined): UpstreamTarget {
  if (!pathAndQuery.startsWith('/')) throw noRouteError(`"${pathAndQuery}" is not a path on the upstream: it must start with "/"`);
  let url: URL;
  try {
    url = new URL(`${origin.origin}${pathAndQuery}`);
  } catch {
    throw noRouteError(`"${pathAndQuery}" is not a valid path`);
  }
  if (url.origin !== origin.origin || url.username !== '' || url.password !== '') throw noRouteError(`"${pathAndQuery}" does not stay on the upstream server`);
  url.hash = '';
  if (routes !== undefined && !routes.matches(url.pathname)) throw noRouteError(`the bridge does not relay ${url.pathname}: it is not among the configured routes`);
  return { url, pathname: url.pathname, pathAndQuery: `${url.pathname}${url.search}` };
}

/** Path and query of what a `sse:fetch` names: an absolute URL is reduced to them (its host is the gateway's upstream). */
export function pathOfRequestUrl(requestUrl: string): string {
  if (requestUrl.startsWith('/') && !requestUrl.startsWith('//') && !requestUrl.startsWith('/\\')) return requestUrl;
  let parsed: URL;
  try {
    parsed = new URL(requestUrl);
  } catch {
    throw noRouteError(`"${requestUrl}" is neither a path starting with "/" nor an absolute URL`);
  }
  return `${parsed.pathname}${parsed.search}`;
}
