import { SyncPanel } from './components.js';

export function connect(chatId: number, attempt: number) {
  return { chatId, transport: 'ws' };
}

export function Header({ chatId }: { chatId: number }) {
  return (
    <header>
      <SyncPanel chatId={chatId} />
    </header>
  );
}
