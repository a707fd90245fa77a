/**
 * Who may subscribe to which channel and send which request: the gateway's `authorize` hook when
 * there is one, else the `channels` patterns opened to every connection plus the channels the SSE
 * bridge relays (or relayed, until the app took them over). Closed by default: nothing else is subscribable.
 */
import { ErrorCode, channelProblem, type ErrorBody } from '../protocol/index.js';
import { messageOf } from '../../lib/errors.js';
import type { Logger } from '../../lib/logger.js';
import type { SseBridge } from './bridge/types.js';
import type { AuthorizeRequest } from './gateway-options.js';
import type { NativeRoutes } from './native-routes.js';
import type { PatternList } from './pattern-list.js';

export class ChannelAccess {
  constructor(
    private readonly authorize: ((request: AuthorizeRequest<unknown>) => boolean | Promise<boolean>) | undefined,
    private readonly opened: PatternList,
    private readonly bridge: SseBridge | undefined,
    private readonly nativeRoutes: NativeRoutes,
    private readonly logger: Logger,
  ) {}

  /** Why `identity` may not subscribe to `channel` (`NO_ROUTE`, `FORBIDDEN`), or `undefined` when it may. */
  async subscribeProblem(identity: unknown, channel: string): Promise<ErrorBody | undefined> {
    const problem = channelProblem(channel);
    if (problem !== undefined) return { code: ErrorCode.noRoute, message: `"${channel}" is not a channel name: ${problem}`, retryable: false };
    if (this.authorize) return this.ask({ identity, action: 'subscribe', channel });
    // A bridged route the app now publishes itself stays as open as it was while the bridge relayed it.
    if (this.bridge?.handles(channel) || (this.bridge !== undefined && this.nativeRoutes.has(channel)) || this.opened.matches(channel)) return undefined;
    return { code: ErrorCode.noRoute, message: `no one serves channel "${channel}": the gateway opens only the channels its "channels" option or "authorize" allows, and the SSE bridge's`, retryable: false };
  }

  /** Why `identity` may not send a `type` request on `channel` (`FORBIDDEN`), or `undefined` when it may. */
  requestProblem(identity: unknown, channel: string, type: string): Promise<ErrorBody | undefined> | undefined {
    return this.authorize ? this.ask({ identity, action: 'request', channel, type }) : undefined;
  }

  private async ask(request: AuthorizeRequest<unknown>): Promise<ErrorBody | undefined> {
    let allowed: boolean;
    try {
      allowed = await this.authorize?.(request) === true;
    } catch (error) {
      this.logger.error({ err: error, action: request.action, channel: request.channel, type: request.type }, 'authorize failed');
      return { code: ErrorCode.internal, message: `the server could not decide whether this ${request.action} is allowed: ${messageOf(error)}`, retryable: true };
    }
    if (allowed) return undefined;
    const what = request.action === 'subscribe' ? `subscribe to "${request.channel}"` : `send "${request.type}" on "${request.channel}"`;
    return { code: ErrorCode.forbidden, message: `not allowed to ${what}`, retryable: false };
  }
}
