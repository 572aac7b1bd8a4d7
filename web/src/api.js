// api.js — the dashboard's only door to the server: GET /v1/dashboard/* with the API key
// the user signed in with (kept in sessionStorage, sent as a Bearer token, never in a URL).
// A 401/403 raises AuthError so the shell can ask for a key; every other failure raises an
// Error whose message is the server's "error" field, shown on the page as is.

export class AuthError extends Error {}

const KEY = 'patron.apiKey';

export function apiKey() { return sessionStorage.getItem(KEY) || ''; }
export function setApiKey(k) { sessionStorage.setItem(KEY, k); }

/** GET /v1/dashboard/PATH?params → parsed JSON. signal aborts a request a newer one replaced. */
export async function get(path, params = {}, signal) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== null && v !== '') q.set(k, v);
  const url = `/v1/dashboard/${path}${q.toString() ? `?${q}` : ''}`;
  const headers = { Accept: 'application/json' };
  if (apiKey()) headers.Authorization = `Bearer ${apiKey()}`;
  const res = await fetch(url, { headers, signal });
  if (res.status === 401 || res.status === 403) throw new AuthError(`HTTP ${res.status}`);
  let body;
  try {
    body = await res.json();
  } catch {
    throw new Error(`HTTP ${res.status}: not JSON`);
  }
  if (!res.ok) throw new Error(body?.error?.message || body?.error || `HTTP ${res.status}`);
  return body;
}

/** The same as a URL for a download (CSV export), the key in a header through fetch + Blob. */
export async function download(path, params, filename) {
  const q = new URLSearchParams(params);
  const headers = {};
  if (apiKey()) headers.Authorization = `Bearer ${apiKey()}`;
  const res = await fetch(`/v1/dashboard/${path}?${q}`, { headers });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const blob = await res.blob();
  const a = document.createElement('a');
  a.href = URL.createObjectURL(blob);
  a.download = filename;
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}
