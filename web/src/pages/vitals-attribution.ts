// The attribution panel of the Web Vitals page (issue 16 item 4): for LCP, INP and CLS,
// what makes the metric slow (GET /api/v1/vitals/attribution?metric=&app=&page=&from=&to=,
// data from /rum.full.js): the top targets with count, share, p75 and the p75 of each
// subpart as a stacked bar with the numbers as text, and for INP the long animation
// frames' scripts. Hidden for FCP and TTFB.
import './network.css';

import { get } from '../api';
import { empty, h, replace, section } from '../dom';
import { formatCount, formatVital, type Vital } from '../format';
import { param, rangeParams, type TimeRange } from '../state';
import { table } from '../table';
import { formatDurationMs, formatRatio } from './apm-common';

export interface AttributionScript { src: string; fn: string; invoker: string; count: number; p75: number | null }
export interface AttributionTarget {
  selector: string;
  count: number;
  share: number;
  p75: number | null;
  subparts: Record<string, number | null>;
  scripts?: AttributionScript[];
}
export interface AttributionAnswer { metric: string; views: number; targets: AttributionTarget[] }

export const SUBPARTS: Record<string, [key: string, name: string][]> = {
  LCP: [['ttfb', 'TTFB'], ['loadDelay', 'load delay'], ['loadDuration', 'load duration'], ['renderDelay', 'render delay']],
  INP: [['inputDelay', 'input delay'], ['processing', 'processing'], ['presentation', 'presentation delay']],
  CLS: [],
};

/** "TTFB 300 ms · load delay 550 ms · …" */
export function subpartsText(metric: string, sp: Record<string, number | null>): string {
  return (SUBPARTS[metric] ?? []).map(([k, n]) => `${n} ${formatDurationMs(sp[k] ?? null)}`).join(' · ');
}

function stack(metric: string, sp: Record<string, number | null>): HTMLElement {
  const parts = SUBPARTS[metric] ?? [];
  const total = parts.reduce((a, [k]) => a + Math.max(0, sp[k] ?? 0), 0) || 1;
  return h('span', { class: 'stack', 'aria-hidden': 'true' },
    parts.map(([k], i) => h('span', { class: `ph-subpart-${i}`, style: `width:${(Math.max(0, sp[k] ?? 0) / total) * 100}%` })));
}

/** The panel: `el` to place on the page, `load()` to call with the page's range and metric. */
export function attributionPanel(): { el: HTMLElement; load(metric: Vital, range: TimeRange, signal: AbortSignal): Promise<void> } {
  const s = section('What makes it slow');
  s.el.classList.add('net');
  s.el.setAttribute('data-attribution', '');
  return {
    el: s.el,
    async load(metric, range, signal) {
      if (!(metric in SUBPARTS)) {
        s.el.hidden = true;
        return;
      }
      s.el.hidden = false;
      const heading = s.el.querySelector('h2');
      if (heading) heading.textContent = `What makes ${metric} slow: top ${metric === 'LCP' ? 'elements' : 'targets'}`;
      try {
        const a = await get<AttributionAnswer>('/api/v1/vitals/attribution', { metric, app: param('app') || undefined, page: param('page') || undefined, ...rangeParams(range) }, signal);
        renderPanel(metric, a);
      } catch (err) {
        if (signal.aborted) return;
        replace(s.body, empty(`Attribution unavailable: ${err instanceof Error ? err.message : String(err)}`));
      }
    },
  };

  function renderPanel(metric: Vital, a: AttributionAnswer): void {
    const parts = SUBPARTS[metric] ?? [];
    s.tools.replaceChildren(h('span', { class: 'muted' }, `${formatCount(a.views)} ${metric} values in the window`));
    if (!a.targets.length) {
      replace(s.body, empty(h('p', null, `No ${metric} attribution in this window. The extended SDK (/rum.full.js) sends the element or target of each ${metric} value` +
        (parts.length ? ' and its subparts' : '') + '; the core /rum.js sends only the selector of some.')));
      return;
    }
    const children: HTMLElement[] = [];
    if (parts.length) {
      children.push(h('ul', { class: 'legend', 'aria-label': `${metric} subparts` },
        parts.map(([, n], i) => h('li', null, h('span', { class: `swatch ph-subpart-${i}`, 'aria-hidden': 'true' }), n))));
    }
    children.push(table<AttributionTarget>({
      name: `${metric}-attribution`,
      caption: `Top ${metric} targets with their share of ${metric} values, p75 and the p75 of each subpart`,
      rows: a.targets,
      rowAttrs: (t) => ({ 'data-target': t.selector }),
      columns: [
        { label: metric === 'LCP' ? 'element' : 'target', value: (t) => t.selector, cell: (t) => h('span', { class: 'mono' }, t.selector), sort: (t) => t.selector },
        { label: 'count', value: (t) => t.count, cell: (t) => formatCount(t.count), numeric: true, sort: (t) => t.count },
        { label: 'share (%)', value: (t) => +(t.share * 100).toFixed(1), cell: (t) => formatRatio(t.share), numeric: true, sort: (t) => t.share },
        { label: `p75${metric === 'CLS' ? '' : ' (ms)'}`, value: (t) => t.p75, cell: (t) => formatVital(metric, t.p75), numeric: true, sort: (t) => t.p75 ?? -1 },
        ...(parts.length ? [{ label: 'subparts p75 (ms)', value: (t: AttributionTarget) => subpartsText(metric, t.subparts),
          cell: (t: AttributionTarget) => h('span', null, stack(metric, t.subparts), h('span', { class: 'subparts-text' }, subpartsText(metric, t.subparts))) }] : []),
      ],
    }));
    const scripts = metric === 'INP' ? a.targets.flatMap((t) => (t.scripts ?? []).map((x) => ({ ...x, target: t.selector }))) : [];
    if (metric === 'INP') {
      children.push(h('h3', null, 'Scripts in the long animation frames of these interactions'));
      children.push(table<AttributionScript & { target: string }>({
        name: 'INP-scripts',
        caption: 'Scripts that ran during slow interactions, by target',
        rows: scripts,
        rowAttrs: (x) => ({ 'data-script': x.src }),
        empty: empty('No script attribution: the browser reports long animation frames only in Chromium 123 and later, and only for frames over 50 ms.'),
        columns: [
          { label: 'target', value: (x) => x.target, cell: (x) => h('span', { class: 'mono' }, x.target), sort: (x) => x.target },
          { label: 'script', value: (x) => x.src, cell: (x) => h('span', { class: 'mono' }, x.src || '(inline)'), sort: (x) => x.src },
          { label: 'function', value: (x) => x.fn, cell: (x) => x.fn || '–', sort: (x) => x.fn },
          { label: 'invoker', value: (x) => x.invoker, cell: (x) => x.invoker || '–', sort: (x) => x.invoker },
          { label: 'count', value: (x) => x.count, cell: (x) => formatCount(x.count), numeric: true, sort: (x) => x.count },
          { label: 'p75 duration (ms)', value: (x) => x.p75, cell: (x) => formatDurationMs(x.p75), numeric: true, sort: (x) => x.p75 ?? -1 },
        ],
      }));
    }
    replace(s.body, children);
  }
}
