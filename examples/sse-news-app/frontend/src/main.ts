import { readReply } from './chat-stream';
import { askAssistant } from './chat';
import { followHeadlines } from './news';
import { watchNotifications } from './notifications';
import { login } from './session';

const headlines = document.querySelector<HTMLUListElement>('#headlines')!;
const inbox = document.querySelector<HTMLUListElement>('#inbox')!;
const answer = document.querySelector<HTMLParagraphElement>('#answer')!;

function append(list: HTMLUListElement, text: string): void {
  const item = document.createElement('li');
  item.textContent = text;
  list.prepend(item);
  while (list.children.length > 20) list.lastElementChild?.remove();
}

followHeadlines((headline) => append(headlines, headline.title));

document.querySelector<HTMLFormElement>('#login')!.addEventListener('submit', async (event) => {
  event.preventDefault();
  const user = new FormData(event.currentTarget as HTMLFormElement).get('user');
  await login(String(user));
  watchNotifications((notification) => append(inbox, notification.text), () => append(inbox, 'signed out'));
});

document.querySelector<HTMLFormElement>('#ask')!.addEventListener('submit', async (event) => {
  event.preventDefault();
  const prompt = String(new FormData(event.currentTarget as HTMLFormElement).get('prompt'));
  answer.textContent = '';
  // The mobile web view has no fetch-event-source: it reads the reply with a plain stream reader.
  if (navigator.userAgent.includes('NewsAppWebView')) answer.textContent = (await readReply(prompt)).join(' ');
  else await askAssistant(prompt, (word) => (answer.textContent += `${word} `));
});
