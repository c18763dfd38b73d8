// Pieces the Overview and Web Vitals pages share: rating badges, share bars, the filter
// parameters of the vitals APIs, and a step that gives about `points` points over a range.
import { h } from './dom';
import { formatPercent, formatVital, rating, RATING_TEXT, type Rating, type Vital } from './format';
import { param } from './state';

export const FILTER_DIMS = ['page', 'device', 'connection', 'browser'] as const;
export type FilterDim = (typeof FILTER_DIMS)[number];

/** "2.48 s" coloured by its rating, followed by the rating as text. */
export function ratedValue(metric: Vital, v: number | null | undefined): HTMLElement {
  if (v === null || v === undefined || !Number.isFinite(v)) return h('span', { class: 'muted' }, '–');
  const r = rating(metric, v);
  return h('span', { class: 'rated' }, h('span', { class: `value ${r}` }, formatVital(metric, v)), ' ', ratingBadge(r));
}

export function ratingBadge(r: Rating): HTMLElement {
  return h('span', { class: `rating ${r}` }, RATING_TEXT[r]);
}

/** A bar of the good / needs-improvement / poor shares, with the numbers as its label. */
export function shareBar(good: number, ni: number, poor: number): HTMLElement {
  const label = `good ${formatPercent(good)}, needs improvement ${formatPercent(ni)}, poor ${formatPercent(poor)}`;
  return h('span', { class: 'shares', role: 'img', 'aria-label': label, title: label },
    h('span', { class: 'good', style: `width:${good * 100}%` }),
    h('span', { class: 'needs-improvement', style: `width:${ni * 100}%` }),
    h('span', { class: 'poor', style: `width:${poor * 100}%` }));
}

/** The app and dimension filters in the URL, as vitals API parameters. */
export function filterParams(): Record<string, string> {
  const out: Record<string, string> = {};
  const app = param('app');
  if (app) out.app = app;
  for (const d of FILTER_DIMS) {
    const v = param(d);
    if (v) out[d] = v;
  }
  return out;
}

/** A step in seconds (1 min, 5 min, 15 min, 1 h, … whole hours) giving at most ~`points` steps. */
export function niceStep(seconds: number, points: number): number {
  const raw = seconds / points;
  for (const s of [60, 300, 900, 1800, 3600]) if (raw <= s) return s;
  return Math.ceil(raw / 3600) * 3600;
}
