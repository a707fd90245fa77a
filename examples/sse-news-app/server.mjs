// The news app's server: Express and better-sse, as the app shipped before WebSocket.
//   GET  /api/news/stream           public headlines (event "headline", ids 1, 2, 3, …; Last-Event-ID resumes)
//   POST /api/login {user}          sets the session cookie
//   GET  /api/notifications/stream  the signed-in user's own notifications (401 without a session)
//   POST /api/chat {prompt}         the reply streamed word by word (event "token"), then the stream ends
// With NEWS_NATIVE_WS=1 the app also embeds wsmig's gateway at /ws and publishes the headlines on
// the channel the SSE bridge used to relay ("sse:/api/news/stream"): the app now publishes natively.
import express from 'express';
import { createChannel, createSession } from 'better-sse';

const port = Number(process.env.PORT ?? 3001);
const headlineEveryMs = Number(process.env.HEADLINE_EVERY_MS ?? 200);
const app = express();
app.use(express.json());

const news = createChannel();
const recent = [];
let headlines = 0;
let gateway;

function userOf(req) {
  const match = /(?:^|;\s*)sid=([A-Za-z0-9_-]+)/.exec(req.headers.cookie ?? '');
  return match?.[1];
}

setInterval(() => {
  headlines += 1;
  const id = String(headlines);
  const headline = { n: headlines, title: `Headline ${headlines}`, at: new Date().toISOString() };
  recent.push({ id, headline });
  if (recent.length > 200) recent.shift();
  news.broadcast(headline, 'headline', { eventId: id });
  if (gateway) void gateway.publish('sse:/api/news/stream', 'headline', JSON.stringify(headline), { id });
}, headlineEveryMs).unref();

app.get('/api/news/stream', async (req, res) => {
  const session = await createSession(req, res, { retry: 500 });
  const after = Number(session.lastId || 0);
  if (after > 0) for (const { id, headline } of recent) if (Number(id) > after) session.push(headline, 'headline', id);
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
  let n = Number(session.lastId.split(':')[1] ?? 0);
  const timer = setInterval(() => {
    n += 1;
    session.push({ for: user, n, text: `Notification ${n} for ${user}` }, 'notification', `${user}:${n}`);
  }, 150);
  session.on('disconnected', () => clearInterval(timer));
});

app.post('/api/chat', async (req, res) => {
  const prompt = String(req.body?.prompt ?? '');
  const session = await createSession(req, res);
  const words = `You asked: ${prompt}`.split(/\s+/);
  words.forEach((word, i) => session.push({ word, i }, 'token', String(i + 1)));
  session.push({ words: words.length }, 'done');
  res.end();
});

const server = app.listen(port, '127.0.0.1', async () => {
  if (process.env.NEWS_NATIVE_WS === '1') {
    const { createGateway } = await import(process.env.WSMIG_SERVER_MODULE ?? 'wsmig/server');
    gateway = await createGateway({ server, channels: ['sse:/api/news/stream'] });
  }
  console.log(JSON.stringify({ event: 'listening', url: `http://127.0.0.1:${server.address().port}`, nativeWs: gateway !== undefined }));
});
