// Numbers with units, and the Web Vitals ratings (web-vitals' thresholds, the same the
// server uses: docs/api.md). A rating is always shown as text too, never by colour alone.

export const VITALS = ['LCP', 'INP', 'CLS', 'FCP', 'TTFB'] as const;
export type Vital = (typeof VITALS)[number];
export type Rating = 'good' | 'needs-improvement' | 'poor';

export const THRESHOLDS: Record<Vital, { good: number; poor: number }> = {
  LCP: { good: 2500, poor: 4000 },
  INP: { good: 200, poor: 500 },
  CLS: { good: 0.1, poor: 0.25 },
  FCP: { good: 1800, poor: 3000 },
  TTFB: { good: 800, poor: 1800 },
};

export const VITAL_NAMES: Record<Vital, string> = {
  LCP: 'Largest Contentful Paint',
  INP: 'Interaction to Next Paint',
  CLS: 'Cumulative Layout Shift',
  FCP: 'First Contentful Paint',
  TTFB: 'Time to First Byte',
};

export function isVital(s: string | null): s is Vital {
  return !!s && (VITALS as readonly string[]).includes(s);
}

export function rating(metric: Vital, v: number): Rating {
  const t = THRESHOLDS[metric];
  return v <= t.good ? 'good' : v <= t.poor ? 'needs-improvement' : 'poor';
}

export const RATING_TEXT: Record<Rating, string> = { good: 'good', 'needs-improvement': 'needs improvement', poor: 'poor' };

/** A vital's value in beacon units (ms, CLS unitless) as people read it: "2.48 s", "180 ms", "0.120". */
export function formatVital(metric: Vital, v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (metric === 'CLS') return v.toFixed(3);
  return formatMs(v);
}

export function formatMs(v: number): string {
  if (Math.abs(v) >= 1000) return `${(v / 1000).toFixed(2)} s`;
  return `${Math.round(v)} ms`;
}

/** Seconds as "1.23 s" / "45 ms" / "12 µs". */
export function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return String(s);
  const a = Math.abs(s);
  if (a >= 1 || a === 0) return `${+s.toFixed(3)} s`;
  if (a >= 1e-3) return `${+(s * 1e3).toFixed(2)} ms`;
  return `${+(s * 1e6).toFixed(1)} µs`;
}

export function formatCount(n: number): string {
  return n.toLocaleString('en-US');
}

export function formatPercent(share: number, digits = 0): string {
  return `${(share * 100).toFixed(digits)} %`;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (Math.abs(n) >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** A generic number: integers as they are, others with up to 4 significant digits. */
export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  return String(+v.toPrecision(4));
}

/** Unix seconds as local "YYYY-MM-DD HH:MM:SS". */
export function formatTime(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

/** How long ago, roughly: "3 min ago". */
export function formatAgo(unixSeconds: number, now = Date.now() / 1000): string {
  const s = Math.max(0, now - unixSeconds);
  if (s < 60) return `${Math.round(s)} s ago`;
  if (s < 3600) return `${Math.round(s / 60)} min ago`;
  if (s < 86400) return `${(s / 3600).toFixed(1)} h ago`;
  return `${(s / 86400).toFixed(1)} d ago`;
}

/** Relative change as "+12 %" / "−5 %"; null when there is no previous value. */
export function formatChange(now: number, before: number | null | undefined): string | null {
  if (before === null || before === undefined || !Number.isFinite(before) || before === 0) return null;
  const c = (now - before) / before;
  const sign = c > 0 ? '+' : c < 0 ? '−' : '±';
  return `${sign}${Math.abs(c * 100).toFixed(0)} %`;
}
