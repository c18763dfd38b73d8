// The server's leak figures (src/analysis/leak.h) in small, for one tab's heap samples:
// baseline points = the trailing minimum over 5 s (the heap after the latest collection,
// not the GC sawtooth); over the last `windowMs` (at most 64 points, evenly picked), the
// Theil–Sen slope and the one-sided Mann–Kendall p-value; growth ratio = slope (per
// minute) over the fitted level at the window's start. Leaking: at least 20 points (a
// shorter rise can be a transient: a steady page once read 9 %/min over 15 points in CI),
// ratio >= `threshold` (the seeds' 5 %/min) and p <= 0.01. Severity, the seeds' levels:
// >= 20 %/min critical, >= 10 % high, >= 5 % medium, else low ("none" when not leaking).
// What it leaves out: the server's ramp test and hysteresis. Pure.

export type Severity = 'none' | 'low' | 'medium' | 'high' | 'critical';

export interface LeakVerdict {
  leaking: boolean;
  severity: Severity;
  growthBytesPerMin: number;
  growthRatioPerMin: number;
  pValue: number;
  points: number;
}

export interface LeakOptions {
  windowMs?: number;
  threshold?: number;
}

const median = (a: number[]) => {
  const s = a.slice().sort((x, y) => x - y);
  const m = s.length >> 1;
  return (s[m] + s[(s.length - 1) >> 1]) / 2;
};

/** The standard normal upper tail, 1 - Φ(z) (Bowling et al.'s logistic form, error < 1.5e-4). */
export const normalTail = (z: number): number => 1 / (1 + Math.exp(z * (1.5976 + 0.070566 * z * z)));

/**
 * Theil–Sen slope of (t, v) and Mann–Kendall's one-sided (increasing) p-value of v (no tie
 * correction), from the same pairs.
 */
export function trend(t: number[], v: number[]): [number, number] {
  const s: number[] = [];
  const n = t.length;
  let k = 0;
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) s.push((v[j] - v[i]) / (t[j] - t[i])), (k += Math.sign(v[j] - v[i]));
  return [n > 1 ? median(s) : 0, n < 3 ? 1 : normalTail((k - Math.sign(k)) / Math.sqrt((n * (n - 1) * (2 * n + 5)) / 18))];
}

export const severityFor = (r: number): Severity => (r >= 0.2 ? 'critical' : r >= 0.1 ? 'high' : r >= 0.05 ? 'medium' : 'low');

/** The verdict over samples at times `t` (ms, ascending, distinct) of heap sizes `v` (bytes). */
export function detectLeak(t: number[], v: number[], o: LeakOptions = {}): LeakVerdict {
  const { windowMs = 60e3, threshold = 0.05 } = o;
  const bt: number[] = [];
  const bv: number[] = [];
  const first = t.findIndex((x) => x >= t[t.length - 1] - windowMs);
  // `i in t`: an index of t (findIndex gives -1 for no samples); t[-1] is undefined, so
  // the inner loop ends at the first sample.
  for (let i = first; i in t; i += Math.ceil((t.length - first) / 64)) {
    let m = v[i];
    for (let j = i; t[j] > t[i] - 5e3; j--) m = Math.min(m, v[j]);
    bt.push(t[i]);
    bv.push(m);
  }
  const n = bt.length;
  const [slope, p] = trend(bt, bv);
  // The fitted level at the window's start; at or below zero (a steep rise from a flat
  // start), the least point, as the server does.
  const level = median(bv.map((x, i) => x - slope * (bt[i] - bt[0])));
  const perMin = slope * 60e3;
  const ratio = perMin / (level > 0 ? level : Math.min(...bv));
  const leaking = n >= 20 && ratio >= threshold && p <= 0.01;
  return {
    leaking,
    severity: leaking ? severityFor(ratio) : 'none',
    growthBytesPerMin: perMin,
    growthRatioPerMin: ratio || 0,
    pValue: p,
    points: n,
  };
}

/** The seeds' recommendations for a verdict and a heap usage share (0..1). */
export function recommendations(l: LeakVerdict, usage: number, limit = 0.8): string[] {
  const pct = (x: number) => Math.round(x * 100) + ' %';
  return [
    l.leaking && `Heap grows ${pct(l.growthRatioPerMin)}/min (${l.severity}): look for detached DOM nodes, listeners, timers kept after unmount, unbounded caches`,
    usage >= limit && `Heap at ${pct(usage)} of its limit: drop caches, load less data`,
  ].filter(Boolean) as string[];
}
