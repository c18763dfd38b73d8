// Services (/services, issue 14 item 7): RED per service and per route from the span
// metrics (docs/otlp.md "RED metrics") through the PromQL API: requests, rate, errors,
// error ratio and p50/p95/p99 over the window per service, charts of rate, error ratio and
// a chosen percentile over time, and the route table sorted by impact = p95 × rate, each
// route linking to /route. Parameters: service, kind (entry|all), pct (50|95|99).
import { Chart } from '../chart';
import { h, loading, replace, section, select } from '../dom';
import { formatCount } from '../format';
import { Loader, type PageDef } from '../page';
import { linkTo, param, setParams, timeRange } from '../state';
import { table, type Column } from '../table';
import {
  ENTRY_MATCHER, formatDurationMs, formatImpact, formatRate, formatRatio, grid, markSorted, noSpans, rangeQuery, redChartQueries, redRows,
  str, toChart, type RedRow,
} from './apm-common';
import { deployMarkers, markersIn } from './regressions';

/** The columns every RED table has after its label columns. */
export function redColumns(): Column<RedRow>[] {
  const ms = (v: number | null) => (v === null ? null : +(v * 1000).toFixed(3));
  return [
    { label: 'requests', value: (r) => r.calls, cell: (r) => formatCount(r.calls), numeric: true, sort: (r) => r.calls },
    { label: 'rate (req/s)', value: (r) => r.rate, cell: (r) => formatRate(r.rate), numeric: true, sort: (r) => r.rate },
    { label: 'errors', value: (r) => r.errors, cell: (r) => formatCount(r.errors), numeric: true, sort: (r) => r.errors },
    { label: 'error ratio (%)', value: (r) => (r.errorRatio === null ? null : +(r.errorRatio * 100).toFixed(4)), cell: (r) => formatRatio(r.errorRatio), numeric: true, sort: (r) => r.errorRatio ?? -1 },
    { label: 'p50 (ms)', value: (r) => ms(r.p50), cell: (r) => formatDurationMs(r.p50 === null ? null : r.p50 * 1000), numeric: true, sort: (r) => r.p50 ?? -1 },
    { label: 'p95 (ms)', value: (r) => ms(r.p95), cell: (r) => formatDurationMs(r.p95 === null ? null : r.p95 * 1000), numeric: true, sort: (r) => r.p95 ?? -1 },
    { label: 'p99 (ms)', value: (r) => ms(r.p99), cell: (r) => formatDurationMs(r.p99 === null ? null : r.p99 * 1000), numeric: true, sort: (r) => r.p99 ?? -1 },
    { label: 'impact (p95 × rate)', value: (r) => (r.impact === null ? null : +r.impact.toPrecision(4)), cell: (r) => formatImpact(r.impact),
      numeric: true, sort: (r) => r.impact ?? -1, title: 'p95 in seconds × requests per second: the seconds of slow responses served per second; the routes worth making faster first' },
  ];
}

export function byImpact(a: RedRow, b: RedRow): number {
  return (b.impact ?? -1) - (a.impact ?? -1) || b.calls - a.calls;
}

export const servicesPage: PageDef = {
  path: '/services',
  title: 'Services',
  mount(root) {
    const note = h('p', { class: 'muted' });
    const toolbar = h('div', { class: 'toolbar' });
    const svcBox = section('Services');
    const chartsBox = section('Over time');
    const routesBox = section('Routes by impact');
    root.append(h('h1', null, 'Services'), note, toolbar, svcBox.el, chartsBox.el, routesBox.el);
    svcBox.body.append(loading('services'));
    const rateChart = new Chart({ name: 'services-rate', title: '', x: [], series: [] });
    const errChart = new Chart({ name: 'services-error-ratio', title: '', x: [], series: [] });
    const latChart = new Chart({ name: 'services-latency', title: '', x: [], series: [] });
    const charts = h('div', { class: 'apm-charts' },
      h('div', null, h('h3', null, 'Request rate (req/s)'), rateChart.el),
      h('div', null, h('h3', null, 'Error ratio (%)'), errChart.el),
      h('div', { class: 'lat-box' }, h('h3', { class: 'lat-title' }, 'Latency'), latChart.el));
    let placed = false;
    let shownNames = '';
    const svcField = h('span');
    toolbar.append(svcField,
      select('Spans', [['entry', 'entry spans (server, consumer)'], ['all', 'all spans']], 'entry', (v) => setParams({ kind: v === 'entry' ? null : v }), 'kind'),
      select('Chart percentile', [['50', 'p50'], ['95', 'p95'], ['99', 'p99']], '95', (v) => setParams({ pct: v === '95' ? null : v }), 'pct'));

    const load = new Loader(async (signal) => {
      const range = timeRange();
      const service = param('service') || '';
      const kind = param('kind') === 'all' ? 'all' : 'entry';
      const pct = ['50', '95', '99'].includes(param('pct') ?? '') ? param('pct')! : '95';
      const matchers = [kind === 'entry' ? ENTRY_MATCHER : '', service ? `service=${str(service)}` : ''].filter(Boolean);
      note.textContent = `${kind === 'entry' ? 'Entry spans (server and consumer)' : 'All spans'} over the ${range.label}; requests are exact counts, rate = requests ÷ window.`;

      const [services, routes] = await Promise.all([
        redRows(['service'], matchers, range.seconds, range.to, signal),
        redRows(['service', 'http_route'], matchers, range.seconds, range.to, signal),
      ]);
      const g = grid(range);
      const cq = redChartQueries(['service'], matchers, g.step);
      const [rate, ratio, lat, deploys] = await Promise.all([
        rangeQuery(cq.rate, g.start, g.end, g.step, signal),
        rangeQuery(cq.errorRatio, g.start, g.end, g.step, signal),
        rangeQuery(cq.quantile(Number(pct) / 100), g.start, g.end, g.step, signal),
        deployMarkers({ service: service || undefined, kind: 'service' }, g.start, g.end, signal),
      ]);
      const dm = markersIn(deploys, g.start, g.end); // issue 15: deploy markers

      // Controls: built once, kept in step with the URL; the service list is what the
      // window holds (plus the chosen one), replaced only when it changes (keeps focus).
      const names = [...new Set([...services.map((r) => r.labels.service), ...(service ? [service] : [])])].sort();
      const namesKey = JSON.stringify(names);
      if (namesKey !== shownNames) {
        shownNames = namesKey;
        replace(svcField, select('Service', [['', 'all services'], ...names.map((n): [string, string] => [n, n])], service, (v) => setParams({ service: v || null }), 'service'));
      }
      for (const [name, v] of [['service', service], ['kind', kind], ['pct', pct]]) {
        const el = toolbar.querySelector(`select[name="${name}"]`) as HTMLSelectElement | null;
        if (el) el.value = v;
      }

      if (!services.length) {
        replace(svcBox.body, noSpans(service));
        chartsBox.el.hidden = true;
        routesBox.el.hidden = true;
        return;
      }
      chartsBox.el.hidden = false;
      routesBox.el.hidden = false;
      services.sort(byImpact);
      const svcTable = table<RedRow>({
        name: 'services',
        caption: `RED metrics per service over the ${range.label}`,
        rows: services,
        columns: [
          { label: 'service', value: (r) => r.labels.service, sort: (r) => r.labels.service,
            cell: (r) => h('a', { href: linkTo('/services', { service: r.labels.service, ...(kind === 'all' ? { kind } : {}) }) }, r.labels.service || '(no service.name)') },
          ...redColumns(),
        ],
        rowAttrs: (r) => ({ 'data-service': r.labels.service }),
      });
      markSorted(svcTable, 'impact (p95 × rate)', 'descending');
      replace(svcBox.body, svcTable);

      routes.sort(byImpact);
      const routeTable = table<RedRow>({
        name: 'routes',
        caption: `RED metrics per route over the ${range.label}, by impact`,
        rows: routes,
        columns: [
          { label: 'route', value: (r) => r.labels.http_route, sort: (r) => r.labels.http_route,
            cell: (r) => h('a', { href: linkTo('/route', { service: r.labels.service, route: r.labels.http_route }) }, r.labels.http_route || '(no http.route)') },
          { label: 'service', value: (r) => r.labels.service, sort: (r) => r.labels.service },
          ...redColumns(),
        ],
        rowAttrs: (r) => ({ 'data-service': r.labels.service, 'data-route': r.labels.http_route }),
      });
      markSorted(routeTable, 'impact (p95 × rate)', 'descending');
      replace(routesBox.body, routeTable);

      if (!placed) {
        chartsBox.body.replaceChildren(charts);
        placed = true;
      }
      const label = (m: Record<string, string>) => m.service || '(no service.name)';
      const r1 = toChart([{ series: rate, label }], g.start, g.end, g.step);
      rateChart.update({ name: 'services-rate', title: `Request rate per service, requests per second${dm.text}`, markers: dm.markers, ...r1, yFormat: (v) => `${+v.toPrecision(3)}`, yLabel: 'req/s' });
      const r2 = toChart([{ series: ratio, label, scale: 100 }], g.start, g.end, g.step);
      errChart.update({ name: 'services-error-ratio', title: `Error ratio per service, percent of requests${dm.text}`, markers: dm.markers, ...r2, yFormat: (v) => `${+v.toPrecision(3)} %`, yLabel: '%' });
      const r3 = toChart([{ series: lat, label, scale: 1000 }], g.start, g.end, g.step);
      (charts.querySelector('.lat-title') as HTMLElement).textContent = `Latency p${pct} (ms)`;
      latChart.update({ name: `services-latency-p${pct}`, title: `p${pct} latency per service, milliseconds${dm.text}`, markers: dm.markers, ...r3, yFormat: (v) => formatDurationMs(v), yLabel: 'ms' });
    }, () => svcBox.body);

    void load.run();
    return {
      update: () => void load.run(),
      destroy() {
        load.stop();
        rateChart.destroy();
        errChart.destroy();
        latChart.destroy();
      },
    };
  },
};
