// The shop's backend: examples/express-api under /shop-api on the shop's own origin (Vite's
// proxy, or examples/run.mjs's server, strips the prefix). Same origin, so the browser SDK's
// trace propagation (`tracePropagation: true`, monitoring.ts) adds a `traceparent` to each
// call and the API's spans join the page view's traces.
export interface Product {
  id: number;
  name: string;
  price: number;
  stock?: number;
}

export const API = '/shop-api';

/** GET a JSON answer; rejects on a network error, a non-2xx status or a non-JSON body. */
export async function getJSON<T>(path: string): Promise<T> {
  const r = await fetch(API + path);
  if (!r.ok) throw new Error(`GET ${path}: ${r.status}`);
  return r.json();
}

/** POST JSON; rejects with the API's `error` message on a non-2xx status. */
export async function postJSON<T>(path: string, body: unknown): Promise<T> {
  const r = await fetch(API + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const j = await r.json().catch(() => ({}));
  if (!r.ok) throw new Error(`POST ${path}: ${r.status} ${j.error ?? ''}`.trim());
  return j;
}

/** Without the API (the shop alone, e.g. `npm run dev` with no backend): a built-in catalogue. */
export const OFFLINE: Product[] = Array.from({ length: 12 }, (_, i) => ({ id: i + 1, name: `Product ${i + 1}`, price: 5 + ((i * 7) % 40) }));
