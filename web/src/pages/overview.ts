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
import { niceStep, ratedValue, ratingBadge } from '../vitals-ui';

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
  score?: ScoreAnswer | null; // GET /api/v1/score (issue 15): null when it failed
  health?: HealthAnswer | null; // GET /api/v1/health
}

interface ScoreAnswer { score: number | null; views: number }
interface HealthPart { name: string; included: boolean; weight: number; score: number | null; summary?: string }
interface HealthAnswer { app: string; score: number | null; verdict: string; window: string; parts: HealthPart[] }

/** The performance score's verdict, Lighthouse's bands: 90–100 good, 50–89 needs improvement, else poor. */
export function scoreVerdict(score: number): 'good' | 'needs-improvement' | 'poor' {
  return score >= 90 ? 'good' : score >= 50 ? 'needs-improvement' : 'poor';
}

function scoreText(v: number | null | undefined): string {
  return v === null || v === undefined ? '–' : String(+v.toFixed(1));
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
      // Issue 15: the performance score over the window and the health score (its own
      // window) per app; a failure leaves that card's score out, not the page.
      await Promise.all(list.map(async (r) => {
        const [score, health] = await Promise.all([
          get<ScoreAnswer>('/api/v1/score', { app: r.app, ...cur }, signal).catch(() => null),
          get<HealthAnswer>('/api/v1/health', { app: r.app }, signal).catch(() => null),
        ]);
        r.score = score;
        r.health = health;
      }));
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
      const scores = scoreBlock(r);
      if (scores) s.body.append(scores);
      s.body.append(r.alerts.length ? alertList(r.alerts) : h('p', { class: 'muted' }, 'No active alerts.'));
      return s.el;
    }

    function scoreBlock(r: AppRow): HTMLElement | null {
      if (!r.score && !r.health) return null;
      const sc = r.score?.score ?? null;
      const v = sc === null ? null : scoreVerdict(sc);
      const perf = h('div', { class: 'tile', 'data-stat': 'score' },
        h('div', { class: 'name' }, 'performance score'),
        h('div', { class: 'big' }, sc === null || v === null ? '–' : h('span', { class: 'rated' }, h('span', { class: `value ${v}` }, `${scoreText(sc)} / 100`), ' ', ratingBadge(v))),
        h('div', { class: 'muted small' }, sc === null ? 'no page views with vitals in the window' : `over ${formatCount(r.score?.views ?? 0)} page views`));
      const hs = r.health;
      const health = hs ? h('div', { class: 'tile', 'data-stat': 'health' },
        h('div', { class: 'name' }, `health score (${hs.window})`),
        h('div', { class: 'big' }, hs.score === null ? '–' : `${scoreText(hs.score)} / 100 (${hs.verdict})`),
        h('ul', { class: 'muted small health-parts' }, hs.parts.map((p) => h('li', { 'data-part': p.name },
          `${p.name}: ${p.included ? `${scoreText(p.score)} (weight ${p.weight})` : 'left out'}`)))) : null;
      return h('div', { class: 'vital-tiles score-tiles' }, perf, health);
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
