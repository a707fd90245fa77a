import type { Route } from './router.js';
import { sendJson } from './router.js';

/** The chats of the demo workspace. */
const chats = [
  { id: 1, title: 'General', members: 12 },
  { id: 2, title: 'Release planning', members: 5 },
  { id: 42, title: 'Support', members: 31 },
];

export const chatRoutes: Route[] = [
  { method: 'GET', path: '/api/chats', handle: (_req, res) => sendJson(res, 200, { chats }) },
  {
    method: 'GET',
    path: '/api/chats/:id',
    handle: (_req, res, params) => {
      const chat = chats.find((c) => String(c.id) === params['id']);
      if (chat) sendJson(res, 200, chat);
      else sendJson(res, 404, { error: 'no such chat' });
    },
  },
];
