// One EventSource on GET /api/v1/stream for the whole dashboard (the server allows 8 per
// client). The browser reconnects by itself and sends Last-Event-ID, so the server replays
// what was missed; an `event: reset` means too much was missed and every listener reloads.
// Pages subscribe with on(); the header shows whether the stream is connected.

export type LiveType = 'vitals' | 'alerts' | 'reset';
type Listener = (data: Record<string, unknown>, type: LiveType) => void;

const listeners = new Map<LiveType, Set<Listener>>();
const statusListeners = new Set<(connected: boolean) => void>();
let source: EventSource | null = null;
let connected = false;

function setConnected(c: boolean): void {
  if (c === connected) return;
  connected = c;
  for (const fn of statusListeners) fn(c);
}

function dispatch(type: LiveType, raw: string): void {
  let data: Record<string, unknown> = {};
  try {
    data = JSON.parse(raw);
  } catch {
    // a malformed event is ignored; the next refresh shows the truth anyway
  }
  const targets = type === 'reset' ? [...listeners.values()].flatMap((s) => [...s]) : [...(listeners.get(type) ?? [])];
  for (const fn of new Set(targets)) fn(data, type);
}

function ensure(): void {
  if (source || typeof EventSource === 'undefined') return;
  source = new EventSource('/api/v1/stream');
  source.onopen = () => setConnected(true);
  source.onerror = () => setConnected(source?.readyState === EventSource.OPEN);
  for (const type of ['vitals', 'alerts', 'reset'] as LiveType[]) {
    source.addEventListener(type, (e) => dispatch(type, (e as MessageEvent).data));
  }
}

/** Calls `fn` for each event of `type` (and on `reset`) until the returned function is called. */
export function on(type: Exclude<LiveType, 'reset'>, fn: Listener): () => void {
  ensure();
  let set = listeners.get(type);
  if (!set) listeners.set(type, (set = new Set()));
  set.add(fn);
  return () => set!.delete(fn);
}

export function onStatus(fn: (connected: boolean) => void): void {
  statusListeners.add(fn);
  ensure();
  fn(connected);
}

/**
 * Runs `fn` at most once per `ms` while events keep coming (the first at once), so a
 * burst of beacons refreshes a page a few times, not hundreds.
 */
export function throttle(fn: () => void, ms = 500): () => void {
  let last = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  return () => {
    if (timer) return;
    const wait = Math.max(0, last + ms - Date.now());
    timer = setTimeout(() => {
      timer = null;
      last = Date.now();
      fn();
    }, wait);
  };
}
