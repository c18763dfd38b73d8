// Database (/db, issue 14 item 7): the slow database statements from
// perfwatch_db_duration_seconds (labels service, db_system, db_operation, db_statement: a
// fingerprint with the literals removed; docs/otlp.md): calls, rate, p50/p95, mean, total
// time and its share of all database time in the window, sortable, by total time first;
// a chart of the p95 of the five statements with the most time. Parameter: service.
import { Chart } from '../chart';
import { empty, h, loading, replace, section, select } from '../dom';
import { formatCount } from '../format';
import { Loader, type PageDef } from '../page';
import { param, setParams, timeRange } from '../state';
import { table } from '../table';
import { formatDurationMs, formatRate, formatRatio, grid, instant, markSorted, num, rangeQuery, rateRange, sel, str, toChart, windowIncrease } from './apm-common';

const DB = 'perfwatch_db_duration_seconds';
const BY = ['service', 'db_system', 'db_operation', 'db_statement'];

interface StmtRow {
  labels: Record<string, string>;
  calls: number;
  rate: number; // calls/s
  total: number; // seconds spent
  mean: number | null; // seconds
  p50: number | null;
  p95: number | null;
  share: number; // of all database time in the window
}

export const dbPage: PageDef = {
  path: '/db',
  title: 'Database',
  mount(root) {
    const note = h('p', { class: 'muted' });
    const toolbar = h('div', { class: 'toolbar' });
    const svcField = h('span');
    toolbar.append(svcField);
    const listBox = section('Statements by total time');
    const chartBox = section('p95 of the statements with the most time');
    root.append(h('h1', null, 'Database'), note, toolbar, listBox.el, chartBox.el);
    listBox.body.append(loading('database statements'));
    const chart = new Chart({ name: 'db-p95', title: '', x: [], series: [] });
    chartBox.body.append(chart.el);
    let shownNames = '';

    const load = new Loader(async (signal) => {
      const range = timeRange();
      const service = param('service') ?? '';
      const w = range.seconds;
      const s = sel(service ? `service=${str(service)}` : '');
      const g = BY.join(', ');
      note.textContent = `Database client spans (with db.system) over the ${range.label}; statements are fingerprints with literals replaced by “?”. Counts and times are exact; percentiles come from the histogram buckets.`;
      const [calls, sums, p50, p95] = await Promise.all([
        instant(`sum by (${g}) (${windowIncrease(`${DB}_count${s}`, w)})`, range.to, signal),
        instant(`sum by (${g}) (${windowIncrease(`${DB}_sum${s}`, w)})`, range.to, signal),
        instant(`histogram_quantile(0.5, sum by (${g}, le) (${windowIncrease(`${DB}_bucket${s}`, w)}))`, range.to, signal),
        instant(`histogram_quantile(0.95, sum by (${g}, le) (${windowIncrease(`${DB}_bucket${s}`, w)}))`, range.to, signal),
      ]);
      const key = (m: Record<string, string>) => JSON.stringify(BY.map((l) => m[l] ?? ''));
      const rows = new Map<string, StmtRow>();
      for (const c of calls) {
        const n = num(c.value[1]) ?? 0;
        if (n <= 0) continue;
        rows.set(key(c.metric), { labels: Object.fromEntries(BY.map((l) => [l, c.metric[l] ?? ''])), calls: n, rate: n / w, total: 0, mean: null, p50: null, p95: null, share: 0 });
      }
      for (const x of sums) {
        const r = rows.get(key(x.metric));
        if (r) {
          r.total = num(x.value[1]) ?? 0;
          r.mean = r.total / r.calls;
        }
      }
      for (const [vec, f] of [[p50, 'p50'], [p95, 'p95']] as const) {
        for (const x of vec) {
          const r = rows.get(key(x.metric));
          if (r) r[f] = num(x.value[1]);
        }
      }
      const list = [...rows.values()];
      const all = list.reduce((a, r) => a + r.total, 0);
      for (const r of list) r.share = all > 0 ? r.total / all : 0;
      list.sort((a, b) => b.total - a.total || b.calls - a.calls);

      const names = [...new Set([...list.map((r) => r.labels.service), ...(service ? [service] : [])])].sort();
      if (JSON.stringify(names) !== shownNames) {
        shownNames = JSON.stringify(names);
        replace(svcField, select('Service', [['', 'all services'], ...names.map((n): [string, string] => [n, n])], service, (v) => setParams({ service: v || null }), 'service'));
      }
      const svcSel = svcField.querySelector('select');
      if (svcSel) svcSel.value = service;

      if (!list.length) {
        replace(listBox.body, empty(
          h('p', null, h('strong', null, 'No database spans'), service ? ` for service “${service}”` : '', ' in this window.'),
          h('p', null, 'A span counts here when it is a client span (', h('code', null, 'SPAN_KIND_CLIENT'), ') with ', h('code', null, 'db.system'),
            ' (or ', h('code', null, 'db.system.name'), ') and a statement in ', h('code', null, 'db.query.text'), ' or ', h('code', null, 'db.statement'),
            '. The OpenTelemetry auto-instrumentations of pg, mysql2, mongodb and others record them. Send traces to ', h('code', null, `${location.origin}/v1/traces`), ', or widen the time window above.')));
        chartBox.el.hidden = true;
        return;
      }
      chartBox.el.hidden = false;
      const ms = (v: number | null) => (v === null ? null : +(v * 1000).toFixed(3));
      const tbl = table<StmtRow>({
        name: 'db-statements',
        caption: `Database statements over the ${range.label}, by total time`,
        rows: list,
        columns: [
          { label: 'statement', value: (r) => r.labels.db_statement, sort: (r) => r.labels.db_statement,
            cell: (r) => (r.labels.db_statement ? h('code', { class: 'stmt' }, r.labels.db_statement) : h('span', { class: 'muted' }, '(no statement)')) },
          { label: 'operation', value: (r) => r.labels.db_operation, sort: (r) => r.labels.db_operation },
          { label: 'system', value: (r) => r.labels.db_system, sort: (r) => r.labels.db_system },
          { label: 'service', value: (r) => r.labels.service, sort: (r) => r.labels.service },
          { label: 'calls', value: (r) => r.calls, cell: (r) => formatCount(r.calls), numeric: true, sort: (r) => r.calls },
          { label: 'rate (calls/s)', value: (r) => r.rate, cell: (r) => formatRate(r.rate).replace('req/s', 'calls/s'), numeric: true, sort: (r) => r.rate },
          { label: 'p50 (ms)', value: (r) => ms(r.p50), cell: (r) => formatDurationMs(r.p50 === null ? null : r.p50 * 1000), numeric: true, sort: (r) => r.p50 ?? -1 },
          { label: 'p95 (ms)', value: (r) => ms(r.p95), cell: (r) => formatDurationMs(r.p95 === null ? null : r.p95 * 1000), numeric: true, sort: (r) => r.p95 ?? -1 },
          { label: 'mean (ms)', value: (r) => ms(r.mean), cell: (r) => formatDurationMs(r.mean === null ? null : r.mean * 1000), numeric: true, sort: (r) => r.mean ?? -1 },
          { label: 'total time (s)', value: (r) => +r.total.toFixed(6), cell: (r) => formatDurationMs(r.total * 1000), numeric: true, sort: (r) => r.total },
          { label: 'share of DB time (%)', value: (r) => +(r.share * 100).toFixed(3), cell: (r) => formatRatio(r.share), numeric: true, sort: (r) => r.share },
        ],
        rowAttrs: (r) => ({ 'data-statement': r.labels.db_statement }),
      });
      markSorted(tbl, 'total time (s)', 'descending');
      replace(listBox.body, tbl);

      // p95 over time of the top five by total time.
      const top = list.slice(0, 5);
      const gr = grid(range);
      const R = rateRange(gr.step);
      const results = await Promise.all(top.map((r) => rangeQuery(
        `histogram_quantile(0.95, sum by (le) (rate(${DB}_bucket${sel(...BY.map((l) => `${l}=${str(r.labels[l])}`))}[${R}])))`, gr.start, gr.end, gr.step, signal)));
      const short = (t: string) => (t.length > 48 ? `${t.slice(0, 47)}…` : t || '(no statement)');
      chart.update({ name: 'db-p95', title: 'p95 latency over time of the five statements with the most total time, milliseconds', yLabel: 'ms', yFormat: (v) => formatDurationMs(v),
        ...toChart(results.map((series, i) => ({ series, label: () => `${i + 1}. ${short(top[i].labels.db_statement)}`, scale: 1000 })), gr.start, gr.end, gr.step) });
    }, () => listBox.body);

    void load.run();
    return {
      update: () => void load.run(),
      destroy() {
        load.stop();
        chart.destroy();
      },
    };
  },
};
