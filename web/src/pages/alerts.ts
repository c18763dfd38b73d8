// Alerts: firing and pending alerts grouped as the notification route groups them
// (Alertmanager v2 /api/v2/alerts/groups, merged with Prometheus' /api/v1/alerts for the
// value, the state and activeAt), with acknowledge (comment, optional end) and silence
// (matchers prefilled from the alert's labels, a duration) from the page; the silences
// (expire); the firing history of the last 7 days from the ALERTS series; SLOs; the rules
// and their errors. Refreshes on the stream's `alerts` events and at once after an action.
// URL: `state` (firing | pending | all), `expired=1` (list expired silences too), `app`.
import { ApiError, get, isAbort, type Rule, type RuleAlert, type RuleGroup } from '../api';
import { Chart } from '../chart';
import { empty, errorBox, h, loading, replace, section, uid, type Child } from '../dom';
import { formatAgo, formatNumber, formatTime } from '../format';
import { on, throttle } from '../live';
import { Loader, type PageDef } from '../page';
import { param, parseDuration, setParams } from '../state';
import { table } from '../table';

// --- shapes (docs/alerting.md, docs/alert-forms.md, Alertmanager's API v2)

type Labels = Record<string, string>;

type V1Alert = RuleAlert;
interface Ack {
  fingerprint: string;
  acknowledgedBy: string;
  acknowledgedAt: string;
  comment: string;
  until: string | null;
}
interface V2Alert {
  labels: Labels;
  annotations: Labels;
  fingerprint: string;
  startsAt: string;
  endsAt: string;
  receivers: { name: string }[];
  status: {
    state: string;
    silencedBy: string[];
    inhibitedBy: string[];
    acknowledgement?: Ack;
    escalation?: { policy: string; step: number; nextAt?: string | null };
  };
}
interface V2Group {
  labels: Labels;
  receiver: { name: string };
  alerts: V2Alert[];
}
interface Matcher {
  name: string;
  value: string;
  isRegex: boolean;
  isEqual?: boolean;
}
interface Silence {
  id: string;
  status: { state: 'active' | 'pending' | 'expired' };
  matchers: Matcher[];
  startsAt: string;
  endsAt: string;
  updatedAt: string;
  createdBy: string;
  comment: string;
}
interface Slo {
  name: string;
  objective: number;
  window: string;
  sli: number | null;
  errorBudgetRemaining: number | null;
  burnRates: Record<string, number | null>;
  alerts: { alertname: string; severity: string; state: string }[];
}
interface Matrix {
  resultType: string;
  result: { metric: Labels; values: [number, string][] }[];
}

/** One alert as the page shows it: the pipeline's view (v2) and the rule's (v1) together. */
interface Row {
  key: string;
  state: 'firing' | 'pending';
  name: string;
  severity: string;
  since: number; // Unix seconds
  value: number | null;
  labels: Labels;
  annotations: Labels;
  v2?: V2Alert;
}

interface Group {
  title: string;
  note: string;
  rows: Row[];
}

// --- helpers

const SEVERITY_ORDER: Record<string, number> = { critical: 0, page: 0, error: 1, warning: 2, info: 3 };
const HISTORY_DAYS = 7;
const HISTORY_STEP = 60; // seconds: 7 days in 10,080 steps (under Prometheus' 11,000 points)

const unix = (rfc3339: string): number => Date.parse(rfc3339) / 1000;
const labelKey = (l: Labels): string => JSON.stringify(Object.entries(l).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
const labelText = (l: Labels, skip: string[] = ['alertname']): string =>
  Object.entries(l).filter(([k]) => !skip.includes(k)).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => `${k}="${v}"`).join(', ');

function labelChips(l: Labels, skip: string[] = ['alertname']): HTMLElement {
  const entries = Object.entries(l).filter(([k]) => !skip.includes(k)).sort(([a], [b]) => (a < b ? -1 : 1));
  return h('span', { class: 'labels' }, entries.length ? entries.map(([k, v]) => h('code', null, `${k}="${v}"`)) : h('span', { class: 'muted' }, 'none'));
}

function matcherText(m: Matcher): string {
  const op = m.isEqual === false ? (m.isRegex ? '!~' : '!=') : m.isRegex ? '=~' : '=';
  return `${m.name}${op}"${m.value}"`;
}

/** Whether `labels` satisfy `m` (Alertmanager: regexes fully anchored, a missing label is ""). */
function matches(m: Matcher, labels: Labels): boolean {
  const v = labels[m.name] ?? '';
  let ok: boolean;
  if (m.isRegex) {
    try {
      ok = new RegExp(`^(?:${m.value})$`).test(v);
    } catch {
      return false;
    }
  } else {
    ok = v === m.value;
  }
  return m.isEqual === false ? !ok : ok;
}

function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s} s`;
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  if (d) return hh ? `${d} d ${hh} h` : `${d} d`;
  if (hh) return mm ? `${hh} h ${mm} min` : `${hh} h`;
  return `${mm} min`;
}

function formatIn(unixSeconds: number, now = Date.now() / 1000): string {
  const s = unixSeconds - now;
  return s <= 0 ? formatAgo(unixSeconds, now) : `in ${formatDuration(s)}`;
}

const pct = (v: number | null): string => (v === null || v === undefined ? '–' : `${+(v * 100).toFixed(3)} %`);

/** Alertmanager's v2 endpoints answer errors as a JSON string or {code, message}. */
async function call(method: string, path: string, body?: unknown): Promise<unknown> {
  const res = await fetch(path, {
    method,
    headers: body === undefined ? { Accept: 'application/json' } : { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  if (!res.ok) {
    const p = parsed as { error?: string; message?: string } | string | undefined;
    const msg = typeof p === 'string' ? p : p?.error || p?.message || `${res.status} ${res.statusText}`;
    throw new ApiError(msg, res.status, 'http');
  }
  return parsed;
}

function severityBadge(sev: string): HTMLElement | string {
  return sev ? h('span', { class: `badge sev-${sev}` }, sev) : h('span', { class: 'muted' }, 'none');
}

// --- the page

export const alertsPage: PageDef = {
  path: '/alerts',
  title: 'Alerts',
  mount(root) {
    const summary = h('p', { id: 'rules-summary', class: 'muted' }, 'Loading alerts…');
    const announce = h('p', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
    const notConfigured = h('div', { id: 'not-configured', hidden: true });
    const stateBox = h('span', { class: 'field' });
    const toolbar = h('div', { class: 'toolbar' }, stateBox);
    const failing = section('Failing rules');
    failing.el.id = 'rule-errors';
    failing.el.hidden = true;
    const groups = section('Firing and pending alerts', loading('alerts'));
    groups.el.id = 'alert-groups';
    const silences = section('Silences', loading('silences'));
    silences.el.id = 'silences';
    const history = section(`History (last ${HISTORY_DAYS} days)`, loading('the alert history'));
    history.el.id = 'history';
    const slos = section('SLOs', loading('SLOs'));
    slos.el.id = 'slos';
    const rules = section('Alerting rules', loading('rules'));
    rules.el.id = 'rules';
    const ackDlg = h('dialog', { id: 'ack-dialog', 'aria-labelledby': 'ack-title' });
    const silDlg = h('dialog', { id: 'silence-dialog', 'aria-labelledby': 'silence-title' });
    root.append(h('h1', null, 'Alerts'), summary, announce, toolbar, notConfigured, failing.el, groups.el, silences.el, history.el, slos.el, rules.el, ackDlg, silDlg);

    let lastRows: Row[] = [];
    let historyChart: Chart | null = null;
    let focusKey: string | null = null;

    const say = (msg: string): void => {
      announce.textContent = msg;
    };

    /** Keeps keyboard focus on "the same" control across a re-render. */
    function keepFocus(render: () => void): void {
      const active = document.activeElement as HTMLElement | null;
      const key = focusKey ?? active?.dataset?.focus; // after an action: the control that replaces its button
      render();
      if (key && (!document.activeElement || document.activeElement === document.body)) {
        const el = root.querySelector<HTMLElement>(`[data-focus="${CSS.escape(key)}"]`);
        if (el) el.focus();
      }
      focusKey = null;
    }

    function renderStatePicker(): void {
      const id = uid('state');
      const cur = param('state') || 'all';
      const sel = h('select', { id, name: 'state', onchange: () => setParams({ state: sel.value === 'all' ? null : sel.value }) },
        [['all', 'firing and pending'], ['firing', 'firing only'], ['pending', 'pending only']].map(([v, t]) => h('option', { value: v, selected: v === cur }, t)));
      replace(stateBox, h('label', { for: id }, 'State'), sel);
    }

    // --- main load: alerts, groups, rules, silences, SLOs

    const load = new Loader(async (signal) => {
      const app = param('app') || '';
      const stateFilter = param('state') || 'all';
      const [v1, rulesAns, v2groups, sil, sloList] = await Promise.allSettled([
        get<{ alerts: V1Alert[] }>('/api/v1/alerts', {}, signal),
        get<{ groups: RuleGroup[] }>('/api/v1/rules', {}, signal),
        get<V2Group[]>('/api/v2/alerts/groups', {}, signal),
        get<Silence[]>('/api/v2/silences', {}, signal),
        get<Slo[]>('/api/v1/slos', {}, signal),
      ]);
      if (signal.aborted) return;
      for (const r of [v1, rulesAns, v2groups, sil, sloList]) if (r.status === 'rejected' && isAbort(r.reason)) return;

      const ruleGroups = rulesAns.status === 'fulfilled' ? rulesAns.value.groups : [];
      const v1Alerts = v1.status === 'fulfilled' ? v1.value.alerts : [];
      const routeGroups = v2groups.status === 'fulfilled' ? v2groups.value : [];
      const pipelineCount = new Set(routeGroups.flatMap((g) => g.alerts.map((a) => a.fingerprint))).size;

      // Summary line and "not configured".
      const allRules = ruleGroups.flatMap((g) => g.rules.map((r) => ({ ...r, group: g.name, file: g.file })));
      const failingRules = allRules.filter((r) => r.health === 'err');
      const firingN = v1Alerts.filter((a) => a.state === 'firing').length;
      const configured = ruleGroups.length > 0 || pipelineCount > 0;
      if (rulesAns.status === 'rejected') {
        summary.textContent = `Could not load the rules: ${(rulesAns.reason as Error).message}`;
      } else {
        summary.textContent = !configured ? 'Alerting is not configured.'
          : `${allRules.length} rule${allRules.length === 1 ? '' : 's'} in ${ruleGroups.length} group${ruleGroups.length === 1 ? '' : 's'}` +
            ` · ${firingN} firing, ${v1Alerts.length - firingN} pending` + (failingRules.length ? ` · ${failingRules.length} failing` : '');
      }
      notConfigured.hidden = configured || rulesAns.status === 'rejected';
      if (!notConfigured.hidden) replace(notConfigured, notConfiguredHelp());

      // Failing rules, prominent, only when there are some.
      failing.el.hidden = failingRules.length === 0;
      replace(failing.body, h('ul', { class: 'rule-errors' }, failingRules.map((r) =>
        h('li', null, h('strong', null, `${r.group} / ${r.name}`), ': ', h('span', { class: 'error-text' }, r.lastError ?? 'failed'),
          h('span', { class: 'muted' }, ` (${r.file}; last evaluated ${formatTime(unix(r.lastEvaluation))})`)))));

      // Alert groups.
      if (v1.status === 'rejected' && v2groups.status === 'rejected') {
        replace(groups.body, errorBox(v1.reason));
      } else {
        const built = buildGroups(v1Alerts, routeGroups, app, stateFilter);
        lastRows = built.flatMap((g) => g.rows);
        keepFocus(() => renderGroups(built, app, stateFilter, configured,
          v1.status === 'rejected' ? v1.reason : v2groups.status === 'rejected' ? v2groups.reason : null));
      }

      // Silences.
      if (sil.status === 'rejected') replace(silences.body, errorBox(sil.reason));
      else keepFocus(() => renderSilences(sil.value, routeGroups));

      // SLOs.
      if (sloList.status === 'rejected') replace(slos.body, errorBox(sloList.reason));
      else renderSlos(sloList.value);

      // Rules.
      if (rulesAns.status === 'rejected') replace(rules.body, errorBox(rulesAns.reason));
      else renderRules(allRules);
    }, () => groups.body);

    function notConfiguredHelp(): HTMLElement {
      return empty(
        h('p', null, h('strong', null, 'Alerting is not configured'), ': no rule groups are loaded and no alert has been received.'),
        h('p', null, 'Add Prometheus rule files to perfwatch’s configuration file (see docs/alerting.md and docs/rules.md), for example:'),
        h('pre', null, h('code', null, 'rule_files:\n  - rules/*.yml\nalerts:\n  defaults: true   # perfwatch’s default rules (docs/alert-forms.md)')),
        h('p', null, 'then reload with ', h('code', null, 'POST /-/reload'), ' or SIGHUP. A Prometheus or vmalert can also send its alerts here (', h('code', null, 'POST /api/v2/alerts'), ').'));
    }

    function buildGroups(v1Alerts: V1Alert[], routeGroups: V2Group[], app: string, stateFilter: string): Group[] {
      const byKey = new Map<string, V1Alert>();
      for (const a of v1Alerts) byKey.set(labelKey(a.labels), a);
      const used = new Set<V1Alert>();
      const find = (l: Labels): V1Alert | undefined => {
        const exact = byKey.get(labelKey(l));
        if (exact) return exact;
        // The pipeline's labels carry global.external_labels too.
        return v1Alerts.find((a) => a.labels.alertname === l.alertname && Object.entries(a.labels).every(([k, v]) => l[k] === v));
      };
      const fromV1 = (a: V1Alert): Row => ({
        key: labelKey(a.labels), state: a.state, name: a.labels.alertname ?? '', severity: a.labels.severity ?? '',
        since: unix(a.activeAt), value: Number.isFinite(Number(a.value)) ? Number(a.value) : null, labels: a.labels, annotations: a.annotations ?? {},
      });
      const keep = (r: Row): boolean => (!app || r.labels.app === app) && (stateFilter === 'all' || stateFilter === r.state);
      const sortRows = (rows: Row[]): Row[] => rows.sort((a, b) =>
        (a.state === b.state ? 0 : a.state === 'firing' ? -1 : 1) ||
        (SEVERITY_ORDER[a.severity] ?? 9) - (SEVERITY_ORDER[b.severity] ?? 9) || a.since - b.since || a.name.localeCompare(b.name));

      const out: Group[] = [];
      for (const g of routeGroups) {
        const rows = g.alerts.map((a) => {
          const v = find(a.labels);
          if (v) used.add(v);
          const base = v ? fromV1(v) : {
            key: labelKey(a.labels), state: 'firing' as const, name: a.labels.alertname ?? '', severity: a.labels.severity ?? '',
            since: unix(a.startsAt), value: null, labels: a.labels, annotations: a.annotations ?? {},
          };
          return { ...base, state: 'firing' as const, labels: a.labels, v2: a, key: a.fingerprint };
        }).filter(keep);
        const by = labelText(g.labels, []);
        out.push({
          title: `Receiver ${g.receiver.name}` + (by ? ` · ${by}` : ''),
          note: by ? `grouped by ${Object.keys(g.labels).join(', ')}` : 'one group for all alerts of this route',
          rows: sortRows(rows),
        });
      }
      const notRouted = v1Alerts.filter((a) => a.state === 'firing' && !used.has(a)).map(fromV1).filter(keep);
      if (notRouted.length) out.push({ title: 'Firing, not yet in the notification pipeline', note: 'the rule fires; the pipeline has not received it yet', rows: sortRows(notRouted) });
      const pending = v1Alerts.filter((a) => a.state === 'pending').map(fromV1).filter(keep);
      if (pending.length) out.push({ title: 'Pending', note: 'the condition holds; firing once it has held for the rule’s for: duration', rows: sortRows(pending) });
      return out.filter((g) => g.rows.length > 0);
    }

    function statusCell(r: Row): HTMLElement {
      const st = r.v2?.status;
      const lines: Child[] = [h('span', { class: `rating ${r.state === 'firing' ? 'poor' : 'needs-improvement'} alert-state` }, r.state)];
      if (st?.silencedBy?.length) lines.push(h('div', { class: 'muted silenced' }, `silenced (${st.silencedBy.length === 1 ? '1 silence' : `${st.silencedBy.length} silences`})`));
      if (st?.inhibitedBy?.length) lines.push(h('div', { class: 'muted' }, 'inhibited'));
      if (st?.acknowledgement) {
        const a = st.acknowledgement;
        lines.push(h('div', { class: 'ack' }, `acknowledged by ${a.acknowledgedBy} ${formatAgo(unix(a.acknowledgedAt))}`,
          a.comment ? `: “${a.comment}”` : '', a.until ? ` (until ${formatTime(unix(a.until))})` : ''));
      }
      if (st?.escalation) {
        const e = st.escalation;
        lines.push(h('div', { class: 'muted' }, `escalation ${e.policy}: step ${e.step}` + (e.nextAt ? `, next ${formatIn(unix(e.nextAt))}` : '')));
      }
      if (r.labels.flapping === 'true') lines.push(h('div', { class: 'muted' }, 'flapping: held firing until it settles'));
      return h('div', null, lines);
    }

    function annotationsCell(a: Labels): Child {
      const entries = Object.entries(a);
      if (!entries.length) return h('span', { class: 'muted' }, 'none');
      const order = (k: string) => (k === 'summary' ? 0 : k === 'description' ? 1 : 2);
      entries.sort(([x], [y]) => order(x) - order(y) || x.localeCompare(y));
      return h('div', { class: 'annotations' }, entries.map(([k, v]) => k === 'summary'
        ? h('div', { class: 'summary' }, v)
        : h('div', null, h('span', { class: 'muted' }, `${k}: `), /^https?:\/\//.test(v) ? h('a', { href: v, rel: 'noopener' }, v) : v)));
    }

    function actionsCell(r: Row): HTMLElement {
      const btns: Child[] = [];
      const ack = r.v2?.status.acknowledgement;
      if (r.v2 && r.state === 'firing') {
        const fp = r.v2.fingerprint;
        btns.push(ack
          ? h('button', { type: 'button', class: 'small', 'data-focus': `unack-${fp}`, 'aria-label': `Unacknowledge ${r.name}`, onclick: () => unacknowledge(r) }, 'Unacknowledge')
          : h('button', { type: 'button', class: 'small', 'data-focus': `ack-${fp}`, 'aria-label': `Acknowledge ${r.name}`, onclick: (e: Event) => openAck(r, e.currentTarget as HTMLElement) }, 'Acknowledge'));
      }
      btns.push(h('button', { type: 'button', class: 'small', 'data-focus': `sil-${r.key}`, 'aria-label': `Silence ${r.name}`, onclick: (e: Event) => openSilence(r, e.currentTarget as HTMLElement) }, 'Silence…'));
      return h('div', { class: 'actions' }, btns);
    }

    function renderGroups(built: Group[], app: string, stateFilter: string, configured: boolean, partialError: unknown): void {
      const parts: Child[] = [];
      if (partialError) parts.push(errorBox(partialError));
      if (!built.length) {
        const what = stateFilter === 'firing' ? 'firing' : stateFilter === 'pending' ? 'pending' : 'firing or pending';
        parts.push(empty(h('p', null, configured
          ? `No alert is ${what}${app ? ` with app="${app}"` : ''}. Alerts appear here as soon as a rule fires.`
          : 'No alerts: alerting is not configured (see above).')));
      }
      for (const g of built) {
        parts.push(h('div', { class: 'alert-group' },
          h('h3', null, g.title, ' ', h('span', { class: 'muted' }, `(${g.rows.length} alert${g.rows.length === 1 ? '' : 's'})`)),
          h('p', { class: 'muted group-note' }, g.note),
          table<Row>({
            name: 'alerts', caption: `Alerts: ${g.title}`, rows: g.rows,
            rowAttrs: (r) => ({ 'data-fingerprint': r.v2?.fingerprint, 'data-alertname': r.name, class: `alert-row ${r.state}` }),
            columns: [
              { label: 'alert', value: (r) => r.name, sort: (r) => r.name, cell: (r) => h('span', { class: 'alertname' }, r.name) },
              { label: 'state', value: (r) => r.state + (r.v2?.status.silencedBy.length ? ', silenced' : '') + (r.v2?.status.acknowledgement ? ', acknowledged' : ''), cell: statusCell, sort: (r) => r.state },
              { label: 'severity', value: (r) => r.severity, cell: (r) => severityBadge(r.severity), sort: (r) => SEVERITY_ORDER[r.severity] ?? 9 },
              { label: 'since', value: (r) => new Date(r.since * 1000).toISOString(), sort: (r) => r.since,
                cell: (r) => h('span', { class: 'since', title: new Date(r.since * 1000).toISOString() }, formatTime(r.since), h('br'), h('span', { class: 'muted' }, formatAgo(r.since))) },
              { label: 'value', value: (r) => r.value, numeric: true, sort: (r) => r.value ?? -Infinity, cell: (r) => h('span', { class: 'alert-value' }, r.value === null ? '–' : formatNumber(r.value)) },
              { label: 'labels', value: (r) => labelText(r.labels), cell: (r) => labelChips(r.labels) },
              { label: 'annotations', value: (r) => Object.entries(r.annotations).map(([k, v]) => `${k}: ${v}`).join('; '), cell: (r) => annotationsCell(r.annotations) },
              { label: 'actions', value: () => null, cell: actionsCell },
            ],
          })));
      }
      if (app) parts.push(h('p', { class: 'muted' }, `Only alerts with the label app="${app}" (the app picker above).`));
      replace(groups.body, parts);
    }

    function renderSilences(list: Silence[], routeGroups: V2Group[]): void {
      const showExpired = param('expired') === '1';
      const muted = new Map<string, number>();
      for (const g of routeGroups) for (const a of g.alerts) for (const id of a.status.silencedBy) muted.set(id, (muted.get(id) ?? 0) + 1);
      const shown = list.filter((s) => showExpired || s.status.state !== 'expired');
      const boxId = uid('expired');
      const toggle = h('span', { class: 'field' },
        h('input', { type: 'checkbox', id: boxId, checked: showExpired, onchange: (e: Event) => setParams({ expired: (e.target as HTMLInputElement).checked ? '1' : null }) }),
        h('label', { for: boxId }, 'show expired'));
      replace(silences.tools, toggle);
      const expiredN = list.length - list.filter((s) => s.status.state !== 'expired').length;
      replace(silences.body, table<Silence>({
        name: 'silences', caption: 'Silences', rows: shown,
        rowAttrs: (s) => ({ 'data-silence': s.id }),
        empty: empty(h('p', null, `No ${showExpired ? '' : 'active or pending '}silences.`, !showExpired && expiredN ? ` ${expiredN} expired (tick “show expired”).` : '',
          ' Silence an alert with its “Silence…” button above.')),
        columns: [
          { label: 'matchers', value: (s) => s.matchers.map(matcherText).join(', '), cell: (s) => h('span', { class: 'labels' }, s.matchers.map((m) => h('code', null, matcherText(m)))) },
          { label: 'state', value: (s) => s.status.state, sort: (s) => s.status.state },
          { label: 'mutes (alerts)', value: (s) => muted.get(s.id) ?? 0, numeric: true, sort: (s) => muted.get(s.id) ?? 0 },
          { label: 'created by', value: (s) => s.createdBy, sort: (s) => s.createdBy },
          { label: 'comment', value: (s) => s.comment },
          { label: 'starts', value: (s) => s.startsAt, sort: (s) => s.startsAt, cell: (s) => formatTime(unix(s.startsAt)) },
          { label: 'ends', value: (s) => s.endsAt, sort: (s) => s.endsAt, cell: (s) => h('span', null, formatTime(unix(s.endsAt)), h('br'), h('span', { class: 'muted' }, formatIn(unix(s.endsAt)))) },
          { label: 'actions', value: () => null, cell: (s) => s.status.state === 'expired' ? '' :
            h('button', { type: 'button', class: 'small', 'data-focus': `expire-${s.id}`, 'aria-label': `Expire silence ${s.matchers.map(matcherText).join(', ')}`, onclick: () => expire(s) }, 'Expire') },
        ],
      }));
    }

    function renderSlos(list: Slo[]): void {
      const burn = (o: Slo, w: string) => (o.burnRates?.[w] === null || o.burnRates?.[w] === undefined ? '–' : `${formatNumber(Number(o.burnRates[w]))}×`);
      replace(slos.body, table<Slo>({
        name: 'slos', caption: 'Service level objectives', rows: list,
        empty: empty(h('p', null, 'No SLOs configured. Add them under ', h('code', null, 'alerts.slo'), ' in perfwatch’s configuration (docs/alert-forms.md); each gets burn-rate alerts.')),
        columns: [
          { label: 'SLO', value: (o) => o.name, sort: (o) => o.name },
          { label: 'objective', value: (o) => `${o.objective} % over ${o.window}` },
          { label: 'SLI', value: (o) => pct(o.sli), numeric: true, sort: (o) => o.sli ?? -1 },
          { label: 'error budget left', value: (o) => pct(o.errorBudgetRemaining), numeric: true, sort: (o) => o.errorBudgetRemaining ?? -Infinity },
          { label: 'burn rate 1h / 6h', value: (o) => `${burn(o, '1h')} / ${burn(o, '6h')}`, numeric: true },
          { label: 'alerts', value: (o) => o.alerts.map((a) => `${a.severity}: ${a.state}`).join(', ') },
        ],
      }));
    }

    function renderRules(all: (Rule & { group: string; file: string })[]): void {
      const alerting = all.filter((r) => r.type === 'alerting');
      replace(rules.body, table({
        name: 'alerting-rules', caption: 'Alerting rules', rows: alerting,
        empty: empty(h('p', null, 'No alerting rules are loaded (rule_files and alerts: in the configuration, docs/alerting.md).')),
        columns: [
          { label: 'rule', value: (r) => r.name, sort: (r) => r.name },
          { label: 'group', value: (r) => r.group, sort: (r) => r.group },
          { label: 'state', value: (r) => r.state ?? '', sort: (r) => r.state ?? '' },
          { label: 'alerts', value: (r) => r.alerts?.length ?? 0, numeric: true, sort: (r) => r.alerts?.length ?? 0 },
          { label: 'for', value: (r) => (r.duration ? formatDuration(r.duration) : '0 s') },
          { label: 'health', value: (r) => r.health + (r.lastError ? `: ${r.lastError}` : ''), sort: (r) => r.health },
          { label: 'last evaluation', value: (r) => r.lastEvaluation, cell: (r) => (r.lastEvaluation.startsWith('0001-') ? 'never' : formatAgo(unix(r.lastEvaluation))) },
          { label: 'query', value: (r) => r.query, cell: (r) => h('code', { class: 'rule-query' }, r.query) },
        ],
      }));
    }

    // --- history: episodes of ALERTS{alertstate="firing"} over the last 7 days

    const historyLoad = new Loader(async (signal) => {
      const app = param('app') || '';
      // Rounded up: an alert that fired a moment ago has its ALERTS sample in range.
      const end = Math.ceil(Date.now() / 1000);
      const start = end - HISTORY_DAYS * 86400;
      const sel = `ALERTS{alertstate="firing"${app ? `,app="${app.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"` : ''}}`;
      const m = await get<Matrix>('/api/v1/query_range', { query: sel, start, end, step: HISTORY_STEP }, signal);
      interface Episode { name: string; labels: Labels; severity: string; start: number; end: number; firing: boolean }
      const episodes: Episode[] = [];
      const counts = new Map<number, number>();
      for (const s of m.result) {
        const labels = { ...s.metric };
        delete labels.__name__;
        delete labels.alertstate;
        let cur: Episode | null = null;
        for (const [t] of s.values) {
          counts.set(t, (counts.get(t) ?? 0) + 1);
          if (cur && t - cur.end <= HISTORY_STEP * 1.5) {
            cur.end = t;
          } else {
            cur = { name: labels.alertname ?? '', labels, severity: labels.severity ?? '', start: t, end: t, firing: false };
            episodes.push(cur);
          }
        }
        if (cur && end - cur.end < HISTORY_STEP) cur.firing = true;
      }
      // A still-firing episode starts when the pipeline says it did (finer than a step).
      for (const e of episodes) {
        if (!e.firing) continue;
        const r = lastRows.find((x) => x.state === 'firing' && x.name === e.name && Object.entries(e.labels).every(([k, v]) => x.labels[k] === v));
        const exact = r?.v2 ? unix(r.v2.startsAt) : r?.since;
        if (exact && Math.abs(exact - e.start) <= HISTORY_STEP) e.start = exact;
      }
      episodes.sort((a, b) => b.start - a.start);
      if (signal.aborted) return;
      const now = Date.now() / 1000;
      const note = h('p', { class: 'muted' },
        `Episodes of ${sel} from ${formatTime(start)} to now, at a resolution of ${HISTORY_STEP / 60} min (the start of a still-firing one is exact).`);
      const tbl = table<Episode>({
        name: 'alert-history', caption: `Firing episodes over the last ${HISTORY_DAYS} days`, rows: episodes,
        rowAttrs: (e) => ({ 'data-alertname': e.name, class: e.firing ? 'episode firing' : 'episode' }),
        empty: empty(h('p', null, `No alert fired in the last ${HISTORY_DAYS} days${app ? ` with app="${app}"` : ''}.`)),
        columns: [
          { label: 'alert', value: (e) => e.name, sort: (e) => e.name },
          { label: 'severity', value: (e) => e.severity, cell: (e) => severityBadge(e.severity), sort: (e) => SEVERITY_ORDER[e.severity] ?? 9 },
          { label: 'labels', value: (e) => labelText(e.labels, ['alertname', 'severity']), cell: (e) => labelChips(e.labels, ['alertname', 'severity']) },
          { label: 'start', value: (e) => new Date(e.start * 1000).toISOString(), cell: (e) => formatTime(e.start), sort: (e) => e.start },
          { label: 'end', value: (e) => (e.firing ? 'still firing' : new Date(e.end * 1000).toISOString()), cell: (e) => (e.firing ? h('strong', null, 'still firing') : formatTime(e.end)), sort: (e) => (e.firing ? Infinity : e.end) },
          { label: 'duration', value: (e) => formatDuration((e.firing ? now : e.end) - e.start), numeric: true, sort: (e) => (e.firing ? now : e.end) - e.start },
        ],
      });
      if (!episodes.length) {
        historyChart?.destroy();
        historyChart = null;
        replace(history.body, note, tbl);
        return;
      }
      const xs: number[] = [];
      for (let t = start; t <= end; t += HISTORY_STEP) xs.push(t);
      const spec = {
        name: 'alert-history-chart', title: `Number of firing alerts over the last ${HISTORY_DAYS} days`, x: xs, height: 180,
        series: [{ label: 'firing alerts', values: xs.map((t) => counts.get(t) ?? 0) }],
        yFormat: (v: number) => (Number.isInteger(v) ? String(v) : ''),
      };
      historyChart ??= new Chart(spec);
      replace(history.body, note, historyChart.el, tbl);
      historyChart.update(spec);
    }, () => history.body);

    // --- actions

    async function act(what: string, fn: () => Promise<unknown>): Promise<boolean> {
      try {
        await fn();
        say(what);
        return true;
      } catch (err) {
        say(`Failed: ${err instanceof Error ? err.message : String(err)}`);
        alertError(err);
        return false;
      } finally {
        void load.run();
        void historyLoad.run();
      }
    }

    function alertError(err: unknown): void {
      const box = errorBox(err);
      groups.body.prepend(box);
    }

    function unacknowledge(r: Row): void {
      focusKey = `ack-${r.v2!.fingerprint}`;
      void act(`Removed the acknowledgement of ${r.name}.`, () => call('DELETE', `/api/v1/alerts/${r.v2!.fingerprint}/ack`));
    }

    function expire(s: Silence): void {
      void act('Silence expired.', () => call('DELETE', `/api/v2/silence/${encodeURIComponent(s.id)}`));
    }

    function dialogButtons(dlg: HTMLDialogElement, submitText: string): HTMLElement {
      return h('div', { class: 'dialog-buttons' },
        h('button', { type: 'submit', class: 'primary' }, submitText),
        h('button', { type: 'button', onclick: () => dlg.close() }, 'Cancel'));
    }

    function openAck(r: Row, opener: HTMLElement): void {
      const fp = r.v2!.fingerprint;
      const cId = uid('ack-comment');
      const uId = uid('ack-until');
      const comment = h('textarea', { id: cId, name: 'comment', rows: 3, placeholder: 'who is on it, what is being done' });
      const until = h('select', { id: uId, name: 'until' },
        [['', 'until it resolves'], ['1h', '1 hour'], ['4h', '4 hours'], ['24h', '24 hours']].map(([v, t]) => h('option', { value: v }, t)));
      const msg = h('p', { class: 'field-error', role: 'alert' });
      const form = h('form', { method: 'dialog', onsubmit: async (e: Event) => {
        e.preventDefault();
        const body: Record<string, string> = { comment: comment.value.trim() };
        if (until.value) body.until = until.value;
        try {
          await call('POST', `/api/v1/alerts/${fp}/ack`, body);
        } catch (err) {
          msg.textContent = err instanceof Error ? err.message : String(err);
          return;
        }
        focusKey = `unack-${fp}`;
        ackDlg.close();
        say(`Acknowledged ${r.name}.`);
        void load.run();
      } },
      h('h2', { id: 'ack-title' }, `Acknowledge ${r.name}`),
      h('p', { class: 'muted' }, 'Stops repeat notifications and escalation of this alert until it resolves (or the time below); everyone sees who is on it.'),
      h('p', null, labelChips(r.labels, [])),
      h('div', { class: 'form-row' }, h('label', { for: cId }, 'Comment'), comment),
      h('div', { class: 'form-row' }, h('label', { for: uId }, 'For'), until),
      msg, dialogButtons(ackDlg, 'Acknowledge'));
      replace(ackDlg, form);
      ackDlg.onclose = () => { if (opener.isConnected) opener.focus(); };
      ackDlg.showModal();
      comment.focus();
    }

    function openSilence(r: Row, opener: HTMLElement): void {
      const list = h('div', { class: 'matchers' });
      const preview = h('p', { class: 'muted', 'aria-live': 'polite' });
      const rowsOf = (): HTMLElement[] => [...list.querySelectorAll<HTMLElement>('.matcher')];
      const read = (): Matcher[] => rowsOf().map((el) => {
        const op = (el.querySelector('select') as HTMLSelectElement).value;
        const [n, v] = [...el.querySelectorAll('input')].map((i) => (i as HTMLInputElement).value);
        return { name: n.trim(), value: v, isRegex: op.endsWith('~'), isEqual: !op.startsWith('!') };
      });
      const updatePreview = (): void => {
        const ms = read().filter((m) => m.name);
        const hit = lastRows.filter((x) => ms.length && ms.every((m) => matches(m, x.labels)));
        preview.textContent = ms.length === 0 ? 'Add at least one matcher.'
          : `Matches ${hit.length} of the alerts shown now${hit.length ? `: ${[...new Set(hit.map((x) => x.name))].join(', ')}` : ''}.`;
      };
      const addRow = (name: string, value: string, op = '='): void => {
        const n = rowsOf().length + 1;
        const nameId = uid('m-name');
        const opId = uid('m-op');
        const valId = uid('m-val');
        const el = h('div', { class: 'matcher' },
          h('span', { class: 'field' }, h('label', { for: nameId }, `label ${n}`), h('input', { id: nameId, value: name, required: true, size: 12, spellcheck: 'false', oninput: updatePreview })),
          h('span', { class: 'field' }, h('label', { for: opId, class: 'sr-only' }, `operator ${n}`),
            h('select', { id: opId, onchange: updatePreview }, ['=', '!=', '=~', '!~'].map((o) => h('option', { value: o, selected: o === op }, o)))),
          h('span', { class: 'field' }, h('label', { for: valId, class: 'sr-only' }, `value ${n}`), h('input', { id: valId, value, size: 18, spellcheck: 'false', oninput: updatePreview })),
          h('button', { type: 'button', class: 'small', 'aria-label': `Remove matcher ${n} (${name || 'new'})`, onclick: () => { el.remove(); updatePreview(); } }, 'Remove'));
        list.append(el);
      };
      for (const [k, v] of Object.entries(r.labels).sort(([a], [b]) => (a === 'alertname' ? -1 : b === 'alertname' ? 1 : a.localeCompare(b)))) addRow(k, v);

      const dId = uid('sil-dur');
      const cdId = uid('sil-custom');
      const byId = uid('sil-by');
      const cId = uid('sil-comment');
      const duration = h('select', { id: dId, name: 'duration' },
        [['30m', '30 minutes'], ['1h', '1 hour'], ['2h', '2 hours'], ['4h', '4 hours'], ['8h', '8 hours'], ['24h', '1 day'], ['72h', '3 days'], ['168h', '7 days'], ['custom', 'other…']]
          .map(([v, t]) => h('option', { value: v, selected: v === '2h' }, t)));
      const custom = h('input', { id: cdId, name: 'custom-duration', placeholder: 'e.g. 90m, 3d', size: 10 });
      const customBox = h('span', { class: 'field', hidden: true }, h('label', { for: cdId }, 'custom duration'), custom);
      duration.addEventListener('change', () => { customBox.hidden = duration.value !== 'custom'; if (!customBox.hidden) custom.focus(); });
      const by = h('input', { id: byId, name: 'createdBy', value: localStorage.getItem('perfwatch.silence.by') || 'dashboard', required: true, size: 16 });
      const comment = h('textarea', { id: cId, name: 'comment', rows: 3, required: true, placeholder: 'why it is silenced (required)' });
      const msg = h('p', { class: 'field-error', role: 'alert' });
      const form = h('form', { method: 'dialog', onsubmit: async (e: Event) => {
        e.preventDefault();
        const ms = read();
        if (!ms.length || ms.some((m) => !m.name)) {
          msg.textContent = 'Every matcher needs a label name, and at least one matcher is needed.';
          return;
        }
        const secs = duration.value === 'custom' ? parseDuration(custom.value.trim()) : parseDuration(duration.value);
        if (!secs || secs <= 0) {
          msg.textContent = 'The duration must be like 90m, 2h or 3d.';
          custom.focus();
          return;
        }
        if (!comment.value.trim()) {
          msg.textContent = 'A comment is required: say why the alert is silenced.';
          comment.focus();
          return;
        }
        const now = Date.now();
        try {
          await call('POST', '/api/v2/silences', {
            matchers: ms, startsAt: new Date(now).toISOString(), endsAt: new Date(now + secs * 1000).toISOString(),
            createdBy: by.value.trim() || 'dashboard', comment: comment.value.trim(),
          });
        } catch (err) {
          msg.textContent = err instanceof Error ? err.message : String(err);
          return;
        }
        try {
          localStorage.setItem('perfwatch.silence.by', by.value.trim());
        } catch {
          // private mode: not remembered
        }
        silDlg.close();
        say(`Silence created for ${formatDuration(secs)}.`);
        void load.run();
      } },
      h('h2', { id: 'silence-title' }, `Silence ${r.name}`),
      h('p', { class: 'muted' }, 'Mutes every alert whose labels match all the matchers (prefilled with this alert’s labels: remove some to silence more).'),
      h('fieldset', null, h('legend', null, 'Matchers'), list,
        h('button', { type: 'button', class: 'small', onclick: () => { addRow('', ''); updatePreview(); (list.lastElementChild?.querySelector('input') as HTMLInputElement | null)?.focus(); } }, 'Add matcher'),
        preview),
      h('div', { class: 'form-row' }, h('label', { for: dId }, 'Duration'), duration, customBox),
      h('div', { class: 'form-row' }, h('label', { for: byId }, 'Created by'), by),
      h('div', { class: 'form-row' }, h('label', { for: cId }, 'Comment'), comment),
      msg, dialogButtons(silDlg, 'Create silence'));
      updatePreview();
      replace(silDlg, form);
      silDlg.onclose = () => { if (opener.isConnected) opener.focus(); else root.querySelector<HTMLElement>(`[data-focus="${CSS.escape(`sil-${r.key}`)}"]`)?.focus(); };
      silDlg.showModal();
      comment.focus();
    }

    // --- wiring

    renderStatePicker();
    void load.run();
    void historyLoad.run();
    // Alert state changes arrive on the stream; pending alerts, acknowledgements made
    // elsewhere and the "ago" texts are refreshed by a slow timer as a backstop.
    let later: ReturnType<typeof setTimeout> | null = null;
    const refresh = throttle(() => {
      void load.run();
      void historyLoad.run();
    }, 1000);
    const off = on('alerts', () => {
      refresh();
      // The ALERTS sample of an alert that just changed may land a moment after the event.
      if (later) clearTimeout(later);
      later = setTimeout(() => void historyLoad.run(), 3000);
    });
    const timer = setInterval(() => {
      if (document.visibilityState === 'visible' && !ackDlg.open && !silDlg.open) refresh();
    }, 30000);

    return {
      update() {
        renderStatePicker();
        void load.run();
        void historyLoad.run();
      },
      destroy() {
        off();
        clearInterval(timer);
        if (later) clearTimeout(later);
        load.stop();
        historyLoad.stop();
        historyChart?.destroy();
        if (ackDlg.open) ackDlg.close();
        if (silDlg.open) silDlg.close();
      },
    };
  },
};
