/** The same reply read with fetch and a stream reader (the mobile web view has no fetch-event-source). */
export async function readReply(prompt: string): Promise<string[]> {
  const response = await fetch('/api/chat', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', Accept: 'text/event-stream' },
    body: JSON.stringify({ prompt }),
  });
  if (!response.ok) throw new Error(`chat failed: ${response.status} ${await response.text()}`);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  const words: string[] = [];
  let buffered = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return words;
    buffered += value;
    const lines = buffered.split('\n');
    buffered = lines.pop() ?? '';
    for (const line of lines) {
      if (line.startsWith('data:')) {
        const data = JSON.parse(line.slice(5));
        if (typeof data.word === 'string') words.push(data.word);
      }
    }
  }
}
