/** Signs in; the server answers with the session cookie the notification stream needs. */
export async function login(user: string): Promise<void> {
  const response = await fetch('/api/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ user }),
    credentials: 'same-origin',
  });
  if (!response.ok) throw new Error(`login failed: ${response.status} ${await response.text()}`);
}
