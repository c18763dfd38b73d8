// Web Vitals page: for one metric, the chosen percentile over time with the rating bands,
// the distribution with the thresholds drawn, and breakdowns by page, device, connection
// and browser with good / needs-improvement / poor shares. URL: metric, percentile,
// split (a dimension to draw one line per value), min (views below which a row is greyed
// and not ranked), and the filters page, device, connection, browser.
import { get, prefetch, type HistogramAnswer, type VitalsAnswer, type VitalsGroup, type VitalsSeriesAnswer } from '../api';
import { Chart } from '../chart';
import { empty, h, loading, noBeacons, replace, section, select } from '../dom';
import { formatCount, formatPercent, formatTime, formatVital, isVital, THRESHOLDS, VITAL_NAMES, VITALS, type Vital } from '../format';
import { on, throttle } from '../live';
import { Loader, type PageDef } from '../page';
import { param, rangeParams, setParams, timeRange } from '../state';
import { table } from '../table';
import { FILTER_DIMS, filterParams, niceStep, ratedValue, shareBar, type FilterDim } from '../vitals-ui';
import { deployMarkers, markersIn } from './regressions';
import { attributionPanel } from './vitals-attribution';

const PERCENTILES = ['50', '75', '90', '95', '99'];
const SPLITS: [string, string][] = [['', 'none'], ['device', 'device'], ['connection', 'connection'], ['browser', 'browser'], ['page', 'page']];
const MAX_LINES = 6;

function metric(): Vital {
  const m = (param('metric') || 'LCP').toUpperCase();
  return isVital(m) ? m : 'LCP';
}

function percentile(): string {
  const p = param('percentile') || '75';
  return PERCENTILES.includes(p) ? p : '75';
}

function minViews(): number {
  const n = Number(param('min') ?? 10);
  return Number.isFinite(n) && n >= 0 ? n : 10;
}

export const vitalsPage: PageDef = {
  path: '/vitals',
  title: 'Web Vitals',
  mount(root) {
    const controls = h('div', { class: 'toolbar', role: 'group', 'aria-label': 'What to show' });
    const filters = h('div', { class: 'toolbar filters', 'aria-live': 'polite' });
    const summary = section('Summary');
    const trend = section('Over time');
    const dist = section('Distribution');
    const breakdown = h('div', { class: 'breakdowns' });
    const heading = h('h1');
    const attribution = attributionPanel(); // issue 16: what makes LCP / INP / CLS slow
    root.append(heading, controls, filters, summary.el, trend.el, dist.el, attribution.el, breakdown);

    const trendChart = new Chart({ name: 'vitals-series', title: '', x: [], series: [] });
    const histChart = new Chart({ name: 'vitals-histogram', title: '', x: [], series: [], bars: true });
    let chartsPlaced = false;

    function renderControls(): void {
      const m = metric();
      heading.textContent = `Web Vitals: ${VITAL_NAMES[m]} (${m})`;
      replace(controls,
        h('div', { class: 'metric-tabs', role: 'group', 'aria-label': 'Metric' },
          VITALS.map((v) => h('button', { type: 'button', class: v === m ? 'primary' : undefined, 'aria-pressed': String(v === m),
            onclick: () => setParams({ metric: v === 'LCP' ? null : v }) }, v))),
        select('Percentile', PERCENTILES.map((p) => [p, `p${p}`]), percentile(), (v) => setParams({ percentile: v === '75' ? null : v })),
        select('Split by', SPLITS, param('split') ?? '', (v) => setParams({ split: v || null })),
        (() => {
          const input = h('input', { id: 'min-views', type: 'number', min: '0', step: '1', value: String(minViews()), class: 'narrow',
            onchange: () => setParams({ min: input.value === '10' ? null : input.value }) });
          return h('span', { class: 'field' }, h('label', { for: 'min-views' }, 'Min. views'), input);
        })());
      const active = FILTER_DIMS.filter((d) => param(d));
      replace(filters, active.length ? [h('span', { class: 'muted' }, 'Filters:'), active.map((d) =>
        h('button', { type: 'button', class: 'small', 'aria-label': `Remove filter ${d} = ${param(d)}`, onclick: () => setParams({ [d]: null }) },
          `${d} = ${param(d)} ✕`))] : []);
      filters.hidden = !active.length;
    }

    const load = new Loader(async (signal) => {
      const m = metric();
      const p = percentile();
      const range = timeRange();
      const base = { metric: m, ...rangeParams(range), ...filterParams() };
      const step = niceStep(range.seconds, 120);
      const split = param('split') || '';
      if (!chartsPlaced) {
        summary.body.replaceChildren(loading('vitals'));
        trend.body.replaceChildren(loading('the trend'));
        dist.body.replaceChildren(loading('the distribution'));
      }
      // The trend first: it is what the page is opened for.
      // All requested at once (prefetch: an abort while awaiting one leaves no unhandled rejections).
      const seriesP = prefetch(get<VitalsSeriesAnswer>('/api/v1/vitals/series', { ...base, percentile: p, step, by: split || undefined }, signal));
      const histP = prefetch(get<HistogramAnswer>('/api/v1/vitals/histogram', { ...base, buckets: 40 }, signal));
      const totalP = prefetch(get<VitalsAnswer>('/api/v1/vitals', { ...base, percentile: p }, signal));
      const byP = FILTER_DIMS.map((d) => prefetch(get<VitalsAnswer>('/api/v1/vitals', { ...base, percentile: p, by: d }, signal)));
      const attributionP = prefetch(attribution.load(m, range, signal));
      const deploysP = prefetch(deployMarkers({ app: param('app') || undefined, kind: 'app' }, range.from, range.to, signal));

      const series = await seriesP;
      const total = await totalP;
      const g = total.groups[0];
      if (!g || !g.count) {
        chartsPlaced = false;
        summary.body.replaceChildren(noBeacons(param('app') ?? ''));
        trend.body.replaceChildren(empty('Nothing to draw in this window.'));
        dist.body.replaceChildren(empty('Nothing to draw in this window.'));
        breakdown.replaceChildren();
        await Promise.allSettled([histP, ...byP, attributionP]);
        return;
      }
      renderSummary(m, p, g);
      renderTrend(m, p, series, split, await deploysP);
      if (!chartsPlaced) {
        trend.body.replaceChildren(trendChart.el);
        dist.body.replaceChildren(histChart.el);
        chartsPlaced = true;
      }
      renderHistogram(m, await histP);
      const by = await Promise.all(byP);
      renderBreakdowns(m, p, by);
    }, () => summary.body);

    function renderSummary(m: Vital, p: string, g: VitalsGroup): void {
      const tiles = [
        ...(['50', '75', '95'].includes(p) ? [] : [[`p${p}`, ratedValue(m, g.value)] as const]),
        ['p50', ratedValue(m, g.p50)],
        ['p75', ratedValue(m, g.p75)],
        ['p95', ratedValue(m, g.p95)],
        ['samples', h('span', null, formatCount(g.count))],
      ] as const;
      replace(summary.body,
        h('div', { class: 'vital-tiles' }, tiles.map(([name, v]) => h('div', { class: 'tile', 'data-stat': name }, h('div', { class: 'name' }, name), h('div', { class: 'big' }, v)))),
        h('p', { class: 'share-line' }, shareBar(g.good, g.needs_improvement, g.poor), ' ',
          `good ${formatPercent(g.good)} · needs improvement ${formatPercent(g.needs_improvement)} · poor ${formatPercent(g.poor)}`,
          h('span', { class: 'muted' }, ` (thresholds: good ≤ ${formatVital(m, THRESHOLDS[m].good)}, poor > ${formatVital(m, THRESHOLDS[m].poor)})`)));
    }

    function renderTrend(m: Vital, p: string, a: VitalsSeriesAnswer, split: string, deploys: { x: number; label: string }[] = []): void {
      // Lines share one x axis: the union of the steps present in any series.
      const top = a.series
        .map((s) => ({ s, n: s.counts.reduce((x, y) => x + y, 0) }))
        .sort((x, y) => y.n - x.n)
        .slice(0, MAX_LINES)
        .map((x) => x.s);
      const xs = [...new Set(top.flatMap((s) => s.timestamps))].sort((x, y) => x - y);
      const index = new Map(xs.map((t, i) => [t, i]));
      const lines = top.map((s) => {
        const values: (number | null)[] = new Array(xs.length).fill(null);
        s.timestamps.forEach((t, i) => (values[index.get(t)!] = s.values[i]));
        const label = split ? `${s.labels[split] || '(none)'}` : `p${p}`;
        return { label, values };
      });
      const dm = markersIn(deploys, xs[0] ?? 0, xs[xs.length - 1] ?? 0);
      trendChart.update({
        name: `${m}-p${p}-series`,
        title: `${m} p${p} over time, one point per ${a.step / 60} min${split ? `, by ${split}` : ''}, with the good / needs improvement / poor bands${dm.text}`,
        markers: dm.markers,
        x: xs,
        series: lines,
        yFormat: (v) => formatVital(m, v),
        bands: THRESHOLDS[m],
      });
      trend.tools.replaceChildren(h('span', { class: 'muted' }, `step ${a.step >= 3600 ? `${a.step / 3600} h` : `${a.step / 60} min`}` +
        (a.series.length > MAX_LINES ? ` · top ${MAX_LINES} of ${a.series.length} by views` : '')));
    }

    function renderHistogram(m: Vital, a: HistogramAnswer): void {
      const b = a.buckets;
      const width = b.length > 1 ? (b[1].from - b[0].from) : 1;
      histChart.update({
        name: `${m}-histogram`,
        title: `Distribution of ${m}: ${formatCount(a.count)} values in ${b.length} buckets, thresholds marked`,
        x: b.map((x) => x.from),
        series: [{ label: 'values', values: b.map((x) => x.count) }],
        bars: true,
        yIntegers: true,
        xFormat: (v) => formatVital(m, v),
        yFormat: (v) => formatCount(v),
        markers: [{ x: a.thresholds.good, label: `good ≤ ${formatVital(m, a.thresholds.good)}` }, { x: a.thresholds.poor, label: `poor > ${formatVital(m, a.thresholds.poor)}` }],
        height: 220,
      });
      const open = b[b.length - 1];
      dist.tools.replaceChildren(h('span', { class: 'muted' }, `bucket width ${formatVital(m, width)}; last bucket: ${formatVital(m, open.from)} and above`));
    }

    function renderBreakdowns(m: Vital, p: string, answers: VitalsAnswer[]): void {
      const min = minViews();
      replace(breakdown, answers.map((a, i) => {
        const dim = FILTER_DIMS[i] as FilterDim;
        // Rows with enough views first, ranked worst first; the few-view rows after, greyed.
        const rows = a.groups.slice().sort((x, y) => {
          const fx = x.count < min, fy = y.count < min;
          if (fx !== fy) return fx ? 1 : -1;
          return fx ? y.count - x.count : y.value - x.value;
        });
        const s = section(`By ${dim}`);
        s.body.append(table<VitalsGroup>({
          name: `${m}-by-${dim}`,
          caption: `${m} p${p} by ${dim}`,
          rows,
          rowAttrs: (r) => (r.count < min ? { class: 'few', title: `fewer than ${min} views: not ranked` } : {}),
          columns: [
            { label: dim, value: (r) => r.labels[dim] ?? '', cell: (r) => h('a', { href: '#', onclick: (e: Event) => { e.preventDefault(); setParams({ [dim]: r.labels[dim] ?? '' }); } }, r.labels[dim] || '(none)'), sort: (r) => r.labels[dim] ?? '' },
            { label: `p${p}${m === 'CLS' ? '' : ' (ms)'}`, value: (r) => r.value, cell: (r) => (r.count < min ? h('span', null, formatVital(m, r.value), ' (few views)') : ratedValue(m, r.value)), numeric: true, sort: (r) => r.value },
            { label: 'views', value: (r) => r.count, cell: (r) => formatCount(r.count), numeric: true, sort: (r) => r.count },
            { label: 'good (%)', value: (r) => +(r.good * 100).toFixed(1), cell: (r) => formatPercent(r.good), numeric: true, sort: (r) => r.good },
            { label: 'needs impr. (%)', title: 'needs improvement', value: (r) => +(r.needs_improvement * 100).toFixed(1), cell: (r) => formatPercent(r.needs_improvement), numeric: true },
            { label: 'poor (%)', value: (r) => +(r.poor * 100).toFixed(1), cell: (r) => formatPercent(r.poor), numeric: true, sort: (r) => r.poor },
          ],
          empty: empty(`No ${dim} recorded in this window.`),
        }));
        return s.el;
      }));
      breakdown.setAttribute('data-updated', formatTime(Date.now() / 1000));
    }

    const refresh = throttle(() => void load.run(), 500);
    const off = on('vitals', (d) => {
      const app = param('app');
      if (!app || d.app === app || d.reason !== undefined) refresh();
    });
    renderControls();
    void load.run();
    return {
      update() {
        renderControls();
        void load.run();
      },
      destroy() {
        off();
        load.stop();
        trendChart.destroy();
        histChart.destroy();
      },
    };
  },
};
