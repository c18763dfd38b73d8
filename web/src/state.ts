// The URL is the state: the path picks the page, the query string holds the app, the
// time window and each page's own choices, so every view is a link that can be shared.
// Shared by every page: `app` (empty: all apps), `window` (a duration such as 24h) or a
// custom `from`/`to` (Unix seconds).

export const SHARED_KEYS = ['app', 'window', 'from', 'to'] as const;

export const WINDOWS: [string, string][] = [
  ['15m', 'last 15 minutes'],
  ['1h', 'last hour'],
  ['6h', 'last 6 hours'],
  ['24h', 'last 24 hours'],
  ['7d', 'last 7 days'],
  ['30d', 'last 30 days'],
];
export const DEFAULT_WINDOW = '24h';

type Listener = () => void;
const listeners = new Set<Listener>();

export function param(key: string): string | null {
  return new URLSearchParams(location.search).get(key);
}

export function params(): URLSearchParams {
  return new URLSearchParams(location.search);
}

/** Changes query parameters (null removes one) and notifies; a new history entry unless `replace`. */
export function setParams(patch: Record<string, string | null | undefined>, opts: { replace?: boolean } = {}): void {
  const q = params();
  for (const [k, v] of Object.entries(patch)) {
    if (v === null || v === undefined || v === '') q.delete(k);
    else q.set(k, v);
  }
  const s = q.toString();
  const url = location.pathname + (s ? `?${s}` : '');
  if (url === location.pathname + location.search) return;
  if (opts.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  notify();
}

/** Goes to another page, keeping the shared parameters. */
export function navigate(path: string, extra: Record<string, string> = {}): void {
  const cur = params();
  const q = new URLSearchParams();
  for (const k of SHARED_KEYS) {
    const v = cur.get(k);
    if (v) q.set(k, v);
  }
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  const s = q.toString();
  history.pushState(null, '', path + (s ? `?${s}` : ''));
  notify();
}

/** The link to `path` with the shared parameters (for <a href>). */
export function linkTo(path: string, extra: Record<string, string> = {}): string {
  const cur = params();
  const q = new URLSearchParams();
  for (const k of SHARED_KEYS) {
    const v = cur.get(k);
    if (v) q.set(k, v);
  }
  for (const [k, v] of Object.entries(extra)) q.set(k, v);
  const s = q.toString();
  return path + (s ? `?${s}` : '');
}

export function onChange(fn: Listener): () => void {
  listeners.add(fn);
  return () => listeners.delete(fn);
}

export function notify(): void {
  for (const fn of [...listeners]) fn();
}

window.addEventListener('popstate', notify);

/** Parses "15m", "24h", "7d", "90s", "1h30m" into seconds; null when malformed. */
export function parseDuration(s: string): number | null {
  const re = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w|y)/g;
  let total = 0;
  let pos = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    if (m.index !== pos) return null;
    pos = re.lastIndex;
    const n = parseFloat(m[1]);
    total += n * ({ ms: 0.001, s: 1, m: 60, h: 3600, d: 86400, w: 604800, y: 31536000 } as Record<string, number>)[m[2]];
  }
  return pos === s.length && pos > 0 ? total : null;
}

export interface TimeRange {
  from: number; // Unix seconds
  to: number;
  seconds: number;
  custom: boolean; // from/to given, not a window ending now
  label: string;
}

/** The time range the URL asks for, resolved against now. */
export function timeRange(now = Date.now() / 1000): TimeRange {
  const from = Number(param('from'));
  const to = Number(param('to'));
  if (param('from') && param('to') && Number.isFinite(from) && Number.isFinite(to) && to > from) {
    return { from, to, seconds: to - from, custom: true, label: 'custom range' };
  }
  const w = param('window') || DEFAULT_WINDOW;
  const secs = parseDuration(w) ?? 86400;
  const known = WINDOWS.find(([k]) => k === w);
  return { from: now - secs, to: now, seconds: secs, custom: false, label: known ? known[1] : `last ${w}` };
}

/** The query parameters of the shared filters for the vitals APIs. */
export function rangeParams(r: TimeRange): Record<string, string> {
  return { from: r.from.toFixed(3), to: r.to.toFixed(3) };
}
