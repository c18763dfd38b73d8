// Budgets (/budgets, tracker issue 17 item 3): the performance-budget checks CI uploaded
// (`perfwatch budget check --upload`, GET /api/v1/budget-runs; docs/budget-runs.md). Per app,
// newest first: the latest run's results (pass / fail, value against budget, a headroom bar),
// a chart of each result's headroom over the runs, and the history of runs (commit, branch,
// build id, passed / failed counts). The app picker and the page's `branch` filter narrow the
// runs; the time window does not apply (runs are sparse: the latest `limit` are shown). With no
// run, the empty state says how to upload one. Reloads every 30 s while the tab is visible.
import './budgets.css';

import { get } from '../api';
import { Chart } from '../chart';
import { empty, h, loading, replace, section, select } from '../dom';
import { formatBytes, formatCount, formatMs, formatNumber } from '../format';
import { Loader, type PageDef } from '../page';
import { param, setParams } from '../state';
import { table } from '../table';
import { formatIsoTime } from './regressions';

export type BudgetStatus = 'pass' | 'fail' | 'skipped';

export interface BudgetResult {
  kind: string;
  path?: string;
  name: string;
  compression?: string;
  value: number | null;
  budget: number | null;
  tolerance?: number | null;
  unit?: string;
  status: BudgetStatus;
  headroom_ratio?: number | null;
  samples?: number | null;
  baseline?: number | null;
  message?: string | null;
}

export interface BudgetRun {
  id: string;
  app: string;
  commit: string;
  branch: string;
  build_id: string;
  time: string;
  passed: boolean;
  results: BudgetResult[];
  summary: { passed?: number; failed?: number; skipped?: number };
}

/** How many runs the page reads (newest first, after the app and branch filters). */
export const RUNS_LIMIT = 500;
/** At most this many lines on the headroom chart: the results with the least headroom now. */
const MAX_CHART_SERIES = 8;

/** A result's identity across runs: kind, page, name and compression. */
export function resultKey(r: BudgetResult): string {
  return [r.kind, r.path ?? '', r.name, r.compression ?? ''].join('|');
}

/** What the result measures, as people read it: "timing / largest-contentful-paint" or "bundle assets/*.js (gzip)". */
export function resultLabel(r: BudgetResult): string {
  const where = r.path ? `${r.path} ` : '';
  const comp = r.compression ? ` (${r.compression})` : '';
  return `${where}${r.kind} ${r.name}${comp}`;
}

/** The headroom the server would compute when the result has none: (budget + tolerance − value) / (budget + tolerance). */
export function headroomOf(r: BudgetResult): number | null {
  if (typeof r.headroom_ratio === 'number' && Number.isFinite(r.headroom_ratio)) return r.headroom_ratio;
  if (r.status === 'skipped' || typeof r.value !== 'number' || typeof r.budget !== 'number') return null;
  const limit = r.budget + (r.tolerance ?? 0);
  return limit === 0 ? null : (limit - r.value) / limit;
}

/** A value in its unit: "2.40 s", "125 KB", "118.2 KiB", "12 requests", "0.92". */
export function formatValue(v: number | null | undefined, unit: string | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  switch (unit) {
    case 'ms': return formatMs(v);
    case 'KB': return `${formatNumber(v)} KB`;
    case 'bytes': return formatBytes(v);
    case 'count': return formatCount(v);
    default: return formatNumber(v);
  }
}

/** "+4 %" / "−20 %" of headroom; "–" without one. */
export function formatHeadroom(h: number | null): string {
  if (h === null || !Number.isFinite(h)) return '–';
  const txt = Math.abs(h * 100).toFixed(Math.abs(h) < 0.1 ? 1 : 0);
  return `${h < 0 ? '−' : h > 0 ? '+' : ''}${txt} %`;
}

function statusBadge(status: BudgetStatus | 'passed' | 'failed'): HTMLElement {
  // Not `.skip`: the frame's "Skip to content" link owns that class.
  const cls = status === 'pass' || status === 'passed' ? 'st-ok' : status === 'skipped' ? 'st-skipped' : 'st-bad';
  return h('span', { class: `bstatus ${cls}`, 'data-status': status }, status);
}

/** A bar for the headroom: green with room, amber under 10 % left, red over budget; the number beside it. */
function headroomBar(r: BudgetResult): HTMLElement {
  const hr = headroomOf(r);
  if (hr === null) return h('span', { class: 'muted' }, '–');
  const cls = hr < 0 ? 'over' : hr < 0.1 ? 'tight' : 'room';
  const width = Math.min(1, Math.abs(hr)) * 100;
  return h('span', { class: 'headroom' },
    h('span', { class: 'track', 'aria-hidden': 'true' }, h('span', { class: `fill ${cls}`, style: `width:${width.toFixed(1)}%` })),
    h('span', { class: `num ${cls}` }, formatHeadroom(hr)));
}

function budgetText(r: BudgetResult): string {
  const b = formatValue(r.budget, r.unit);
  return r.tolerance ? `${b} (+${formatValue(r.tolerance, r.unit)})` : b;
}

function counts(run: BudgetRun): { passed: number; failed: number; skipped: number } {
  const s = run.summary ?? {};
  const n = (st: BudgetStatus) => run.results.filter((r) => r.status === st).length;
  return { passed: s.passed ?? n('pass'), failed: s.failed ?? n('fail'), skipped: s.skipped ?? n('skipped') };
}

const STATUS_ORDER: Record<string, number> = { fail: 0, pass: 1, skipped: 2 };

function emptyState(app: string | undefined, branch: string | undefined): HTMLElement {
  const cmd = `perfwatch budget check --budget perfwatch-budget.json --lighthouse .lighthouseci/ --bundles dist/ \\\n  --app ${app || 'shop'} --upload --server ${location.origin} --token "$PERFWATCH_TOKEN"`;
  return empty(
    h('p', null, h('strong', null, 'No budget runs yet'), app ? ` for app “${app}”` : '', branch ? ` on branch “${branch}”` : '', '.'),
    h('p', null, 'Upload the result of each CI check with ', h('code', null, 'perfwatch budget check --upload'),
      ' (the commit, branch and build id come from the CI environment or ', h('code', null, '--commit'), ', ', h('code', null, '--branch'), ', ', h('code', null, '--build-id'), '):'),
    h('pre', null, h('code', null, cmd)),
    h('p', null, 'Or POST the JSON of ', h('code', null, 'perfwatch budget check --format json'), ' to ', h('code', null, '/api/v1/budget-runs'),
      ' with a token that has the ', h('code', null, 'ingest'), ' scope. See ', h('code', null, 'docs/budget-runs.md'), '.'));
}

export const budgetsPage: PageDef = {
  path: '/budgets',
  title: 'Budgets',
  mount(root) {
    root.classList.add('budgets');
    const heading = h('h1', null, 'Budgets');
    const note = h('p', { class: 'muted' });
    const tools = h('div', { class: 'page-tools' });
    const body = h('div', { class: 'budget-apps' }, loading('budget runs'));
    root.append(heading, note, tools, body);
    const charts: Chart[] = [];

    function dropCharts(): void {
      for (const c of charts.splice(0)) c.destroy();
    }

    function renderTools(branches: string[]): void {
      const branch = param('branch') ?? '';
      const all = [...new Set([...branches, ...(branch ? [branch] : [])])].sort();
      replace(tools, select('Branch', [['', 'all branches'], ...all.map((b): [string, string] => [b, b])], branch,
        (v) => setParams({ branch: v || null }), 'branch'));
    }

    function appSection(app: string, runs: BudgetRun[]): HTMLElement {
      const latest = runs[0];
      const c = counts(latest);
      const sec = section(`App “${app}”`);
      sec.el.setAttribute('data-app', app);
      const slug = app.replace(/[^A-Za-z0-9_.-]+/g, '_');
      const facts = h('dl', { class: 'kv latest-run' },
        h('dt', null, 'latest run'), h('dd', null, statusBadge(latest.passed ? 'passed' : 'failed'), ' ', formatIsoTime(latest.time)),
        h('dt', null, 'commit'), h('dd', null, h('code', null, latest.commit || '–'), latest.branch ? ` on ${latest.branch}` : ''),
        h('dt', null, 'build'), h('dd', null, latest.build_id || '–'),
        h('dt', null, 'results'), h('dd', null, `${formatCount(c.passed)} passed, ${formatCount(c.failed)} failed, ${formatCount(c.skipped)} skipped`));

      const results = latest.results.slice().sort((a, b) =>
        (STATUS_ORDER[a.status] ?? 3) - (STATUS_ORDER[b.status] ?? 3) || (headroomOf(a) ?? 9) - (headroomOf(b) ?? 9));
      const resultsTable = table<BudgetResult>({
        name: `budget-results-${slug}`,
        caption: `Results of the latest budget run of ${app}: status, what was measured, value against budget, headroom`,
        rows: results,
        columns: [
          { label: 'status', value: (r) => r.status, cell: (r) => statusBadge(r.status), sort: (r) => STATUS_ORDER[r.status] ?? 3 },
          { label: 'kind', value: (r) => r.kind, sort: (r) => r.kind },
          { label: 'page', value: (r) => r.path || null, sort: (r) => r.path ?? '' },
          { label: 'budget for', value: (r) => (r.compression ? `${r.name} (${r.compression})` : r.name),
            cell: (r) => h('span', { class: 'mono' }, r.compression ? `${r.name} (${r.compression})` : r.name), sort: (r) => r.name },
          { label: 'value', value: (r) => r.value ?? null, cell: (r) => formatValue(r.value, r.unit), numeric: true, sort: (r) => r.value ?? -Infinity },
          { label: 'budget', value: (r) => r.budget ?? null, cell: (r) => budgetText(r), numeric: true, sort: (r) => r.budget ?? -Infinity },
          { label: 'unit', value: (r) => r.unit ?? null },
          { label: 'headroom (%)', value: (r) => { const x = headroomOf(r); return x === null ? null : +(x * 100).toFixed(2); },
            cell: (r) => headroomBar(r), sort: (r) => headroomOf(r) ?? 9 },
          { label: 'baseline', value: (r) => r.baseline ?? null, cell: (r) => formatValue(r.baseline, r.unit), numeric: true },
          { label: 'message', value: (r) => r.message ?? null, cell: (r) => (r.message ? h('span', { class: 'msg' }, r.message) : '–') },
        ],
        rowAttrs: (r) => ({ 'data-result': resultKey(r), 'data-status': r.status }),
        empty: empty('The latest run has no results.'),
      });

      // Headroom over runs (oldest to newest): one line per result, the tightest ones.
      const chrono = runs.slice().reverse();
      const xs = chrono.map((r) => Date.parse(r.time) / 1000);
      const latestHeadroom = new Map<string, number>();
      const labels = new Map<string, string>();
      for (const run of chrono) {
        for (const r of run.results) {
          const hr = headroomOf(r);
          if (hr === null) continue;
          latestHeadroom.set(resultKey(r), hr);
          labels.set(resultKey(r), resultLabel(r));
        }
      }
      const keys = [...latestHeadroom.keys()].sort((a, b) => latestHeadroom.get(a)! - latestHeadroom.get(b)!).slice(0, MAX_CHART_SERIES);
      const chartBox = h('div', { class: 'headroom-chart' });
      let chart: Chart | null = null;
      if (keys.length) {
        const series = keys.map((k) => ({
          label: labels.get(k)!,
          values: chrono.map((run) => {
            const r = run.results.find((x) => resultKey(x) === k);
            const hr = r ? headroomOf(r) : null;
            return hr === null ? null : +(hr * 100).toFixed(3);
          }),
        }));
        chart = new Chart({
          name: `budget-headroom-${slug}`,
          title: `Headroom of ${app}'s budgets over its last ${runs.length} runs, in percent of the budget (below 0: over budget)${latestHeadroom.size > keys.length ? `; the ${keys.length} tightest of ${latestHeadroom.size}` : ''}`,
          x: xs,
          series,
          yFormat: (v) => `${+v.toFixed(1)} %`,
          yLabel: 'headroom',
          height: 240,
        });
        charts.push(chart);
        chartBox.append(h('h3', null, 'Headroom over runs'), chart.el);
      }

      const history = table<BudgetRun>({
        name: `budget-runs-${slug}`,
        caption: `Budget runs of ${app}, newest first: time, commit, branch, build id, result and counts`,
        rows: runs,
        columns: [
          { label: 'time', value: (r) => r.time, cell: (r) => formatIsoTime(r.time), sort: (r) => r.time },
          { label: 'commit', value: (r) => r.commit || null, cell: (r) => (r.commit ? h('code', null, r.commit.slice(0, 12)) : '–'), sort: (r) => r.commit },
          { label: 'branch', value: (r) => r.branch || null, sort: (r) => r.branch },
          { label: 'build id', value: (r) => r.build_id || null, sort: (r) => r.build_id },
          { label: 'result', value: (r) => (r.passed ? 'passed' : 'failed'), cell: (r) => statusBadge(r.passed ? 'passed' : 'failed'), sort: (r) => (r.passed ? 1 : 0) },
          { label: 'passed', value: (r) => counts(r).passed, numeric: true, sort: (r) => counts(r).passed },
          { label: 'failed', value: (r) => counts(r).failed, numeric: true, sort: (r) => counts(r).failed },
          { label: 'skipped', value: (r) => counts(r).skipped, numeric: true, sort: (r) => counts(r).skipped },
        ],
        rowAttrs: (r) => ({ 'data-run': r.id, class: r.passed ? undefined : 'failed-run' }),
      });

      replace(sec.body, facts, h('h3', null, 'Latest results'), resultsTable, chartBox, h('h3', null, `Runs (${formatCount(runs.length)})`), history);
      return sec.el;
    }

    function render(runs: BudgetRun[]): void {
      dropCharts();
      const app = param('app') || undefined;
      const branch = param('branch') || undefined;
      if (!runs.length) {
        replace(body, emptyState(app, branch));
        return;
      }
      const byApp = new Map<string, BudgetRun[]>();
      for (const r of runs) {
        const list = byApp.get(r.app) ?? [];
        list.push(r);
        byApp.set(r.app, list);
      }
      replace(body, [...byApp.entries()].map(([a, list]) => appSection(a, list)));
    }

    const load = new Loader(async (signal) => {
      const app = param('app') || undefined;
      const branch = param('branch') || undefined;
      note.textContent = `Performance-budget checks uploaded from CI${app ? ` for app “${app}”` : ', per app'}${branch ? ` on branch “${branch}”` : ''}: the latest run's results, each budget's headroom over the runs and the run history (the latest ${RUNS_LIMIT} runs; the time window does not apply). Refreshed every 30 s.`;
      const [runs, all] = await Promise.all([
        get<BudgetRun[]>('/api/v1/budget-runs', { app, branch, limit: RUNS_LIMIT }, signal),
        get<BudgetRun[]>('/api/v1/budget-runs', { app, limit: RUNS_LIMIT }, signal),
      ]);
      const ok = (list: BudgetRun[] | null) => (list ?? []).filter((r) => r && typeof r.app === 'string' && Array.isArray(r.results));
      renderTools([...new Set(ok(all).map((r) => r.branch).filter((b) => b))]);
      render(ok(runs));
    }, () => body);

    const timer = setInterval(() => {
      if (document.visibilityState === 'visible') void load.run();
    }, 30000);
    void load.run();
    return {
      update() {
        void load.run();
      },
      destroy() {
        clearInterval(timer);
        load.stop();
        dropCharts();
        root.classList.remove('budgets');
      },
    };
  },
};
