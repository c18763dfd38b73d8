// Regressions (/regressions, issue 15 item 6): the regressions the continuous watches found
// (GET /api/v1/regressions?app=: Core Web Vitals p75 per app and page, p95 and error ratio
// per route, configured watch expressions), active first, each with the deploy just before
// it linking to that deploy's impact page (/deploy?id=), and the deploys recorded in the
// window (GET /api/v1/deploys?app=&start=&end=). The app picker filters both.
import { get } from '../api';
import { empty, h, loading, replace, section } from '../dom';
import { formatNumber, formatVital, isVital } from '../format';
import { Loader, type PageDef } from '../page';
import { linkTo, param, timeRange } from '../state';
import { table } from '../table';
import { formatDurationMs, formatRatio } from './apm-common';

export interface Deploy {
  id: string;
  app?: string;
  service?: string;
  version: string;
  commit: string;
  environment: string;
  time: string;
}

export interface Regression {
  id: string;
  app?: string;
  service?: string;
  page?: string;
  route?: string;
  metric: string;
  before: number | null;
  after: number | null;
  change: number | null;
  p_value: number | null;
  time: string;
  deploy: Deploy | null;
  active: boolean;
  labels?: Record<string, string>;
}

/** A metric's value with its unit: vitals in ms (CLS unitless), p95 in seconds, ratios in %. */
export function formatMetric(metric: string, v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (isVital(metric)) return formatVital(metric, v);
  if (metric === 'p95' || metric === 'p50' || metric === 'p99') return formatDurationMs(v * 1000);
  if (metric === 'error_ratio') return formatRatio(v);
  return formatNumber(v);
}

/** A relative change as signed percent: "+38 %", "−5.1 %". */
export function formatChangeRatio(c: number | null | undefined): string {
  if (c === null || c === undefined || !Number.isFinite(c)) return '–';
  const p = c * 100;
  if (p === 0) return '0 %';
  const a = Math.abs(p);
  const txt = a >= 10 ? a.toFixed(0) : a.toPrecision(2);
  return `${p > 0 ? '+' : p < 0 ? '−' : '±'}${txt} %`;
}

export function formatPValue(p: number | null | undefined): string {
  if (p === null || p === undefined || !Number.isFinite(p)) return '–';
  return p < 0.001 ? p.toExponential(1) : p.toFixed(3);
}

/** "2026-12-04 02:00:00" local time from an RFC 3339 string. */
export function formatIsoTime(iso: string | null | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function deployTarget(d: Deploy): string {
  return d.app ? `app ${d.app}` : `service ${d.service ?? ''}`;
}

export function deployLink(d: Deploy): HTMLElement {
  return h('a', { href: linkTo('/deploy', { id: d.id }), 'data-deploy': d.id }, `${d.version} (${formatIsoTime(d.time)})`);
}

export const regressionsPage: PageDef = {
  path: '/regressions',
  title: 'Regressions',
  mount(root) {
    const heading = h('h1', null, 'Regressions');
    const note = h('p', { class: 'muted' });
    const regBox = section('Regressions found by the watches');
    const depBox = section('Deploys');
    regBox.body.append(loading('regressions'));
    depBox.body.append(loading('deploys'));
    root.append(heading, note, regBox.el, depBox.el);

    const load = new Loader(async (signal) => {
      const range = timeRange();
      const app = param('app') || undefined;
      note.textContent = `Shifts the continuous watches found in Core Web Vitals p75 per page, p95 and error ratio per route${app ? ` of app “${app}”` : ''}, active first; and the deploys recorded in the ${range.label}. A deploy's link opens its release impact.`;
      const [regs, deploys] = await Promise.all([
        get<Regression[]>('/api/v1/regressions', { app }, signal),
        get<Deploy[]>('/api/v1/deploys', { app, start: range.from.toFixed(3), end: range.to.toFixed(3) }, signal),
      ]);
      replace(regBox.body, table<Regression>({
        name: 'regressions',
        caption: 'Regressions: the metric before and after the change point, its significance and the deploy just before it',
        rows: regs,
        empty: empty(h('p', null, h('strong', null, 'No regressions found.')),
          h('p', null, 'The watches compare each page\'s vitals and each route\'s latency and errors continuously; a significant lasting shift shows here. Record deploys (POST /api/v1/deploys or ', h('code', null, 'perfwatch deploy'), ') to link each shift to a release.')),
        columns: [
          { label: 'app / service', value: (r) => r.app ?? r.service ?? '', sort: (r) => r.app ?? r.service ?? '' },
          { label: 'page / route', value: (r) => r.page ?? r.route ?? '', sort: (r) => r.page ?? r.route ?? '',
            cell: (r) => r.route !== undefined && r.service !== undefined ? h('a', { href: linkTo('/route', { service: r.service, route: r.route }) }, r.route || '(no route)') : (r.page ?? '–') },
          { label: 'metric', value: (r) => r.metric, sort: (r) => r.metric },
          { label: 'before → after', value: (r) => `${formatMetric(r.metric, r.before)} → ${formatMetric(r.metric, r.after)}`, sort: (r) => r.after ?? 0, numeric: true },
          { label: 'change', value: (r) => r.change, cell: (r) => formatChangeRatio(r.change), numeric: true, sort: (r) => r.change ?? 0 },
          { label: 'p-value', value: (r) => r.p_value, cell: (r) => formatPValue(r.p_value), numeric: true, sort: (r) => r.p_value ?? 1 },
          { label: 'change time', value: (r) => r.time, cell: (r) => formatIsoTime(r.time), sort: (r) => r.time },
          { label: 'deploy', value: (r) => r.deploy?.id ?? '', cell: (r) => (r.deploy ? deployLink(r.deploy) : h('span', { class: 'muted' }, 'none before it')), sort: (r) => r.deploy?.time ?? '' },
          { label: 'state', value: (r) => (r.active ? 'active' : 'recovered'), sort: (r) => (r.active ? 0 : 1),
            cell: (r) => h('span', { class: `status-badge ${r.active ? 'error' : 'muted'}` }, r.active ? 'active' : 'recovered') },
        ],
        rowAttrs: (r) => ({ 'data-regression': r.id }),
      }));
      replace(depBox.body, table<Deploy>({
        name: 'deploys',
        caption: `Deploys in the ${range.label}, newest first`,
        rows: deploys,
        empty: empty(h('p', null, h('strong', null, 'No deploys recorded in this window.')),
          h('p', null, 'Record one from your pipeline: ', h('code', null, 'perfwatch deploy --app shop --version 1.4.2'), ' or POST /api/v1/deploys; or widen the time window above.')),
        columns: [
          { label: 'time', value: (d) => d.time, cell: (d) => formatIsoTime(d.time), sort: (d) => d.time },
          { label: 'app / service', value: (d) => d.app ?? d.service ?? '', sort: (d) => d.app ?? d.service ?? '' },
          { label: 'version', value: (d) => d.version, sort: (d) => d.version },
          { label: 'commit', value: (d) => d.commit, cell: (d) => (d.commit ? h('span', { class: 'mono' }, d.commit) : '–'), sort: (d) => d.commit },
          { label: 'environment', value: (d) => d.environment, cell: (d) => d.environment || '–', sort: (d) => d.environment },
          { label: 'impact', value: (d) => d.id, cell: (d) => h('a', { href: linkTo('/deploy', { id: d.id }), 'data-deploy': d.id }, `Impact of ${d.version}`), sort: (d) => d.time },
        ],
        rowAttrs: (d) => ({ 'data-deploy-row': d.id }),
      }));
    }, () => regBox.body);

    void load.run();
    return { update: () => void load.run(), destroy: () => load.stop() };
  },
};

/**
 * Deploy markers for a time chart (issue 15 item 6): the deploys of `app` (or, without it,
 * of every app) or of `service` (or every service) in [from, to] as chart markers labelled
 * "deploy <version>". A failed call draws no marker rather than failing the chart.
 */
export async function deployMarkers(filter: { app?: string; service?: string; kind: 'app' | 'service' }, from: number, to: number, signal?: AbortSignal): Promise<{ x: number; label: string }[]> {
  const list = await get<Deploy[]>('/api/v1/deploys', { app: filter.app, service: filter.service, start: from.toFixed(3), end: to.toFixed(3), limit: 20 }, signal).catch(() => [] as Deploy[]);
  return list.filter((d) => (filter.kind === 'app' ? d.app !== undefined && d.app !== '' : d.service !== undefined && d.service !== ''))
    .map((d) => ({ x: Date.parse(d.time) / 1000, label: `deploy ${d.version}` }))
    .filter((m) => Number.isFinite(m.x))
    .sort((a, b) => a.x - b.x);
}

/** The markers inside [lo, hi] (a chart's x extent), and their text for the chart's title. */
export function markersIn(markers: { x: number; label: string }[], lo: number, hi: number): { markers: { x: number; label: string }[]; text: string } {
  const inside = markers.filter((m) => m.x >= lo && m.x <= hi);
  return { markers: inside, text: inside.length ? `; dashed lines: ${inside.map((m) => `${m.label} at ${formatIsoTime(new Date(m.x * 1000).toISOString())}`).join(', ')}` : '' };
}
