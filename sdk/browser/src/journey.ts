// Journeys (rum.full.js): `perfwatch.journey.start(name, {target})`, `.step(name)`,
// `.complete()`, `.fail(reason)`. Open journeys live in sessionStorage (key
// `perfwatch-j`), so they survive navigation within the tab session; on pagehide each is
// sent as "abandoned", and a later complete()/fail() sends the final beacon with the same
// id, which replaces it on the server. Pure apart from the storage and clock passed in.

/** An open journey as stored: id, name, target ms, start (epoch ms), steps (ms since start). */
export interface Journey {
  id: string;
  name: string;
  target?: number;
  at: number;
  steps: { name: string; t: number }[];
}

/** What start() returns: the journey's own step/complete/fail. */
export interface Handle {
  step(name: string): void;
  complete(): void;
  fail(reason?: string): void;
}

export const JOURNEY_KEY = 'perfwatch-j';
/** A journey idle this long (ms) is dropped when a page loads (its abandoned beacon stands). */
export const JOURNEY_TIMEOUT = 30 * 60e3;

type Store = Pick<Storage, 'getItem' | 'setItem'> | undefined;

/** The open journeys in `store` that were active within JOURNEY_TIMEOUT of `now`. */
export function loadJourneys(store: Store, now: number): Journey[] {
  try {
    const l = JSON.parse((store && store.getItem(JOURNEY_KEY)) || '[]');
    return l.filter(
      (j: Journey) => j && j.id && Array.isArray(j.steps) && now - j.at - (j.steps.length ? j.steps[j.steps.length - 1].t : 0) < JOURNEY_TIMEOUT,
    );
  } catch {
    return [];
  }
}

/** The journey beacon of `j` with `outcome`, as of `now` (epoch ms). */
export function journeyBeacon(j: Journey, outcome: string, now: number, reason?: string): Record<string, unknown> {
  const n = j.steps.length;
  return {
    type: 'journey',
    name: j.name,
    value: now - j.at,
    id: 'j-' + j.id,
    journeyId: j.id,
    outcome,
    target: j.target,
    reason,
    steps: j.steps.map((s, i) => ({ name: s.name, t: s.t, d: (i + 1 < n ? j.steps[i + 1].t : now - j.at) - s.t })),
    startedAt: j.at,
  };
}

/** The journeys of this page: `send` receives beacons, `store` keeps the open ones. */
export class Journeys {
  list: Journey[];

  constructor(
    private store: Store,
    private send: (b: Record<string, unknown>) => void,
    private id: () => string,
    private now: () => number = Date.now,
  ) {
    this.list = loadJourneys(store, now());
  }

  private save(): void {
    try {
      this.store && this.store.setItem(JOURNEY_KEY, JSON.stringify(this.list));
    } catch {}
  }

  /** The journey `j`, or the current one (the latest started that is still open). */
  private of(j?: Journey): Journey | undefined {
    return j ? (this.list.includes(j) ? j : undefined) : this.list[this.list.length - 1];
  }

  start(name: string, o?: { target?: number }): Handle {
    const t = o && +o.target!;
    const j: Journey = { id: this.id(), name: String(name), target: t! > 0 ? t : undefined, at: this.now(), steps: [] };
    this.list.push(j);
    this.save();
    return {
      step: (n) => this.step(n, j),
      complete: () => this.end('completed', j),
      fail: (r) => this.end('failed', j, r),
    };
  }

  /** Opens step `name` (closing the previous one) of `j` or of the current journey. */
  step(name: string, j?: Journey): void {
    if ((j = this.of(j))) {
      j.steps.push({ name: String(name), t: this.now() - j.at });
      this.save();
    }
  }

  /** Ends `j` (or the current journey) with `outcome` and sends its final beacon. */
  end(outcome: string, j?: Journey, reason?: string): void {
    if ((j = this.of(j))) {
      this.list.splice(this.list.indexOf(j), 1);
      this.save();
      this.send(journeyBeacon(j, outcome, this.now(), reason == null ? undefined : String(reason).slice(0, 300)));
    }
  }

  /** The page goes away: every open journey is sent as abandoned (they stay stored). */
  abandon(): void {
    for (const j of this.list) this.send(journeyBeacon(j, 'abandoned', this.now()));
  }

  /** Re-reads the store (a page restored from the bfcache: another page may have ended some). */
  reload(): void {
    this.list = loadJourneys(this.store, this.now());
  }
}
