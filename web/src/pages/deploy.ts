// Deploy impact (/deploy?id=&impact_window=, issue 15 item 6): the release impact of one
// deploy from GET /api/v1/deploys/{id}/impact: two equal windows before and after the
// deploy compared with a Mann–Whitney U test; per page and vital the p75 before and after,
// per route the p95 and the error ratio, each with its change, p-value, significance and
// verdict as text; and the error groups first seen after it, linking to /errors?fingerprint=.
// A sub-page of Regressions (not in the navigation).
import { ApiError, get } from '../api';
import { empty, h, loading, replace, section, select } from '../dom';
import { formatCount } from '../format';
import { Loader, type PageDef } from '../page';
import { linkTo, param, setParams } from '../state';
import { table, type Column } from '../table';
import { formatDurationMs } from './apm-common';
import { type Deploy, deployTarget, formatChangeRatio, formatIsoTime, formatMetric, formatPValue } from './regressions';

interface Comparison {
  page?: string;
  service?: string;
  route?: string;
  metric: string;
  before: number | null;
  after: number | null;
  before_count: number;
  after_count: number;
  change: number | null;
  p_value: number | null;
  effect: number | null;
  significant: boolean;
  verdict: string;
}

interface NewError {
  fingerprint: string;
  type: string;
  message: string;
  source: string;
  first_seen: string;
  count: number;
}

interface Impact {
  deploy: Deploy;
  window: string;
  before: { start: string; end: string };
  after: { start: string; end: string };
  pages: Comparison[];
  routes: Comparison[];
  new_errors: NewError[];
  truncated: boolean;
}

const WINDOWS: [string, string][] = [['15m', '15 minutes'], ['1h', '1 hour'], ['6h', '6 hours'], ['24h', '24 hours'], ['7d', '7 days']];

function verdictCell(c: Comparison): HTMLElement {
  const cls = c.verdict === 'worse' && c.significant ? 'error' : c.verdict === 'better' && c.significant ? 'ok' : 'muted';
  const text = c.significant ? `${c.verdict} (significant)` : `${c.verdict} (not significant)`;
  return h('span', { class: `status-badge ${cls}`, 'data-verdict': c.verdict }, text);
}

function comparisonColumns(): Column<Comparison>[] {
  return [
    { label: 'metric', value: (c) => c.metric, sort: (c) => c.metric },
    { label: 'before', value: (c) => c.before, cell: (c) => formatMetric(c.metric, c.before), numeric: true, sort: (c) => c.before ?? -1 },
    { label: 'after', value: (c) => c.after, cell: (c) => formatMetric(c.metric, c.after), numeric: true, sort: (c) => c.after ?? -1 },
    { label: 'change', value: (c) => c.change, cell: (c) => formatChangeRatio(c.change), numeric: true, sort: (c) => c.change ?? 0 },
    { label: 'values before / after', value: (c) => `${c.before_count} / ${c.after_count}`, numeric: true, sort: (c) => c.after_count },
    { label: 'p-value', value: (c) => c.p_value, cell: (c) => formatPValue(c.p_value), numeric: true, sort: (c) => c.p_value ?? 1 },
    { label: 'verdict', value: (c) => `${c.verdict}${c.significant ? ' (significant)' : ''}`, cell: verdictCell, sort: (c) => (c.significant ? 0 : 1) },
  ];
}

export const deployPage: PageDef = {
  path: '/deploy',
  title: 'Deploy impact',
  parent: '/regressions',
  mount(root) {
    const crumbs = h('p', { class: 'crumbs' }, h('a', { href: linkTo('/regressions') }, 'Regressions'), ' › deploy');
    const heading = h('h1', null, 'Deploy impact');
    const controls = h('div', { class: 'toolbar' });
    const note = h('p', { class: 'muted' });
    const summary = h('div', { class: 'apm-tiles' }, loading('the deploy\'s impact'));
    const pagesBox = section('Pages: Core Web Vitals p75');
    const routesBox = section('Routes: p95 and error ratio');
    const errorsBox = section('New errors after the deploy');
    root.append(crumbs, heading, controls, note, summary, pagesBox.el, routesBox.el, errorsBox.el);

    const load = new Loader(async (signal) => {
      const id = param('id') ?? '';
      const win = param('impact_window') || '1h';
      replace(controls, select('Compare windows of', WINDOWS.some(([v]) => v === win) ? WINDOWS : [[win, win], ...WINDOWS], win,
        (v) => setParams({ impact_window: v === '1h' ? null : v }), 'impact_window'));
      if (!id) {
        replace(summary, empty(h('p', null, h('strong', null, 'No deploy chosen.')), h('p', null, 'Open a deploy from the ', h('a', { href: linkTo('/regressions') }, 'Regressions'), ' page.')));
        pagesBox.el.hidden = routesBox.el.hidden = errorsBox.el.hidden = true;
        return;
      }
      let imp: Impact;
      try {
        imp = await get<Impact>(`/api/v1/deploys/${encodeURIComponent(id)}/impact`, { window: win }, signal);
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) {
          replace(summary, empty(h('p', null, h('strong', null, `No deploy with id ${id}.`)), h('p', null, 'Pick one on the ', h('a', { href: linkTo('/regressions') }, 'Regressions'), ' page.')));
          pagesBox.el.hidden = routesBox.el.hidden = errorsBox.el.hidden = true;
          return;
        }
        throw err;
      }
      const d = imp.deploy;
      document.title = `Deploy ${d.version} · ${d.app ?? d.service ?? ''} · perfwatch`;
      replace(heading, `Deploy ${d.version} `, h('span', { class: 'muted' }, `· ${deployTarget(d)}`));
      note.textContent = `Before: ${formatIsoTime(imp.before.start)} – ${formatIsoTime(imp.before.end)}; after: ${formatIsoTime(imp.after.start)} – ${formatIsoTime(imp.after.end)} (${formatDurationMs(Date.parse(imp.before.end) - Date.parse(imp.before.start))} each${imp.window !== win ? ', shortened: the after window is still running' : ''}). Differences are significant when the Mann–Whitney U test's p-value is below 0.05 with at least 10 values on each side.${imp.truncated ? ' Over 200,000 spans in a window: the newest were compared.' : ''}`;
      const tile = (name: string, value: string, key: string) => h('div', { class: 'tile', 'data-stat': key }, h('div', { class: 'name' }, name), h('div', { class: 'big' }, value));
      const all = [...imp.pages, ...imp.routes];
      const worse = all.filter((c) => c.significant && c.verdict === 'worse').length;
      const better = all.filter((c) => c.significant && c.verdict === 'better').length;
      replace(summary,
        tile('deployed', formatIsoTime(d.time), 'time'),
        tile('version', d.version, 'version'),
        d.commit ? tile('commit', d.commit, 'commit') : null,
        d.environment ? tile('environment', d.environment, 'environment') : null,
        tile('significantly worse', String(worse), 'worse'),
        tile('significantly better', String(better), 'better'),
        tile('new error groups', String(imp.new_errors.length), 'new-errors'));

      pagesBox.el.hidden = !d.app;
      routesBox.el.hidden = !d.service;
      errorsBox.el.hidden = false;
      if (d.app) {
        replace(pagesBox.body, table<Comparison>({
          name: `deploy-${d.id}-pages`,
          caption: 'p75 of each vital per page before and after the deploy, with the change, its significance and the verdict',
          rows: imp.pages,
          empty: empty('No vitals in either window. Widen the comparison window above.'),
          columns: [{ label: 'page', value: (c) => c.page ?? '', sort: (c) => c.page ?? '' }, ...comparisonColumns()],
          rowAttrs: (c) => ({ 'data-page': c.page, 'data-metric': c.metric }),
        }));
      }
      if (d.service) {
        replace(routesBox.body, table<Comparison>({
          name: `deploy-${d.id}-routes`,
          caption: 'p95 latency and error ratio per route before and after the deploy, with the change, its significance and the verdict',
          rows: imp.routes,
          empty: empty('No spans of this service in either window. Widen the comparison window above.'),
          columns: [{ label: 'route', value: (c) => c.route ?? '',
            cell: (c) => h('a', { href: linkTo('/route', { service: c.service ?? d.service ?? '', route: c.route ?? '' }) }, c.route || '(no route)'), sort: (c) => c.route ?? '' },
          ...comparisonColumns()],
          rowAttrs: (c) => ({ 'data-route': c.route, 'data-metric': c.metric }),
        }));
      }
      replace(errorsBox.body, table<NewError>({
        name: `deploy-${d.id}-new-errors`,
        caption: 'Error groups first seen after the deploy, most frequent first',
        rows: imp.new_errors,
        empty: empty('No new error group after this deploy.'),
        columns: [
          { label: 'error', value: (e) => `${e.type}: ${e.message}`, cell: (e) => h('a', { href: linkTo('/errors', { fingerprint: e.fingerprint }) }, h('strong', null, e.type || 'Error'), ': ', e.message), sort: (e) => e.type },
          { label: 'source', value: (e) => e.source, sort: (e) => e.source },
          { label: 'first seen', value: (e) => e.first_seen, cell: (e) => formatIsoTime(e.first_seen), sort: (e) => e.first_seen },
          { label: 'occurrences', value: (e) => e.count, cell: (e) => formatCount(e.count), numeric: true, sort: (e) => e.count },
        ],
        rowAttrs: (e) => ({ 'data-fingerprint': e.fingerprint }),
      }));
    }, () => summary);

    void load.run();
    return { update: () => void load.run(), destroy: () => load.stop() };
  },
};
