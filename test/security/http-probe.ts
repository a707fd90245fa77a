/**
 * Raw requests for the attack tests: an upgrade with any headers, answered by status and JSON body
 * (or 101), and the body's error code of a refused HTTP request.
 */
import { randomBytes } from 'node:crypto';
import { request } from 'node:http';

/** What an upgrade request got: 101, or the refusal's status and `error.code`. */
export interface UpgradeAnswer {
  status: number;
  code: string | undefined;
  /** The subprotocol the server chose (101 only). */
  protocol: string | undefined;
}

/** Sends a WebSocket upgrade to `url` with `headers` and reports the answer; an accepted socket is closed at once. */
export function upgrade(url: string, headers: Record<string, string> = {}): Promise<UpgradeAnswer> {
  return new Promise((resolve, reject) => {
    const target = new URL(url.replace(/^ws/, 'http'));
    const req = request(target, {
      headers: {
        connection: 'Upgrade',
        upgrade: 'websocket',
        'sec-websocket-version': '13',
        'sec-websocket-key': randomBytes(16).toString('base64'),
        ...headers,
      },
    });
    req.on('upgrade', (res, socket) => {
      socket.destroy();
      const protocol = res.headers['sec-websocket-protocol'];
      resolve({ status: res.statusCode ?? 101, code: undefined, protocol: typeof protocol === 'string' ? protocol : undefined });
    });
    req.on('response', (res) => {
      let text = '';
      res.on('data', (chunk: Buffer) => (text += String(chunk)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, code: errorCode(text), protocol: undefined }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** The `error.code` of a JSON error body, if it is one. */
export function errorCode(text: string): string | undefined {
  try {
    return (JSON.parse(text) as { error?: { code?: string } }).error?.code;
  } catch {
    return undefined;
  }
}

/** A response's status and `error.code`. */
export async function answer(response: Response): Promise<{ status: number; code: string | undefined }> {
  return { status: response.status, code: errorCode(await response.text()) };
}

/** `POST` with a JSON body (and `Content-Type: application/json`). */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
}
