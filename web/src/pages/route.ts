// Route (/route?service=&route=, issue 14 item 7): one route of one service: requests,
// rate, errors and p50/p95/p99 over the window (exact counts), the split by method, HTTP
// status class and span status, charts of rate, error ratio and latency over time, and its
// slowest traces (GET /api/v1/traces?service=&route=&sort=slowest&limit=20) linking to the
// waterfall. `kind=all` counts every span kind (the Services page's "all spans").
import { get } from '../api';
import { Chart } from '../chart';
import { h, loading, replace, section } from '../dom';
import { formatCount } from '../format';
import { Loader, type PageDef } from '../page';
import { linkTo, param, timeRange } from '../state';
import { table } from '../table';
import {
  apmRange, ENTRY_MATCHER, formatDurationMs, formatNanos, formatRate, formatRatio, grid, missingApi, noSpans, rangeQuery,
  redChartQueries, redRows, statusText, str, toChart, type RedRow, type TraceRow,
} from './apm-common';
import { redColumns } from './services';

export const routePage: PageDef = {
  path: '/route',
  title: 'Route',
  parent: '/services',
  mount(root) {
    const crumbs = h('p', { class: 'crumbs' });
    const heading = h('h1');
    const note = h('p', { class: 'muted' });
    const tiles = h('div', { class: 'apm-tiles' }, loading('the route'));
    const splitBox = section('By method and status');
    const chartsBox = section('Over time');
    const tracesBox = section('Slowest traces');
    root.append(crumbs, heading, note, tiles, chartsBox.el, splitBox.el, tracesBox.el);
    const rateChart = new Chart({ name: 'route-rate', title: '', x: [], series: [] });
    const errChart = new Chart({ name: 'route-error-ratio', title: '', x: [], series: [] });
    const latChart = new Chart({ name: 'route-latency', title: '', x: [], series: [] });
    chartsBox.body.append(h('div', { class: 'apm-charts' },
      h('div', null, h('h3', null, 'Request rate (req/s)'), rateChart.el),
      h('div', null, h('h3', null, 'Error ratio (%)'), errChart.el),
      h('div', null, h('h3', null, 'Latency p50 / p95 / p99 (ms)'), latChart.el)));

    const load = new Loader(async (signal) => {
      const range = timeRange();
      const service = param('service') ?? '';
      const route = param('route') ?? '';
      const all = param('kind') === 'all';
      const routeName = route || '(no http.route)';
      document.title = `${routeName} · ${service} · perfwatch`;
      replace(crumbs, h('a', { href: linkTo('/services') }, 'Services'), ' › ', h('a', { href: linkTo('/services', { service }) }, service || '(no service.name)'));
      replace(heading, routeName, ' ', h('span', { class: 'muted' }, `· ${service || '(no service.name)'}`));
      note.textContent = `${all ? 'All spans' : 'Entry spans (server and consumer)'} of this route over the ${range.label}.`;
      const matchers = [all ? '' : ENTRY_MATCHER, `service=${str(service)}`, `http_route=${str(route)}`].filter(Boolean);

      const tracesP = get<TraceRow[]>('/api/v1/traces', { service, route, sort: 'slowest', limit: 20, ...apmRange(range) }, signal)
        .then((rows) => ({ rows, err: null as unknown }), (err: unknown) => ({ rows: [] as TraceRow[], err }));
      const [total, split] = await Promise.all([
        redRows([], matchers, range.seconds, range.to, signal),
        redRows(['http_method', 'http_status_class', 'status_code'], matchers, range.seconds, range.to, signal),
      ]);
      const t = total[0];
      if (!t) {
        replace(tiles, noSpans(service));
        chartsBox.el.hidden = splitBox.el.hidden = true;
      } else {
        chartsBox.el.hidden = splitBox.el.hidden = false;
        const tile = (name: string, value: string, key: string) => h('div', { class: 'tile', 'data-stat': key }, h('div', { class: 'name' }, name), h('div', { class: 'big' }, value));
        const ms = (v: number | null) => formatDurationMs(v === null ? null : v * 1000);
        replace(tiles,
          tile('requests', formatCount(t.calls), 'requests'),
          tile('rate', formatRate(t.rate), 'rate'),
          tile('errors', `${formatCount(t.errors)} (${formatRatio(t.errorRatio)})`, 'errors'),
          tile('p50', ms(t.p50), 'p50'),
          tile('p95', ms(t.p95), 'p95'),
          tile('p99', ms(t.p99), 'p99'));
        split.sort((a, b) => b.calls - a.calls);
        replace(splitBox.body, table<RedRow>({
          name: 'route-split',
          caption: 'Requests of this route by HTTP method, status class and span status',
          rows: split,
          columns: [
            { label: 'method', value: (r) => r.labels.http_method, sort: (r) => r.labels.http_method, cell: (r) => r.labels.http_method || '–' },
            { label: 'HTTP status', value: (r) => r.labels.http_status_class, sort: (r) => r.labels.http_status_class, cell: (r) => r.labels.http_status_class || '–' },
            { label: 'span status', value: (r) => r.labels.status_code, sort: (r) => r.labels.status_code,
              cell: (r) => h('span', { class: `status-badge ${r.labels.status_code === 'STATUS_CODE_ERROR' ? 'error' : 'muted'}` }, statusText(r.labels.status_code || 'unset')) },
            ...redColumns().filter((c) => !c.label.startsWith('impact')),
          ],
        }));
        const g = grid(range);
        const cq = redChartQueries([], matchers, g.step);
        const [rate, errRate, ratio, p50, p95, p99] = await Promise.all([
          rangeQuery(cq.rate, g.start, g.end, g.step, signal),
          rangeQuery(cq.errorRate, g.start, g.end, g.step, signal),
          rangeQuery(cq.errorRatio, g.start, g.end, g.step, signal),
          ...[0.5, 0.95, 0.99].map((q) => rangeQuery(cq.quantile(q), g.start, g.end, g.step, signal)),
        ]);
        rateChart.update({ name: 'route-rate', title: 'Requests and errors per second', yLabel: 'req/s', yFormat: (v) => `${+v.toPrecision(3)}`,
          ...toChart([{ series: rate, label: () => 'requests' }, { series: errRate, label: () => 'errors' }], g.start, g.end, g.step) });
        errChart.update({ name: 'route-error-ratio', title: 'Error ratio, percent of requests', yLabel: '%', yFormat: (v) => `${+v.toPrecision(3)} %`,
          ...toChart([{ series: ratio, label: () => 'error ratio', scale: 100 }], g.start, g.end, g.step) });
        latChart.update({ name: 'route-latency', title: 'Latency percentiles p50, p95, p99 in milliseconds', yLabel: 'ms', yFormat: (v) => formatDurationMs(v),
          ...toChart([{ series: p50, label: () => 'p50', scale: 1000 }, { series: p95, label: () => 'p95', scale: 1000 }, { series: p99, label: () => 'p99', scale: 1000 }], g.start, g.end, g.step) });
      }

      const tr = await tracesP;
      if (tr.err) {
        replace(tracesBox.body, missingApi(tr.err, 'GET /api/v1/traces', 'Stored traces') ?? h('div', { class: 'state error', role: 'alert' }, h('strong', null, 'Error: '), tr.err instanceof Error ? tr.err.message : String(tr.err)));
        return;
      }
      replace(tracesBox.body, table<TraceRow>({
        name: 'route-slowest-traces',
        caption: 'The slowest requests of this route in the window, with their traces',
        rows: tr.rows,
        empty: h('p', { class: 'state empty', role: 'status' }, 'No stored trace of this route in this window. Widen the time window above.'),
        columns: [
          { label: 'trace', value: (r) => r.traceId, cell: (r) => h('a', { href: linkTo('/trace', { id: r.traceId }), class: 'mono' }, r.traceId.slice(0, 16) + '…'), sort: (r) => r.traceId },
          { label: 'start', value: (r) => formatNanos(r.startTimeUnixNano), sort: (r) => r.startTimeUnixNano.padStart(20, '0') },
          { label: 'duration (ms)', value: (r) => r.durationMs, cell: (r) => formatDurationMs(r.durationMs), numeric: true, sort: (r) => r.durationMs },
          { label: 'span', value: (r) => r.name, sort: (r) => r.name },
          { label: 'HTTP status', value: (r) => r.httpStatusCode ?? null, numeric: true, sort: (r) => r.httpStatusCode ?? 0 },
          { label: 'status', value: (r) => (r.error ? 'error' : statusText(r.statusCode)), sort: (r) => (r.error ? 1 : 0),
            cell: (r) => h('span', { class: `status-badge ${r.error ? 'error' : 'muted'}` }, r.error ? 'error' : statusText(r.statusCode)) },
        ],
        rowAttrs: (r) => ({ 'data-trace': r.traceId }),
      }));
    }, () => tiles);

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
