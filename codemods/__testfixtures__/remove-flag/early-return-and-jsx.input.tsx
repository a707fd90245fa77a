import { features } from './config/features.js';
import { LegacyBanner, SyncPanel } from './components.js';
import { openLegacyStream } from './legacy-stream.js';

function legacyDelay(attempt: number): number {
  return Math.min(30_000, 1000 * 2 ** attempt);
}

export function connect(chatId: number, attempt: number) {
  if (features.useNewWSSync) {
    return { chatId, transport: 'ws' };
  }
  const stream = openLegacyStream(chatId, legacyDelay(attempt));
  return { chatId, transport: 'sse', stream };
}

export function Header({ chatId }: { chatId: number }) {
  return (
    <header>
      {!features.useNewWSSync && <LegacyBanner />}
      {features.useNewWSSync ? <SyncPanel chatId={chatId} /> : <LegacyBanner compact />}
    </header>
  );
}
