export interface UploadProgress {
  loaded: number;
  total: number;
}

/** The server answers JSON when the upload is already processed, else streams its progress. */
export async function trackUpload(uploadId: string, onProgress: (progress: UploadProgress) => void): Promise<void> {
  const response = await fetch(`/api/uploads/${uploadId}/progress`);
  if (response.headers.get('content-type')?.includes('application/json')) {
    onProgress(await response.json());
    return;
  }
  const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return;
    for (const line of value.split('\n')) {
      if (line.startsWith('data: ')) onProgress(JSON.parse(line.slice(6)));
    }
  }
}
