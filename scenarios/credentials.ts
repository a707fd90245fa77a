/**
 * The service's credentials as wsmig's tools present them: a bearer token for the service's
 * WebSocket, SSE and HTTP endpoints, and an admin token for `/admin/*`, each sent as
 * `Authorization: Bearer <token>` — never in a URL, never on a command line. The tokens stay inside
 * this object: it prints, logs and serializes without them, and a refusal it words names the
 * variable to set, never the value.
 */
import { inspect } from 'node:util';

/** Which token a request carries: the service's, or the admin token (`/admin/*`). */
export type CredentialScope = 'service' | 'admin';

/** The variables the tools read when nothing else is said (the reference server reads the same). */
export const DEFAULT_TOKEN_ENV = 'WSMIG_TOKEN';
export const DEFAULT_ADMIN_TOKEN_ENV = 'WSMIG_ADMIN_TOKEN';

export interface ServiceCredentialsParts {
  token?: string | undefined;
  adminToken?: string | undefined;
  /** How a person gives the token, for messages, e.g. `WSMIG_TOKEN (service.tokenEnv)`. */
  tokenHint: string;
  /** How a person gives the admin token, e.g. `WSMIG_ADMIN_TOKEN (service.adminTokenEnv)`. */
  adminTokenHint: string;
}

/** True for the statuses that mean "who are you" or "not you": 401 and 403. */
export function isAuthRefusal(status: number): boolean {
  return status === 401 || status === 403;
}

/** Bearer tokens for the service, and how to name them in messages. */
export class ServiceCredentials {
  readonly #token: string | undefined;
  readonly #adminToken: string | undefined;
  readonly tokenHint: string;
  readonly adminTokenHint: string;

  constructor(parts: ServiceCredentialsParts) {
    this.#token = nonEmpty(parts.token);
    this.#adminToken = nonEmpty(parts.adminToken);
    this.tokenHint = parts.tokenHint;
    this.adminTokenHint = parts.adminTokenHint;
  }

  /** No token at all (the default of a service started without one). */
  static none(): ServiceCredentials {
    return new ServiceCredentials({ tokenHint: DEFAULT_TOKEN_ENV, adminTokenHint: DEFAULT_ADMIN_TOKEN_ENV });
  }

  /**
   * The tokens in environment variables (`WSMIG_TOKEN` and `WSMIG_ADMIN_TOKEN` unless other names
   * are given); `hints` say how a person sets them, for messages (default: the names).
   */
  static fromEnv(env: NodeJS.ProcessEnv, names: { tokenEnv?: string; adminTokenEnv?: string; tokenHint?: string; adminTokenHint?: string } = {}): ServiceCredentials {
    const tokenEnv = names.tokenEnv ?? DEFAULT_TOKEN_ENV;
    const adminTokenEnv = names.adminTokenEnv ?? DEFAULT_ADMIN_TOKEN_ENV;
    return new ServiceCredentials({
      token: env[tokenEnv],
      adminToken: env[adminTokenEnv],
      tokenHint: names.tokenHint ?? tokenEnv,
      adminTokenHint: names.adminTokenHint ?? adminTokenEnv,
    });
  }

  /** Whether a token of this scope is configured. */
  has(scope: CredentialScope): boolean {
    return this.tokenOf(scope) !== undefined;
  }

  /**
   * The token itself, for the few places that hand it on without a header (a worker thread's data,
   * the k6 process's environment). Everything else uses {@link headers}.
   */
  tokenOf(scope: CredentialScope): string | undefined {
    return scope === 'admin' ? this.#adminToken : this.#token;
  }

  /** `{ authorization: 'Bearer …' }` for a request of this scope, or `{}` without a token. */
  headers(scope: CredentialScope = 'service'): Record<string, string> {
    const token = this.tokenOf(scope);
    return token === undefined ? {} : { authorization: `Bearer ${token}` };
  }

  /** How a person sets the token of this scope. */
  hint(scope: CredentialScope): string {
    return scope === 'admin' ? this.adminTokenHint : this.tokenHint;
  }

  /**
   * What to tell a person whose request was refused with 401 or 403 (undefined for any other
   * status): which variable to set, or that the token in it was not accepted. `what` names the
   * request, e.g. `POST http://host/admin/flag`.
   */
  refusal(status: number, what: string, scope: CredentialScope = 'service'): string | undefined {
    if (!isAuthRefusal(status)) return undefined;
    const kind = scope === 'admin' ? 'admin token' : 'token';
    if (!this.has(scope)) return `${what}: the service answered ${status}: set ${this.hint(scope)} to its ${kind}`;
    return `${what}: the service answered ${status} to the ${kind} in ${this.hint(scope)}: check that it is the service's ${kind}`;
  }

  /** `text` with every occurrence of a token replaced by `[redacted]` (for texts that quote a server's answer). */
  redact(text: string): string {
    let out = text;
    for (const token of [this.#token, this.#adminToken]) if (token !== undefined) out = out.split(token).join('[redacted]');
    return out;
  }

  /** What JSON, logs and reports see: whether each token is set, and how to set it. */
  toJSON(): Record<string, unknown> {
    return { token: this.#token === undefined ? null : '[set]', adminToken: this.#adminToken === undefined ? null : '[set]', tokenHint: this.tokenHint, adminTokenHint: this.adminTokenHint };
  }

  [inspect.custom](): string {
    return `ServiceCredentials ${JSON.stringify(this.toJSON())}`;
  }
}

/**
 * `base` with WSMIG_TOKEN and WSMIG_ADMIN_TOKEN set to exactly these credentials' tokens (removed
 * when there is none): the environment of a process wsmig starts that reads them — the embedded
 * server, k6. Tokens travel in the environment, never in argv (`ps` shows argv to everyone).
 */
export function withTokenVariables(base: NodeJS.ProcessEnv, credentials: ServiceCredentials): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...base };
  delete env[DEFAULT_TOKEN_ENV];
  delete env[DEFAULT_ADMIN_TOKEN_ENV];
  const token = credentials.tokenOf('service');
  const adminToken = credentials.tokenOf('admin');
  if (token !== undefined) env[DEFAULT_TOKEN_ENV] = token;
  if (adminToken !== undefined) env[DEFAULT_ADMIN_TOKEN_ENV] = adminToken;
  return env;
}

/** An unset or empty value is no token (as the reference server reads its variables). */
function nonEmpty(value: string | undefined): string | undefined {
  return value === undefined || value === '' ? undefined : value;
}
