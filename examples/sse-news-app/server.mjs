// The news app's server: Express and better-sse, as the app shipped before WebSocket.
//   GET  /api/news/stream           public headlines (event "headline", ids 1, 2, 3, …; Last-Event-ID resumes)
//   POST /api/login {user}          sets the session cookie
//   GET  /api/notifications/stream  the signed-in user's own notifications (401 without a session)
//   POST /api/chat {prompt}         the reply streamed word by word (event "token", then "done"); the stream ends
// With NEWS_NATIVE_WS=1 the app also embeds wsmig's gateway at /ws and publishes the headlines on
// the channel the SSE bridge relayed until then ("sse:/api/news/stream"): the app publishes natively.
import express from 'express';
import { createChannel, createSession } from 'better-sse';

const port = Number(process.env.PORT ?? 3001);
const host = process.env.HOST ?? '127.0.0.1';
const headlineEveryMs = Number(process.env.HEADLINE_EVERY_MS ?? 200);
const notificationEveryMs = Number(process.env.NOTIFICATION_EVERY_MS ?? 150);
const wordDelayMs = Number(process.env.CHAT_WORD_DELAY_MS ?? 20);
/** How many past headlines a reconnecting client can resume from. */
const HISTORY_SIZE = 500;

const app = express();
app.use(express.json());

const news = createChannel();
const history = [];
let headlineCount = 0;
let gateway;

/** The signed-in user, from the session cookie `sid` (a demo session: the cookie is the user name). */
function userOf(req) {
  const match = /(?:^|;\s*)sid=([A-Za-z0-9_-]{1,32})(?:;|$)/.exec(req.headers.cookie ?? '');
  return match?.[1];
}

function publishHeadline() {
  headlineCount += 1;
  const id = String(headlineCount);
  const headline = { n: headlineCount, title: `Headline ${headlineCount}`, at: new Date().toISOString() };
  history.push({ id, headline });
  if (history.length > HISTORY_SIZE) history.shift();
  news.broadcast(headline, 'headline', { eventId: id });
  // better-sse writes JSON.stringify(data): publishing the same text keeps the event byte for byte.
  gateway?.publish('sse:/api/news/stream', 'headline', JSON.stringify(headline), { id }).catch((error) => console.error('publish failed', error));
}
setInterval(publishHeadline, headlineEveryMs).unref();

app.get('/api/news/stream', async (req, res) => {
  const session = await createSession(req, res, { retry: 1000 });
  const after = Number(session.lastId) || 0;
  if (after > 0) for (const { id, headline } of history) if (Number(id) > after) session.push(headline, 'headline', id);
  news.register(session);
});

app.post('/api/login', (req, res) => {
  const user = String(req.body?.user ?? '');
  if (!/^[A-Za-z0-9_-]{1,32}$/.test(user)) return void res.status(400).json({ error: 'user must be 1-32 letters, digits, _ or -' });
  res.cookie('sid', user, { httpOnly: true, sameSite: 'lax' }).json({ user });
});

app.get('/api/notifications/stream', async (req, res) => {
  const user = userOf(req);
  if (!user) return void res.status(401).json({ error: 'sign in first' });
  const session = await createSession(req, res);
  const [lastUser, lastN] = session.lastId.split(':');
  let n = lastUser === user ? Number(lastN) || 0 : 0;
  const timer = setInterval(() => {
    n += 1;
    session.push({ for: user, n, text: `Notification ${n} for ${user}` }, 'notification', `${user}:${n}`);
  }, notificationEveryMs);
  session.on('disconnected', () => clearInterval(timer));
});

app.post('/api/chat', async (req, res) => {
  const prompt = String(req.body?.prompt ?? '').trim();
  if (!prompt) return void res.status(400).json({ error: 'prompt is required' });
  const session = await createSession(req, res, { keepAlive: null });
  let open = true;
  session.on('disconnected', () => (open = false));
  const words = `You asked about ${prompt}. Here is what the newsroom knows so far.`.split(/\s+/);
  for (const [i, word] of words.entries()) {
    if (!open) return;
    session.push({ word, i }, 'token', String(i + 1));
    await new Promise((resolve) => setTimeout(resolve, wordDelayMs));
  }
  session.push({ words: words.length }, 'done', String(words.length + 1));
  res.end();
});

const server = app.listen(port, host, async () => {
  if (process.env.NEWS_NATIVE_WS === '1') {
    const { createGateway } = await import('wsmig/server');
    gateway = await createGateway({ server, channels: ['sse:/api/news/stream'] });
  }
  const { port: actualPort } = server.address();
  console.log(JSON.stringify({ event: 'listening', url: `http://${host}:${actualPort}`, nativeWs: gateway !== undefined }));
});

function shutdown() {
  void gateway?.close();
  server.close();
  server.closeAllConnections();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
