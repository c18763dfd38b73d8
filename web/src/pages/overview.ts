// Overview: one card per app (or the chosen app): the five vitals' p75 with their rating,
// the change against the previous period of the same length, a sparkline, page views and
// the app's active alerts. Updates live as beacons arrive.
import { get, type VitalsAnswer, type VitalsSeriesAnswer } from '../api';
import { sparkline } from '../chart';
import { h, loading, noBeacons, replace, section } from '../dom';
import { formatChange, formatCount, formatVital, VITAL_NAMES, VITALS, type Vital } from '../format';
import { on, throttle } from '../live';
import { Loader, type PageDef } from '../page';
import { linkTo, param, timeRange } from '../state';
import { table } from '../table';
import { niceStep, ratedValue } from '../vitals-ui';

interface Alert {
  labels: Record<string, string>;
  annotations?: Record<string, string>;
  status?: { state?: string };
  startsAt?: string;
}

interface AppRow {
  app: string;
  views: number;
  vitals: Record<Vital, { p75: number | null; before: number | null; count: number; trend: number[] }>;
  alerts: Alert[];
}

export const overviewPage: PageDef = {
  path: '/overview',
  title: 'Overview',
  mount(root) {
    const heading = h('h1', null, 'Overview');
    const note = h('p', { class: 'muted' });
    const cards = h('div', { class: 'app-cards' }, loading('apps'));
    const tableBox = section('All apps, p75');
    root.append(heading, note, cards, tableBox.el);

    const load = new Loader(async (signal) => {
      const range = timeRange();
      const app = param('app') || undefined;
      const cur = { from: range.from.toFixed(3), to: range.to.toFixed(3) };
      const prev = { from: (range.from - range.seconds).toFixed(3), to: range.from.toFixed(3) };
      const step = niceStep(range.seconds, 24);
      note.textContent = `p75 over the ${range.label}; change against the ${range.custom ? 'previous period of the same length' : `${range.label.replace('last', 'previous')}`}.`;
      const calls = VITALS.map((m) => Promise.all([
        get<VitalsAnswer>('/api/v1/vitals', { metric: m, by: 'app', app, ...cur }, signal),
        get<VitalsAnswer>('/api/v1/vitals', { metric: m, by: 'app', app, ...prev }, signal),
        get<VitalsSeriesAnswer>('/api/v1/vitals/series', { metric: m, by: 'app', app, step, ...cur }, signal),
      ]));
      const alertsP = get<Alert[]>('/api/v2/alerts', { active: 'true', silenced: 'false', inhibited: 'false' }, signal).catch(() => [] as Alert[]);
      const results = await Promise.all(calls);
      const alerts = await alertsP;
      const rows = new Map<string, AppRow>();
      const row = (name: string): AppRow => {
        let r = rows.get(name);
        if (!r) {
          r = { app: name, views: 0, alerts: [], vitals: Object.fromEntries(VITALS.map((m) => [m, { p75: null, before: null, count: 0, trend: [] }])) as unknown as AppRow['vitals'] };
          rows.set(name, r);
        }
        return r;
      };
      results.forEach(([now, before, series], i) => {
        const m = VITALS[i];
        for (const g of now.groups) {
          const r = row(g.labels.app ?? '');
          r.vitals[m].p75 = g.p75;
          r.vitals[m].count = g.count;
          // Page views: every page view reports exactly one TTFB.
          if (m === 'TTFB') r.views = g.count;
        }
        for (const g of before.groups) {
          const r = rows.get(g.labels.app ?? '');
          if (r) r.vitals[m].before = g.p75;
        }
        for (const s of series.series) {
          const r = rows.get(s.labels.app ?? '');
          if (r) r.vitals[m].trend = s.values;
        }
      });
      for (const a of alerts) {
        const r = rows.get(a.labels.app ?? '');
        if (r) r.alerts.push(a);
      }
      const list = [...rows.values()].sort((a, b) => b.views - a.views || a.app.localeCompare(b.app));
      const unattached = alerts.filter((a) => !a.labels.app || !rows.has(a.labels.app));
      render(list, unattached);
    }, () => cards);

    function render(list: AppRow[], otherAlerts: Alert[]): void {
      if (!list.length) {
        replace(cards, noBeacons(param('app') ?? ''));
        tableBox.el.hidden = true;
        return;
      }
      replace(cards, list.map((r) => appCard(r)),
        otherAlerts.length ? section('Other active alerts', alertList(otherAlerts)).el : null);
      tableBox.el.hidden = list.length < 2;
      if (list.length >= 2) {
        replace(tableBox.body, table<AppRow>({
          name: 'apps-p75',
          caption: 'p75 of each vital per app',
          rows: list,
          columns: [
            { label: 'app', value: (r) => r.app, cell: (r) => h('a', { href: linkTo('/vitals', { app: r.app }) }, r.app), sort: (r) => r.app },
            { label: 'page views', value: (r) => r.views, cell: (r) => formatCount(r.views), numeric: true, sort: (r) => r.views },
            ...VITALS.map((m) => ({
              label: `${m} p75${m === 'CLS' ? '' : ' (ms)'}`,
              value: (r: AppRow) => r.vitals[m].p75,
              cell: (r: AppRow) => ratedValue(m, r.vitals[m].p75),
              numeric: true,
              sort: (r: AppRow) => r.vitals[m].p75 ?? -1,
            })),
            { label: 'active alerts', value: (r) => r.alerts.length, numeric: true, sort: (r) => r.alerts.length },
          ],
        }));
      }
    }

    function appCard(r: AppRow): HTMLElement {
      const s = section(r.app || '(no app)');
      s.el.classList.add('app-card');
      s.el.setAttribute('data-app', r.app);
      s.tools.append(h('span', { class: 'muted' }, `${formatCount(r.views)} page views`), ' ',
        h('a', { href: linkTo('/vitals', { app: r.app }) }, 'Web Vitals →'));
      s.body.append(h('div', { class: 'vital-tiles' }, VITALS.map((m) => {
        const v = r.vitals[m];
        const change = v.p75 !== null ? formatChange(v.p75, v.before) : null;
        const worse = v.p75 !== null && v.before !== null && v.p75 > v.before;
        return h('div', { class: 'tile', 'data-vital': m },
          h('a', { href: linkTo('/vitals', { app: r.app, ...(m === 'LCP' ? {} : { metric: m }) }), title: VITAL_NAMES[m] },
            h('div', { class: 'name' }, `${m} p75`),
            h('div', { class: 'big' }, ratedValue(m, v.p75)),
            h('div', { class: 'muted small' },
              change ? h('span', { class: `change ${worse ? 'worse' : 'better'}`, title: `previous period: ${formatVital(m, v.before)}` }, `${change} vs previous`) : 'no previous data',
              ' ', v.trend.length > 1 ? sparkline(v.trend, `${m} p75 trend over the window`) : null)));
      })));
      s.body.append(r.alerts.length ? alertList(r.alerts) : h('p', { class: 'muted' }, 'No active alerts.'));
      return s.el;
    }

    function alertList(alerts: Alert[]): HTMLElement {
      return h('div', null, h('h3', null, `Active alerts (${alerts.length})`), h('ul', { class: 'alert-list' }, alerts.map((a) =>
        h('li', null, h('a', { href: linkTo('/alerts') }, a.labels.alertname ?? 'alert'), ' ',
          a.labels.severity ? h('span', { class: `badge sev-${a.labels.severity}` }, a.labels.severity) : null, ' ',
          a.annotations?.summary ?? ''))));
    }

    const refresh = throttle(() => void load.run(), 500);
    const offV = on('vitals', (d) => {
      const app = param('app');
      if (!app || d.app === app || d.reason !== undefined) refresh();
    });
    const offA = on('alerts', () => refresh());
    void load.run();
    return {
      update: () => void load.run(),
      destroy() {
        offV();
        offA();
        load.stop();
      },
    };
  },
};
