// Network (/network, issue 16 item 4): per page (GET /api/v1/network?app=&from=&to=, data
// from the extended SDK /rum.full.js), the median page view's waterfall drawn per phase
// (DNS, connect, TLS, request, response; the time before the first phase as "queued") with
// the same numbers as a table, the aggregated resource table, the critical path (the
// render-blocking resources and the LCP resource with their share of LCP), the findings
// with their evidence, and a summary line. The page picker (`page` in the URL) lists the
// pages the API returns; the app picker and time window filter.
import './network.css';

import { get } from '../api';
import { empty, h, loading, replace, section, select, type Child } from '../dom';
import { formatBytes, formatCount, formatNumber } from '../format';
import { Loader, type PageDef } from '../page';
import { param, rangeParams, setParams, timeRange } from '../state';
import { exportButtons, table } from '../table';
import { formatDurationMs, formatRatio } from './apm-common';

export interface WaterfallEntry {
  url: string;
  type: string;
  start: number | null;
  duration: number | null;
  dns: number | null;
  connect: number | null;
  tls: number | null;
  request: number | null;
  response: number | null;
  transfer: number | null;
  render_blocking: boolean | null;
  lcp: boolean | null;
  third_party: boolean | null;
}

export interface NetworkResource {
  url: string;
  type: string;
  count: number;
  p75_duration: number | null;
  p75_transfer: number | null;
  cache_hit_rate: number | null;
  compression: number | null;
  third_party: boolean | null;
  render_blocking: boolean | null;
}

export interface Finding {
  kind: string;
  severity: string;
  message: string;
  evidence: Record<string, unknown>;
}

export interface NetworkPage {
  app: string;
  page: string;
  views: number;
  waterfall: WaterfallEntry[];
  resources: NetworkResource[];
  critical_path: { resources: { url: string; type: string; duration: number | null; share_of_lcp: number | null }[]; duration: number | null; lcp: number | null };
  summary: { resources: number | null; transfer_bytes: number | null; p75_resources: number | null; p75_transfer_bytes: number | null };
  findings: Finding[];
}

export const PHASES = ['dns', 'connect', 'tls', 'request', 'response'] as const;
const PHASE_NAMES: Record<(typeof PHASES)[number] | 'wait', string> = {
  wait: 'queued / waiting', dns: 'DNS', connect: 'connect', tls: 'TLS', request: 'request', response: 'response',
};

const yesNo = (b: boolean | null | undefined): string => (b === null || b === undefined ? '–' : b ? 'yes' : 'no');
const bytes = (n: number | null | undefined): string => (n === null || n === undefined || !Number.isFinite(n) ? '–' : formatBytes(n));

/** What the extended SDK is and how to add it: the empty state of the network pages. */
export function needFullSdk(what: string, extra?: Child): HTMLElement {
  const app = param('app') || 'my-app';
  const tag = `<script src="${location.origin}/rum.full.js" data-app="${app}" defer></script>`;
  return empty(
    h('p', null, h('strong', null, `No ${what} in this window.`)),
    h('p', null, `${what[0].toUpperCase()}${what.slice(1)} come from the extended browser SDK, /rum.full.js (the core /rum.js does not send them). Load it instead of /rum.js on the pages you want to measure:`),
    h('pre', null, h('code', null, tag)),
    extra,
    h('p', null, 'Or widen the time window above.'));
}

function pageKey(p: NetworkPage): string {
  return `${p.app}\t${p.page}`;
}

/** The median page view's waterfall: one bar per resource, split into its phases. */
function waterfall(p: NetworkPage): HTMLElement {
  const rows = p.waterfall;
  const end = Math.max(1, ...rows.map((r) => (r.start ?? 0) + (r.duration ?? 0)), p.critical_path.lcp ?? 0);
  const pct = (v: number) => `${Math.max(0, (v / end) * 100)}%`;
  const legend = h('ul', { class: 'legend', 'aria-label': 'Phases' },
    (['wait', ...PHASES] as const).map((k) => h('li', null, h('span', { class: `swatch ph-${k}`, 'aria-hidden': 'true' }), PHASE_NAMES[k])));
  const bars = rows.map((r) => {
    const start = r.start ?? 0;
    const dur = Math.max(0, r.duration ?? 0);
    const phases = PHASES.map((k) => [k, Math.max(0, r[k] ?? 0)] as const);
    const known = phases.reduce((a, [, v]) => a + v, 0);
    const wait = Math.max(0, dur - known);
    const total = Math.max(dur, known) || 1;
    const flags = [r.lcp ? 'LCP' : '', r.render_blocking ? 'render-blocking' : '', r.third_party ? 'third party' : ''].filter(Boolean);
    const label = `${r.url}: starts at ${formatDurationMs(start)}, takes ${formatDurationMs(dur)}`;
    return h('div', { class: `wf-row${r.lcp ? ' wf-lcp' : ''}`, 'data-url': r.url },
      h('span', { class: 'wf-label', title: r.url }, h('span', { class: 'muted' }, `${r.type} `), shortUrl(r.url), flags.map((f) => h('span', { class: 'flag' }, f))),
      h('span', { class: 'wf-track', title: label },
        h('span', { class: 'wf-bar', style: `left:${pct(start)};width:${pct(total)}` },
          wait > 0 ? h('span', { class: 'ph-wait', style: `width:${(wait / total) * 100}%` }) : null,
          phases.filter(([, v]) => v > 0).map(([k, v]) => h('span', { class: `ph-${k}`, style: `width:${(v / total) * 100}%` })))),
      h('span', { class: 'wf-dur' }, formatDurationMs(dur)));
  });
  const summary = `Waterfall of the median page view of ${p.page}: ${rows.length} resources over ${formatDurationMs(end)}` +
    (p.critical_path.lcp !== null ? `, LCP at ${formatDurationMs(p.critical_path.lcp)}` : '') + '. The same numbers are in the table below.';
  return h('figure', { class: 'waterfall' },
    legend,
    h('div', { class: 'wf-rows', role: 'img', 'aria-label': summary }, bars),
    h('figcaption', { class: 'muted small' }, summary));
}

function shortUrl(u: string): string {
  try {
    const x = new URL(u);
    return x.pathname + x.search || u;
  } catch {
    return u;
  }
}

function phasesTable(p: NetworkPage): HTMLElement {
  const ms = (label: string, f: (r: WaterfallEntry) => number | null) => ({
    label: `${label} (ms)`, value: f, cell: (r: WaterfallEntry) => formatDurationMs(f(r)), numeric: true, sort: (r: WaterfallEntry) => f(r) ?? -1,
  });
  return table<WaterfallEntry>({
    name: 'network-waterfall',
    caption: `Phases of each resource of the median page view of ${p.page}`,
    rows: p.waterfall,
    rowAttrs: (r) => ({ 'data-waterfall': r.url }),
    columns: [
      { label: 'resource', value: (r) => r.url, cell: (r) => h('span', { class: 'mono', title: r.url }, r.url), sort: (r) => r.url },
      { label: 'type', value: (r) => r.type, sort: (r) => r.type },
      ms('start', (r) => r.start), ms('duration', (r) => r.duration),
      ms('DNS', (r) => r.dns), ms('connect', (r) => r.connect), ms('TLS', (r) => r.tls), ms('request', (r) => r.request), ms('response', (r) => r.response),
      { label: 'transfer (bytes)', value: (r) => r.transfer, cell: (r) => bytes(r.transfer), numeric: true, sort: (r) => r.transfer ?? -1 },
      { label: 'notes', value: (r) => [r.lcp ? 'LCP' : '', r.render_blocking ? 'render-blocking' : '', r.third_party ? 'third party' : ''].filter(Boolean).join(', ') },
    ],
  });
}

function resourcesTable(p: NetworkPage): HTMLElement {
  return table<NetworkResource>({
    name: 'network-resources',
    caption: `Resources of ${p.page} by URL template over ${p.views} page views`,
    rows: p.resources,
    rowAttrs: (r) => ({ 'data-resource': r.url }),
    empty: empty('No resources recorded for this page.'),
    columns: [
      { label: 'URL template', value: (r) => r.url, cell: (r) => h('span', { class: 'mono' }, r.url), sort: (r) => r.url },
      { label: 'type', value: (r) => r.type, sort: (r) => r.type },
      { label: 'count', value: (r) => r.count, cell: (r) => formatCount(r.count), numeric: true, sort: (r) => r.count },
      { label: 'p75 duration (ms)', value: (r) => r.p75_duration, cell: (r) => formatDurationMs(r.p75_duration), numeric: true, sort: (r) => r.p75_duration ?? -1 },
      { label: 'p75 transfer (bytes)', value: (r) => r.p75_transfer, cell: (r) => bytes(r.p75_transfer), numeric: true, sort: (r) => r.p75_transfer ?? -1 },
      { label: 'cache hits (%)', value: (r) => (r.cache_hit_rate === null ? null : +(r.cache_hit_rate * 100).toFixed(1)), cell: (r) => formatRatio(r.cache_hit_rate), numeric: true, sort: (r) => r.cache_hit_rate ?? -1 },
      { label: 'compression (encoded/decoded)', value: (r) => r.compression, cell: (r) => (r.compression === null ? '–' : formatNumber(r.compression)), numeric: true, sort: (r) => r.compression ?? -1,
        title: '1 = not compressed; null when the browser did not report sizes' },
      { label: 'third party', value: (r) => yesNo(r.third_party), sort: (r) => yesNo(r.third_party) },
      { label: 'render-blocking', value: (r) => yesNo(r.render_blocking), sort: (r) => yesNo(r.render_blocking) },
    ],
  });
}

function criticalPath(p: NetworkPage): HTMLElement {
  const cp = p.critical_path;
  if (!cp.resources.length) return empty('No critical path: no render-blocking resource and no LCP resource recorded in the median view.');
  const exp = exportButtons('critical-path', () => ({
    header: ['order', 'type', 'url', 'duration (ms)', 'share of LCP'],
    rows: cp.resources.map((r, i) => [String(i + 1), r.type, r.url, r.duration === null ? '' : String(r.duration), r.share_of_lcp === null ? '' : String(r.share_of_lcp)]),
    json: cp.resources.map((r, i) => ({ order: i + 1, type: r.type, url: r.url, 'duration (ms)': r.duration, 'share of LCP': r.share_of_lcp })),
  }));
  return h('div', null,
    h('div', { class: 'table-tools' }, exp),
    h('p', { 'data-critical-summary': '' }, `Ends at ${formatDurationMs(cp.duration)}; LCP ${formatDurationMs(cp.lcp)}. The chain, in order:`),
    h('ol', { class: 'critical-path' }, cp.resources.map((r) => h('li', { 'data-critical': r.url },
      h('span', { class: 'share-bar', 'aria-hidden': 'true' }, h('span', { style: `width:${Math.min(100, (r.share_of_lcp ?? 0) * 100)}%` })),
      h('span', { class: 'muted' }, `${r.type} `), h('span', { class: 'mono' }, r.url),
      ` — ${formatDurationMs(r.duration)}, ${formatRatio(r.share_of_lcp)} of LCP`))));
}

/** An evidence value as people read it, by its key's name: bytes, shares, durations (ms). */
export function evidenceValue(k: string, v: unknown): string {
  if (typeof v === 'number') {
    if (k === 'budget' || /views|count|resources$/.test(k)) return formatNumber(v);
    if (/bytes|transfer|size/.test(k)) return formatBytes(v);
    if (/(^|_)(share|rate|ratio)(_|$)/.test(k)) return formatRatio(v);
    if (/_ms$|^p75_|duration|start|delay|lcp|end$/.test(k)) return formatDurationMs(v);
    return formatNumber(v);
  }
  if (v === null || v === undefined) return '–';
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function findingsList(p: NetworkPage): HTMLElement {
  if (!p.findings.length) return empty('No findings: nothing this page loads breaks a rule or a network budget (100 resources, 2 MB, critical path 1.5 s).');
  return h('ul', { class: 'findings' }, p.findings.map((f) => h('li', { class: 'finding', 'data-finding': f.kind },
    h('p', null, h('span', { class: `badge sev-${f.severity}` }, f.severity), ' ', h('strong', null, f.kind.replace(/_/g, ' ')), h('span', { class: 'muted small' }, ` (${f.kind})`)),
    h('p', null, f.message),
    h('dl', { class: 'evidence' }, Object.entries(f.evidence ?? {}).map(([k, v]) => [h('dt', null, k.replace(/_/g, ' ')), h('dd', { 'data-key': k }, evidenceValue(k, v))])))));
}

export function summaryLine(p: NetworkPage): string {
  const s = p.summary;
  return `${p.app} ${p.page}: ${formatCount(p.views)} page views with resource data; median view ${s.resources ?? '–'} resources, ${bytes(s.transfer_bytes)} transferred; ` +
    `p75 ${s.p75_resources ?? '–'} resources, ${bytes(s.p75_transfer_bytes)}; ${p.findings.length} finding${p.findings.length === 1 ? '' : 's'}.`;
}

export const networkPage: PageDef = {
  path: '/network',
  title: 'Network',
  mount(root) {
    root.classList.add('net');
    const heading = h('h1', null, 'Network');
    const controls = h('div', { class: 'toolbar', role: 'group', 'aria-label': 'Which page' });
    const summary = h('div', { class: 'summary-line', 'data-summary': '' }, loading('the network'));
    const wf = section('Waterfall of the median page view');
    const res = section('Resources');
    const cp = section('Critical path');
    const fnd = section('Findings');
    root.append(heading, controls, summary, fnd.el, wf.el, cp.el, res.el);

    const load = new Loader(async (signal) => {
      const range = timeRange();
      const app = param('app') || undefined;
      const data = await get<{ pages: NetworkPage[] }>('/api/v1/network', { app, ...rangeParams(range) }, signal);
      const pages = data.pages ?? [];
      if (!pages.length) {
        controls.replaceChildren();
        replace(summary, needFullSdk('resource timings', h('p', null, 'It sends one resource summary per page view (sizes by type and party, cache hits, protocols, render-blocking) with the phases of the slowest resources and the LCP resource.')));
        for (const s of [wf, res, cp, fnd]) s.el.hidden = true;
        return;
      }
      for (const s of [wf, res, cp, fnd]) s.el.hidden = false;
      const wanted = param('page');
      const p = pages.find((x) => x.page === wanted && (!app || x.app === app)) ?? pages[0];
      const apps = new Set(pages.map((x) => x.app)).size;
      replace(controls, select('Page', pages.map((x) => [pageKey(x), apps > 1 ? `${x.app} ${x.page}` : x.page]), pageKey(p), (v) => {
        const next = pages.find((x) => pageKey(x) === v);
        setParams({ page: next ? next.page : null });
      }, 'page'));
      heading.textContent = `Network: ${p.page}`;
      summary.textContent = summaryLine(p);
      wf.tools.replaceChildren(h('span', { class: 'muted' }, 'the median page view by LCP (else load time)'));
      replace(wf.body, p.waterfall.length ? [waterfall(p), phasesTable(p)] : empty('No resource timings in the median page view (the core SDK sends no phases).'));
      replace(res.body, resourcesTable(p));
      replace(cp.body, criticalPath(p));
      replace(fnd.body, findingsList(p));
    }, () => summary);

    void load.run();
    return {
      update: () => void load.run(),
      destroy: () => {
        load.stop();
        root.classList.remove('net');
      },
    };
  },
};
