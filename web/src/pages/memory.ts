// Memory (/memory, issue 15 item 6): the memory-leak detector's findings
// (GET /api/v1/leaks?app=, /work/notes/analysis-contracts.md "Leaks API as built by the
// lead"): RUM heap trends per app and page (the SDK's periodic `memory` beacons, per
// session, then aggregated: "leaks in n of m long sessions") and process / Node heap series
// from scrapes and OTLP (one finding per series). A summary of the leaking findings by
// severity, the findings table (leaking first, as the API sorts them), and for the
// selected finding (`finding` in the URL; the first by default; a click on a row selects
// it) its analysed heap series with a marker where the growth started and the deploys in
// its span, and for RUM the sessions behind it. The app picker filters; findings are the
// detector's current view of its lookback (not the time window). Reloads every 15 s while
// the tab is visible.
import './memory.css';

import { get } from '../api';
import { Chart } from '../chart';
import { empty, h, loading, replace, section } from '../dom';
import { formatCount, formatPercent, formatTime } from '../format';
import { Loader, type PageDef } from '../page';
import { linkTo, param, setParams } from '../state';
import { table } from '../table';
import { deployMarkers, formatIsoTime, formatPValue, markersIn } from './regressions';

export type Severity = 'none' | 'low' | 'medium' | 'high' | 'critical';
export const SEVERITIES: Severity[] = ['critical', 'high', 'medium', 'low'];

export interface LeakSession {
  session: string;
  leaking: boolean;
  severity: Severity;
  growth_ratio_per_min: number;
  growth_bytes_per_min: number;
  since: string | null;
  samples: number;
}

export interface Leak {
  source: 'rum' | 'tsdb';
  metric: string;
  leaking: boolean;
  severity: Severity;
  growth_ratio_per_min: number;
  growth_bytes_per_min: number;
  since: string | null;
  p_value: number;
  last_bytes: number;
  evaluated_at: string;
  points: [number, number][];
  // rum
  app?: string;
  page?: string;
  sessions?: number;
  sessions_leaking?: number;
  sessions_leaking_ratio?: number;
  sessions_detail?: LeakSession[];
  // tsdb
  labels?: Record<string, string>;
  job?: string;
  instance?: string;
  samples?: number;
}

/** A finding's stable key in the URL (`finding`): source, then app and page or the series' labels. */
export function findingKey(l: Leak): string {
  if (l.source === 'rum') return `rum:${l.app ?? ''}:${l.page ?? ''}`;
  const labels = Object.entries(l.labels ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`);
  return `tsdb:${l.metric}{${labels.join(',')}}`;
}

/** Where the finding is: "shop /checkout" (RUM) or "node-app / 10.0.0.1:9100" (job / instance). */
export function findingWhere(l: Leak): string {
  if (l.source === 'rum') return `${l.app ?? ''} ${l.page ?? ''}`.trim();
  const parts = [l.job, l.instance].filter((x) => x);
  if (parts.length) return parts.join(' / ');
  const labels = Object.entries(l.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  return labels.join(', ') || '(no labels)';
}

/** "+12.3 %/min" (the growth per minute relative to the heap's size). */
export function formatGrowthRatio(r: number | null | undefined): string {
  if (r === null || r === undefined || !Number.isFinite(r)) return '–';
  const txt = Math.abs(r * 100).toFixed(1);
  return `${txt === '0.0' ? '' : r > 0 ? '+' : '−'}${txt} %/min`;
}

/** "+1.25 MB/min" (decimal megabytes). */
export function formatGrowthBytes(b: number | null | undefined): string {
  if (b === null || b === undefined || !Number.isFinite(b)) return '–';
  const mb = b / 1e6;
  const txt = Math.abs(mb).toFixed(Math.abs(mb) >= 10 ? 1 : 2);
  return `${/^0\.0+$/.test(txt) ? '' : mb > 0 ? '+' : '−'}${txt} MB/min`;
}

/** Heap sizes in decimal megabytes, like the growth column: "41.0 MB", "850 kB". */
export function formatMB(b: number | null | undefined): string {
  if (b === null || b === undefined || !Number.isFinite(b)) return '–';
  if (Math.abs(b) >= 1e9) return `${(b / 1e9).toFixed(2)} GB`;
  if (Math.abs(b) >= 1e6) return `${(b / 1e6).toFixed(1)} MB`;
  if (Math.abs(b) >= 1e3) return `${Math.round(b / 1e3)} kB`;
  return `${Math.round(b)} B`;
}

function severityBadge(l: { leaking: boolean; severity: Severity }): HTMLElement {
  const sev = l.severity || 'none';
  const text = l.leaking ? `${sev} leak` : 'no leak';
  return h('span', { class: `sev sev-${l.leaking ? sev : 'none'}`, 'data-severity': sev }, text);
}

const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, high: 1, medium: 2, low: 3, none: 4 };

export const memoryPage: PageDef = {
  path: '/memory',
  title: 'Memory',
  mount(root) {
    const heading = h('h1', null, 'Memory');
    const note = h('p', { class: 'muted' });
    const summary = section('Leaking findings by severity');
    const list = section('Findings');
    const detail = section('Selected finding');
    summary.body.append(loading('leak findings'));
    list.body.append(loading('leak findings'));
    detail.el.hidden = true;
    root.append(heading, note, summary.el, list.el, detail.el);

    const chart = new Chart({ name: 'heap', title: '', x: [], series: [] });
    let leaks: Leak[] = [];
    let loadedApp: string | null = null;
    let detailSeq = 0;

    function selected(): Leak | undefined {
      const key = param('finding');
      return (key && leaks.find((l) => findingKey(l) === key)) || leaks[0];
    }

    function select(l: Leak): void {
      setParams({ finding: findingKey(l) });
    }

    function renderSummary(app: string | undefined): void {
      const leaking = leaks.filter((l) => l.leaking);
      const tiles: [string, string, number][] = [
        ['leaking', 'leaking findings', leaking.length],
        ...SEVERITIES.map((s): [string, string, number] => [s, s, leaking.filter((l) => l.severity === s).length]),
        ['analysed', 'findings analysed', leaks.length],
      ];
      replace(summary.body,
        h('div', { class: 'vital-tiles' }, tiles.map(([stat, name, n]) =>
          h('div', { class: 'tile', 'data-stat': stat }, h('div', { class: 'name' }, name), h('div', { class: 'big' }, formatCount(n))))),
        h('p', { class: 'muted' }, leaking.length
          ? `${leaking.length} of ${leaks.length} heap series${app ? ` of app “${app}”` : ''} grow steadily beyond the garbage collector's sawtooth.`
          : leaks.length
            ? `None of the ${leaks.length} heap series analysed${app ? ` for app “${app}”` : ''} is leaking.`
            : `No heap series analysed yet${app ? ` for app “${app}”` : ''}.`));
    }

    function renderTable(): void {
      const cur = selected();
      const curKey = cur ? findingKey(cur) : '';
      replace(list.body, table<Leak>({
        name: 'memory-leaks',
        caption: 'Memory findings: where, which heap metric, severity, growth per minute, since when, significance and, for RUM, the share of long sessions that leak. Select a row to see its heap series.',
        rows: leaks,
        columns: [
          { label: 'source', value: (l) => l.source, sort: (l) => l.source,
            cell: (l) => h('a', { href: linkTo('/memory', { finding: findingKey(l) }), 'aria-current': findingKey(l) === curKey ? 'true' : undefined,
              'aria-label': `Show ${l.source === 'rum' ? 'RUM' : 'server'} finding ${findingWhere(l)} ${l.metric}`,
              onclick: (e: MouseEvent) => { if (e.ctrlKey || e.metaKey || e.shiftKey) return; e.preventDefault(); select(l); } }, l.source === 'rum' ? 'RUM' : 'server') },
          { label: 'app / page or job / instance', value: (l) => findingWhere(l), sort: (l) => findingWhere(l) },
          { label: 'metric', value: (l) => l.metric, sort: (l) => l.metric },
          { label: 'severity', value: (l) => (l.leaking ? l.severity : 'none'), cell: (l) => severityBadge(l),
            sort: (l) => (l.leaking ? SEVERITY_ORDER[l.severity] ?? 4 : 5) },
          { label: 'growth (%/min)', value: (l) => +(l.growth_ratio_per_min * 100).toFixed(2), cell: (l) => formatGrowthRatio(l.growth_ratio_per_min), numeric: true, sort: (l) => l.growth_ratio_per_min },
          { label: 'growth (MB/min)', value: (l) => +(l.growth_bytes_per_min / 1e6).toFixed(3), cell: (l) => formatGrowthBytes(l.growth_bytes_per_min), numeric: true, sort: (l) => l.growth_bytes_per_min },
          { label: 'heap now', value: (l) => l.last_bytes, cell: (l) => formatMB(l.last_bytes), numeric: true, sort: (l) => l.last_bytes },
          { label: 'since', value: (l) => l.since, cell: (l) => formatIsoTime(l.since), sort: (l) => l.since ?? '' },
          { label: 'p-value', value: (l) => l.p_value, cell: (l) => formatPValue(l.p_value), numeric: true, sort: (l) => l.p_value ?? 1 },
          { label: 'sessions leaking / long sessions', value: (l) => (l.source === 'rum' ? `${l.sessions_leaking ?? 0}/${l.sessions ?? 0}` : null),
            cell: (l) => (l.source === 'rum'
              ? `${formatCount(l.sessions_leaking ?? 0)} / ${formatCount(l.sessions ?? 0)} (${formatPercent(l.sessions_leaking_ratio ?? 0)})`
              : h('span', { class: 'muted' }, `${formatCount(l.samples ?? l.points.length)} samples`)),
            numeric: true, sort: (l) => l.sessions_leaking_ratio ?? -1 },
        ],
        rowAttrs: (l) => ({ 'data-finding': findingKey(l), class: findingKey(l) === curKey ? 'selected' : undefined,
          onclick: (e: MouseEvent) => { if ((e.target as HTMLElement).closest('a, button')) return; select(l); } }),
        empty: emptyState(),
      }));
    }

    function emptyState(): HTMLElement {
      const app = param('app');
      return empty(
        h('p', null, h('strong', null, 'No heap series to analyse yet'), app ? ` for app “${app}”.` : '.'),
        h('p', null, 'The leak detector reads heap series from two sources:'),
        h('ul', null,
          h('li', null, 'Browsers: the RUM SDK sends a ', h('code', null, 'memory'), ' beacon (', h('code', null, 'usedJSHeapSize'), ') every ',
            h('code', null, 'memoryInterval'), ' ms (10 s by default; Chromium-based browsers only). Sessions with enough samples (', h('code', null, 'analysis.leak.min_samples'), ', 12 by default) are analysed, then aggregated per app and page.'),
          h('li', null, 'Servers: ', h('code', null, 'process_resident_memory_bytes'), ' from scraped targets, and the Node heap series (',
            h('code', null, 'nodejs_heap_size_used_bytes'), ', OpenTelemetry ', h('code', null, 'v8js.memory.heap.used'), ') from scrapes and OTLP.')),
        h('p', null, 'How growth is told apart from the garbage collector\'s sawtooth, the severities and the settings (', h('code', null, 'analysis.leak'),
          '): see ', h('code', null, 'docs/analysis.md#memory-leaks'), '.'));
    }

    async function renderDetail(): Promise<void> {
      const l = selected();
      const seq = ++detailSeq;
      if (!l) {
        detail.el.hidden = true;
        return;
      }
      detail.el.hidden = false;
      const where = findingWhere(l);
      const xs = l.points.map((p) => p[0]);
      const ys = l.points.map((p) => p[1]);
      const sinceX = l.since ? Date.parse(l.since) / 1000 : NaN;
      const lo = xs[0] ?? 0;
      const hi = xs[xs.length - 1] ?? 0;
      const filter = l.source === 'rum'
        ? { app: l.app, kind: 'app' as const }
        : { service: l.labels?.service_name || l.labels?.service || l.job || undefined, kind: 'service' as const };
      const deploys = xs.length ? await deployMarkers(filter, lo, hi) : [];
      if (seq !== detailSeq) return;
      const dm = markersIn(deploys, lo, hi);
      const markers = [...(Number.isFinite(sinceX) && l.leaking ? [{ x: sinceX, label: 'leak since' }] : []), ...dm.markers];
      const facts = h('dl', { class: 'kv' },
        h('dt', null, 'where'), h('dd', null, `${l.source === 'rum' ? 'RUM, app / page' : 'server, job / instance'}: ${where}`),
        h('dt', null, 'metric'), h('dd', null, l.metric),
        h('dt', null, 'verdict'), h('dd', null, severityBadge(l), ' ', l.leaking ? `growing ${formatGrowthRatio(l.growth_ratio_per_min)} (${formatGrowthBytes(l.growth_bytes_per_min)}) since ${formatIsoTime(l.since)}` : `trend ${formatGrowthRatio(l.growth_ratio_per_min)}`),
        h('dt', null, 'p-value'), h('dd', null, `${formatPValue(l.p_value)} (Mann–Kendall trend test)`),
        h('dt', null, 'heap now'), h('dd', null, formatMB(l.last_bytes)),
        h('dt', null, 'evaluated'), h('dd', null, formatIsoTime(l.evaluated_at)),
        ...(l.labels && Object.keys(l.labels).length
          ? [h('dt', null, 'labels'), h('dd', { class: 'labels' }, Object.entries(l.labels).map(([k, v]) => h('code', null, `${k}="${v}"`)))]
          : []));
      const sessionsTable = l.source === 'rum' && l.sessions_detail
        ? h('div', null,
          h('h3', null, `Sessions (${formatCount(l.sessions_leaking ?? 0)} of ${formatCount(l.sessions ?? 0)} long sessions leak)`),
          table<LeakSession>({
            name: 'memory-sessions',
            caption: `Long sessions of ${where}: leaking first; the chart shows the first one`,
            rows: l.sessions_detail,
            empty: empty('No long session yet.'),
            columns: [
              { label: 'session', value: (s) => s.session, cell: (s) => h('span', { class: 'mono' }, s.session), sort: (s) => s.session },
              { label: 'severity', value: (s) => (s.leaking ? s.severity : 'none'), cell: (s) => severityBadge(s), sort: (s) => (s.leaking ? SEVERITY_ORDER[s.severity] ?? 4 : 5) },
              { label: 'growth (%/min)', value: (s) => +(s.growth_ratio_per_min * 100).toFixed(2), cell: (s) => formatGrowthRatio(s.growth_ratio_per_min), numeric: true, sort: (s) => s.growth_ratio_per_min },
              { label: 'growth (MB/min)', value: (s) => +(s.growth_bytes_per_min / 1e6).toFixed(3), cell: (s) => formatGrowthBytes(s.growth_bytes_per_min), numeric: true, sort: (s) => s.growth_bytes_per_min },
              { label: 'since', value: (s) => s.since, cell: (s) => formatIsoTime(s.since), sort: (s) => s.since ?? '' },
              { label: 'samples', value: (s) => s.samples, cell: (s) => formatCount(s.samples), numeric: true, sort: (s) => s.samples },
            ],
            rowAttrs: (s) => ({ 'data-session': s.session }),
          }))
        : null;
      detail.el.querySelector('h2')!.textContent = `Heap of ${where} (${l.metric})`;
      const chartBox = xs.length
        ? chart.el
        : empty('No samples to draw.');
      replace(detail.body, facts, chartBox, sessionsTable);
      if (xs.length) {
        const sinceText = markers.length && markers[0].label === 'leak since' ? `; dashed line: leak since ${formatTime(sinceX)}` : '';
        chart.update({
          name: `heap-${l.source}-${where.replace(/[^A-Za-z0-9_.-]+/g, '_')}`,
          title: `${l.metric} of ${where}${l.source === 'rum' ? ` (session ${l.sessions_detail?.[0]?.session ?? ''})` : ''} over time, ${xs.length} samples${sinceText}${dm.text}`,
          x: xs,
          series: [{ label: l.source === 'rum' ? 'JS heap used' : l.metric, values: ys }],
          yFormat: (v) => formatMB(v),
          markers,
        });
      }
    }

    function render(): void {
      const app = param('app') || undefined;
      renderSummary(app);
      renderTable();
      void renderDetail();
    }

    const load = new Loader(async (signal) => {
      const app = param('app') || undefined;
      note.textContent = `What the memory-leak detector sees in its lookback: browser heaps per page from RUM sessions and server heaps from scraped and OTLP series${app ? `, for app “${app}”` : ''}. Leaking findings first; select one to see its heap over time. Refreshed every 15 s.`;
      const data = await get<Leak[]>('/api/v1/leaks', { app }, signal);
      leaks = (data ?? []).filter((l) => l && Array.isArray(l.points));
      loadedApp = param('app') ?? '';
      render();
    }, () => list.body);

    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void load.run();
    }, 15000);
    void load.run();
    return {
      update() {
        // Selecting a finding changes only `finding`: redraw from what was loaded.
        if (loadedApp !== null && loadedApp === (param('app') ?? '')) render();
        else void load.run();
      },
      destroy() {
        clearInterval(timer);
        load.stop();
        chart.destroy();
      },
    };
  },
};
