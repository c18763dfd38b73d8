// The tab session: an id and one random draw, kept in sessionStorage so every page view
// of the session shares them. Sampling compares the draw with the rate, so a session is
// either fully in or fully out.

export interface Session {
  /** "<ms since epoch>-<random base36>" */
  id: string;
  /** Uniform in [0, 1); the session is sampled when r < sampleRate. */
  r: number;
}

export const STORAGE_KEY = 'perfwatch';

/** Parses a stored session; null when missing or malformed. */
export function parseSession(raw: string | null | undefined): Session | null {
  const m = raw && /^(\d+-[0-9a-z]+) (\S+)$/.exec(raw);
  const r = m ? +m[2] : -1;
  return r >= 0 && r < 1 ? { id: m![1], r } : null;
}

export function newSession(now: number, rnd: () => number): Session {
  return { id: now + '-' + rnd().toString(36).slice(2, 10), r: rnd() };
}

/** Gets the session from `store` or creates and stores one. Storage may throw. */
export function loadSession(
  store: Pick<Storage, 'getItem' | 'setItem'> | undefined,
  now: number,
  rnd: () => number,
): Session {
  let s: Session | null = null;
  try {
    s = parseSession(store && store.getItem(STORAGE_KEY));
  } catch {}
  if (!s) {
    s = newSession(now, rnd);
    try {
      store && store.setItem(STORAGE_KEY, s.id + ' ' + s.r);
    } catch {}
  }
  return s;
}

export function isSampled(rate: number | undefined, s: Session): boolean {
  return s.r < (rate == null ? 1 : rate);
}

/**
 * A page view's id ("<ms since epoch, base36><8 random base36 chars>"): every beacon of the
 * page view carries it as `pageViewId`, so the server can score each view (docs/score.md).
 */
export const newPageViewId = (now: number, rnd: () => number): string =>
  now.toString(36) + rnd().toString(36).slice(2, 10);
