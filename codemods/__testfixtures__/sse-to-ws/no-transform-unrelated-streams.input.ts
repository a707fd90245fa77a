// Angle-bracket casts must survive: .ts files are parsed without JSX.
export async function download(url: string, onBytes: (n: number) => void): Promise<Blob> {
  const response = await fetch(url);
  const reader = (<ReadableStream<Uint8Array>>response.body).getReader();
  const chunks: Uint8Array[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    onBytes(<number>value.length);
  }
  return new Blob(chunks);
}

export let current: EventSource | null = null;
export const supportsSse = typeof EventSource !== 'undefined';
