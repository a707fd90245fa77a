/** Opening benchmark clients (plain `ws`, no compression). */
import { WebSocket } from 'ws';

export function connect(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** Opens `count` clients, `concurrency` at a time. */
export async function connectMany(url: string, count: number, concurrency: number): Promise<WebSocket[]> {
  const sockets: WebSocket[] = [];
  for (let i = 0; i < count; i += concurrency) {
    sockets.push(...(await Promise.all(Array.from({ length: Math.min(concurrency, count - i) }, () => connect(url)))));
  }
  return sockets;
}
