// A plain-text stream (no SSE framing): not an SSE request, left alone.
export async function readLog(url: string, onText: (text: string) => void): Promise<void> {
  const response = await fetch(url);
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    onText(value);
  }
}

export async function config(): Promise<unknown> {
  return (await fetch('/config.json')).json();
}

/** A streamed download shown as a data: URL: not SSE either. */
export async function preview(url: string): Promise<string> {
  const response = await fetch(url);
  const chunks: Uint8Array[] = [];
  for await (const chunk of response.body!) chunks.push(chunk);
  const bytes = await new Blob(chunks).arrayBuffer();
  return `data:image/png;base64,${btoa(String.fromCharCode(...new Uint8Array(bytes)))}`;
}
