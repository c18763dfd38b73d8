// Checks (/checks, tracker issue 18 item 5): the synthetic checks (docs/synthetic.md) from
// GET /api/v1/checks: one row per check with its kind, target, state written out (up /
// down / pending), last run, last duration, uptime over 24 h and 90 days and where it was
// defined (YAML or API); CSV/JSON export. Selecting a check (`check` in the URL) loads
// GET /api/v1/checks/{name}: its facts, a "Run now" button (POST /api/v1/checks/{name}/run,
// admin scope: the server's refusal is shown), the duration of each run by phase (HTTP:
// resolve, connect, tls, processing, transfer) or by step (browser) as a stacked chart, a
// strip of the recent runs' outcomes, and the last failures with their error, response
// (status, headers, the body as text), console errors and screenshot. The app picker and
// the time window do not apply (a check's history is its last runs). Reloads every 10 s
// while the tab is visible. With no check, the empty state says how to add one.
import './checks.css';

import { ApiError, get, send } from '../api';
import { Chart, type ChartSeries } from '../chart';
import { empty, h, loading, replace, section, type Child } from '../dom';
import { formatAgo, formatCount, formatTime } from '../format';
import { Loader, type PageDef } from '../page';
import { linkTo, param, setParams } from '../state';
import { table } from '../table';
import { formatDurationMs } from './apm-common';

export type CheckState = 'up' | 'down' | 'pending';

/** One entry of GET /api/v1/checks. */
export interface CheckEntry {
  name: string;
  kind: 'http' | 'browser';
  interval: string;
  source: 'config' | 'api';
  target: string;
  state: CheckState;
  last_run: number | null; // Unix seconds
  last_duration: number | null; // seconds
  last_error: string;
  uptime_24h: number | null; // ratio
  uptime_90d: number | null;
  spec?: Record<string, unknown>;
}

export interface HttpPhases {
  resolve: number;
  connect: number;
  tls: number;
  processing: number;
  transfer: number;
}

export interface StepRun {
  name: string;
  ok: boolean;
  duration: number; // seconds
  error: string;
}

/** One run in `history` (and the answer of POST …/run, with the failure's extras). */
export interface CheckRun {
  time: number; // Unix seconds (ms precision)
  success: boolean;
  duration: number; // seconds
  error: string;
  failed_assertion?: number;
  retried: boolean;
  status_code?: number;
  phases?: HttpPhases;
  redirects?: number;
  http_version?: number;
  cert_expiry?: number;
  vitals?: Record<string, number>; // lcp, fcp, ttfb in ms; cls unitless
  steps?: StepRun[];
}

export interface CheckFailure extends CheckRun {
  response?: { status: number; headers: [string, string][]; body: string };
  console_errors?: string[];
  resources?: string;
  screenshot: string | null; // URL of the PNG
}

export interface CheckDetail extends CheckEntry {
  history: CheckRun[]; // oldest first
  failures: CheckFailure[]; // oldest first
}

export const PHASES: (keyof HttpPhases)[] = ['resolve', 'connect', 'tls', 'processing', 'transfer'];
/** How many of the latest runs the outcome strip shows. */
const STRIP_RUNS = 120;
const REFRESH_MS = 10000;

/** Uptime as a percentage with two decimals ("99.95 %", "100 %"); "no data" before any run. */
export function formatUptime(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return 'no data';
  if (v >= 1) return '100 %';
  return `${(Math.floor(v * 10000) / 100).toFixed(2)} %`;
}

/** Seconds as a duration people read ("12.3 ms", "1.25 s"); "–" for none. */
export function formatSecs(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '–';
  return formatDurationMs(s * 1000);
}

function stateBadge(state: string): HTMLElement {
  const cls = state === 'up' ? 'st-up' : state === 'down' ? 'st-down' : 'st-pending';
  return h('span', { class: `cstate ${cls}`, 'data-state': state }, state);
}

function sourceText(s: string): string {
  return s === 'api' ? 'API' : s === 'config' ? 'YAML' : s;
}

function emptyState(): HTMLElement {
  const yaml = `synthetic:
  checks:
    - name: homepage
      interval: 1m
      http:
        url: https://shop.example.com/
      assert:
        - status: 200
        - max_duration: 2s`;
  const curl = `curl -X POST ${location.origin}/api/v1/checks \\
  -H "Authorization: Bearer $PERFWATCH_ADMIN_TOKEN" -H 'Content-Type: application/json' \\
  -d '{"name": "api-health", "interval": "30s", "http": {"url": "https://api.example.com/health"}, "assert": [{"status": 200}]}'`;
  return empty(
    h('p', null, h('strong', null, 'No checks yet.')),
    h('p', null, 'Add HTTP or browser checks under ', h('code', null, 'synthetic.checks'), ' in the YAML configuration, then reload the server:'),
    h('pre', null, h('code', null, yaml)),
    h('p', null, 'Or create one at run time with ', h('code', null, 'POST /api/v1/checks'), ' (a token with the ', h('code', null, 'admin'), ' scope):'),
    h('pre', null, h('code', null, curl)),
    h('p', null, 'Assertions, browser steps, intervals and the public status page (', h('a', { href: '/status' }, '/status'), '): see ',
      h('code', null, 'docs/synthetic.md'), '.'));
}

/** The names of a browser check's `measure` steps (spans over other steps: not stacked with them). */
function measureNames(spec: Record<string, unknown> | undefined): Set<string> {
  const browser = spec?.browser as { steps?: Record<string, unknown>[] } | undefined;
  return new Set((browser?.steps ?? []).filter((s) => typeof s?.measure === 'string').map((s) => s.measure as string));
}

/**
 * The stacked series of the duration chart, in ms: HTTP phases, or a browser check's steps
 * in first-seen order (without its `measure` steps, which overlap the others), or the
 * whole run for a browser check without steps.
 */
export function durationSeries(d: CheckDetail): { series: ChartSeries[]; what: string } {
  const runs = d.history;
  if (d.kind === 'browser') {
    const names: string[] = [];
    const measures = measureNames(d.spec);
    for (const r of runs) for (const s of r.steps ?? []) if (!names.includes(s.name) && !measures.has(s.name)) names.push(s.name);
    if (names.length) {
      return {
        what: 'step',
        series: names.map((n) => ({
          label: n,
          values: runs.map((r) => {
            const s = r.steps?.find((x) => x.name === n);
            return s ? +(s.duration * 1000).toFixed(3) : null;
          }),
        })),
      };
    }
    return { what: 'run', series: [{ label: 'duration', values: runs.map((r) => +(r.duration * 1000).toFixed(3)) }] };
  }
  return {
    what: 'phase',
    series: PHASES.map((p) => ({ label: p, values: runs.map((r) => (r.phases ? +(r.phases[p] * 1000).toFixed(3) : null)) })),
  };
}

function strip(runs: CheckRun[]): HTMLElement {
  const last = runs.slice(-STRIP_RUNS);
  const ok = last.filter((r) => r.success).length;
  if (!last.length) return h('p', { class: 'muted', 'data-strip': '' }, 'No run yet.');
  const label = `Outcomes of the last ${last.length} runs, oldest first: ${ok} succeeded, ${last.length - ok} failed`;
  return h('div', { class: 'strip-wrap' },
    h('div', { class: 'strip', role: 'img', 'aria-label': label },
      last.map((r) => h('span', { class: r.success ? 'ok' : 'fail', title: `${formatTime(r.time)}: ${r.success ? 'up' : `down: ${r.error}`} (${formatSecs(r.duration)})` }))),
    h('p', { class: 'small muted', 'data-strip': '' },
      `${formatCount(ok)} of ${formatCount(last.length)} recent runs succeeded${last.length - ok ? `; ${formatCount(last.length - ok)} failed (red)` : ''}.`));
}

function headersTable(headers: [string, string][]): HTMLElement {
  return h('div', { class: 'scroll-x' }, h('table', { class: 'data headers' },
    h('caption', { class: 'sr-only' }, 'Response headers'),
    h('thead', null, h('tr', null, h('th', { scope: 'col' }, 'header'), h('th', { scope: 'col' }, 'value'))),
    h('tbody', null, headers.map(([k, v]) => h('tr', null, h('th', { scope: 'row' }, h('code', null, k)), h('td', null, h('code', null, v)))))));
}

function stepsList(steps: StepRun[]): HTMLElement {
  return h('ol', { class: 'steps' }, steps.map((s) => h('li', { 'data-step': s.name, class: s.ok ? undefined : 'failed' },
    h('span', { class: 'step-name' }, s.name), ' ', stateBadge(s.ok ? 'up' : 'down'), ' ',
    h('span', { class: 'muted' }, formatSecs(s.duration)),
    s.error ? h('span', { class: 'error-text' }, ` ${s.error}`) : null)));
}

function failureView(checkName: string, f: CheckFailure, open: boolean, onToggle: (open: boolean) => void): HTMLElement {
  const parts: Child[] = [];
  const facts: Child[] = [
    h('dt', null, 'time'), h('dd', null, `${formatTime(f.time)} (${formatAgo(f.time)})`),
    h('dt', null, 'error'), h('dd', { class: 'error-text', 'data-error': '' }, f.error || '–'),
    h('dt', null, 'duration'), h('dd', null, formatSecs(f.duration)),
    h('dt', null, 'retried'), h('dd', null, f.retried ? 'yes: failed twice in a row (the run is retried once at once)' : 'no'),
  ];
  if (f.status_code !== undefined) facts.push(h('dt', null, 'status code'), h('dd', { 'data-status-code': '' }, f.status_code ? String(f.status_code) : 'no response'));
  parts.push(h('dl', { class: 'kv' }, facts));
  if (f.response) {
    parts.push(
      h('h4', null, `Response: HTTP ${f.response.status}`),
      f.response.headers.length ? headersTable(f.response.headers) : h('p', { class: 'muted' }, 'No headers.'),
      h('h4', null, 'Body (first 4 KiB, as text)'),
      f.response.body ? h('pre', { class: 'body', tabindex: 0, 'aria-label': `Response body of ${checkName} at ${formatTime(f.time)}` }, f.response.body)
        : h('p', { class: 'muted' }, 'Empty body.'));
  }
  if (f.steps?.length) parts.push(h('h4', null, 'Steps'), stepsList(f.steps));
  if (f.console_errors?.length) {
    parts.push(h('h4', null, `Console errors (${f.console_errors.length})`),
      h('ul', { class: 'console' }, f.console_errors.map((e) => h('li', null, h('code', null, e)))));
  }
  if (f.screenshot) {
    const alt = `Screenshot of the page when ${checkName} failed at ${formatTime(f.time)}`;
    parts.push(h('h4', null, 'Screenshot'),
      h('a', { href: f.screenshot, target: '_blank', rel: 'noopener', class: 'shot' }, h('img', { src: f.screenshot, alt, loading: 'lazy' })));
  }
  const det = h('details', { class: 'failure', 'data-failure': String(f.time), open },
    h('summary', null, h('span', { class: 'when' }, formatTime(f.time)), ' ', h('span', { class: 'error-text' }, f.error || 'failed')),
    parts);
  det.addEventListener('toggle', () => onToggle(det.open));
  return det;
}

export const checksPage: PageDef = {
  path: '/checks',
  title: 'Checks',
  mount(root) {
    root.classList.add('checks');
    const heading = h('h1', null, 'Checks');
    const note = h('p', { class: 'muted' },
      'Synthetic checks: HTTP probes and real-browser runs on their intervals (a failed run is retried once at once before it counts). ',
      'The public status page is at ', h('a', { href: '/status' }, '/status'), '. Refreshed every 10 s.');
    const updated = h('span', { class: 'muted', role: 'status' });
    const list = section('All checks');
    const detail = section('Check');
    list.tools.append(updated);
    list.body.append(loading('checks'));
    detail.el.hidden = true;
    detail.el.setAttribute('data-detail', '');
    root.append(heading, note, list.el, detail.el);

    const runBtn = h('button', { type: 'button', class: 'primary', 'data-run': '' }, 'Run now');
    const runMsg = h('span', { class: 'run-msg', role: 'status', 'aria-live': 'polite' });
    detail.tools.append(runMsg, runBtn);

    const chart = new Chart({ name: 'check-durations', title: '', x: [], series: [] });
    let checks: CheckEntry[] | null = null;
    let shown: CheckDetail | null = null;
    let running = false;
    const opened = new Map<string, Set<number>>(); // check → failure times the user toggled open
    const closed = new Map<string, Set<number>>(); // … or closed

    function current(): string | null {
      return param('check') || null;
    }

    function renderList(): void {
      if (!checks) return;
      const sel = current();
      if (!checks.length) {
        replace(list.body, emptyState());
        return;
      }
      const down = checks.filter((c) => c.state === 'down').length;
      replace(list.body,
        h('p', { 'data-summary': '' }, down ? `${down} of ${checks.length} checks failing.` : `${checks.length} check${checks.length === 1 ? '' : 's'}, none failing.`),
        table<CheckEntry>({
          name: 'checks',
          caption: 'Synthetic checks: name, kind, target, state, last run, last duration, uptime over 24 hours and 90 days, and where each is defined. Select a name to see its runs.',
          rows: checks,
          rowAttrs: (c) => ({ 'data-check': c.name, 'data-state': c.state, class: c.name === sel ? 'current-check' : undefined }),
          columns: [
            { label: 'name', value: (c) => c.name, sort: (c) => c.name,
              cell: (c) => h('a', { href: linkTo('/checks', { check: c.name }), 'aria-current': c.name === sel ? 'true' : undefined,
                onclick: (e: MouseEvent) => {
                  if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
                  e.preventDefault();
                  setParams({ check: c.name });
                } }, c.name) },
            { label: 'kind', value: (c) => c.kind, sort: (c) => c.kind },
            { label: 'target', value: (c) => c.target, cell: (c) => h('code', { class: 'target' }, c.target), sort: (c) => c.target },
            { label: 'state', value: (c) => c.state, cell: (c) => stateBadge(c.state), sort: (c) => ({ down: 0, pending: 1, up: 2 })[c.state] ?? 3 },
            { label: 'last run', value: (c) => (c.last_run === null ? null : new Date(c.last_run * 1000).toISOString()),
              cell: (c) => (c.last_run === null ? 'never' : h('time', { datetime: new Date(c.last_run * 1000).toISOString(), title: formatTime(c.last_run) }, formatAgo(c.last_run))),
              sort: (c) => c.last_run ?? 0 },
            { label: 'last duration (ms)', value: (c) => (c.last_duration === null ? null : +(c.last_duration * 1000).toFixed(3)),
              cell: (c) => formatSecs(c.last_duration), numeric: true, sort: (c) => c.last_duration ?? -1 },
            { label: 'uptime 24 h (%)', value: (c) => (c.uptime_24h === null ? null : +(c.uptime_24h * 100).toFixed(3)),
              cell: (c) => formatUptime(c.uptime_24h), numeric: true, sort: (c) => c.uptime_24h ?? -1 },
            { label: 'uptime 90 d (%)', value: (c) => (c.uptime_90d === null ? null : +(c.uptime_90d * 100).toFixed(3)),
              cell: (c) => formatUptime(c.uptime_90d), numeric: true, sort: (c) => c.uptime_90d ?? -1 },
            { label: 'source', value: (c) => sourceText(c.source), sort: (c) => c.source },
            { label: 'last error', value: (c) => c.last_error || null, cell: (c) => (c.last_error ? h('span', { class: 'error-text' }, c.last_error) : '–') },
          ],
        }));
    }

    function renderDetail(d: CheckDetail): void {
      shown = d;
      detail.el.hidden = false;
      detail.el.querySelector('h2')!.textContent = `Check ${d.name}`;
      runBtn.disabled = running;
      const last = d.history[d.history.length - 1];
      const facts: Child[] = [
        h('dt', null, 'state'), h('dd', null, stateBadge(d.state)),
        h('dt', null, 'kind'), h('dd', null, d.kind === 'http' ? 'HTTP' : 'browser'),
        h('dt', null, 'target'), h('dd', null, h('code', null, d.target)),
        h('dt', null, 'interval'), h('dd', null, d.interval),
        h('dt', null, 'defined in'), h('dd', null, d.source === 'api' ? 'the API (POST /api/v1/checks)' : 'the YAML configuration'),
        h('dt', null, 'last run'), h('dd', null, d.last_run === null ? 'never' : `${formatTime(d.last_run)} (${formatAgo(d.last_run)}), ${formatSecs(d.last_duration)}`),
        h('dt', null, 'uptime'), h('dd', null, `${formatUptime(d.uptime_24h)} over 24 h · ${formatUptime(d.uptime_90d)} over 90 days`),
      ];
      if (d.last_error) facts.push(h('dt', null, 'last error'), h('dd', { class: 'error-text' }, d.last_error));
      if (last?.status_code) facts.push(h('dt', null, 'last status'), h('dd', null, String(last.status_code)));
      if (last?.vitals && Object.keys(last.vitals).length) {
        const v = last.vitals;
        const txt = ['lcp', 'fcp', 'ttfb'].filter((k) => typeof v[k] === 'number').map((k) => `${k.toUpperCase()} ${formatDurationMs(v[k])}`);
        if (typeof v.cls === 'number') txt.push(`CLS ${v.cls.toFixed(3)}`);
        facts.push(h('dt', null, 'last vitals'), h('dd', null, txt.join(' · ')));
      }

      const { series, what } = durationSeries(d);
      const chartBox = d.history.length
        ? h('div', null, h('h3', null, d.kind === 'browser' ? 'Duration by step' : 'Duration by phase'), chart.el)
        : h('div', null, h('h3', null, 'Duration'), empty('No run yet: the first one comes within one interval (', d.interval, ').'));

      const failures = d.failures.slice().reverse();
      const op = opened.get(d.name) ?? new Set<number>();
      const cl = closed.get(d.name) ?? new Set<number>();
      opened.set(d.name, op);
      closed.set(d.name, cl);
      const failureBox = h('div', { class: 'failures' },
        h('h3', null, `Last failures (${failures.length})`),
        failures.length
          ? failures.map((f, i) => failureView(d.name, f, op.has(f.time) || (i === 0 && !cl.has(f.time)), (isOpen) => {
            if (isOpen) { op.add(f.time); cl.delete(f.time); } else { cl.add(f.time); op.delete(f.time); }
          }))
          : h('p', { class: 'muted' }, 'No failure kept: the last 20 failures are kept with their response or screenshot.'));

      replace(detail.body,
        h('dl', { class: 'kv facts' }, facts),
        chartBox,
        h('h3', null, 'Recent runs'),
        strip(d.history),
        failureBox);
      if (d.history.length) {
        chart.update({
          name: `check-${d.name}-${what}s`,
          title: `Duration of each run of ${d.name} by ${what}, stacked, in ms, over its last ${d.history.length} runs`,
          x: d.history.map((r) => r.time),
          series,
          stacked: series.length > 1,
          yFormat: (v) => formatDurationMs(v),
          yLabel: 'ms',
          height: 240,
        });
      }
    }

    const listLoad = new Loader(async (signal) => {
      const data = await get<CheckEntry[]>('/api/v1/checks', {}, signal);
      checks = (data ?? []).filter((c) => c && typeof c.name === 'string');
      updated.textContent = `Updated ${formatTime(Date.now() / 1000)}`;
      renderList();
    }, () => list.body);

    const detailLoad = new Loader(async (signal) => {
      const name = current();
      if (!name) {
        shown = null;
        detail.el.hidden = true;
        return;
      }
      if (shown?.name !== name) {
        detail.el.hidden = false;
        detail.el.querySelector('h2')!.textContent = `Check ${name}`;
        runMsg.textContent = '';
        replace(detail.body, loading(`check ${name}`));
      }
      try {
        renderDetail(await get<CheckDetail>(`/api/v1/checks/${encodeURIComponent(name)}`, {}, signal));
      } catch (err) {
        if (err instanceof ApiError && err.status === 404) {
          shown = null;
          runBtn.disabled = true;
          replace(detail.body, empty(h('p', null, `No check named “${name}”. `, h('a', { href: linkTo('/checks'), onclick: (e: MouseEvent) => {
            e.preventDefault();
            setParams({ check: null });
          } }, 'Show all checks'), '.')));
          return;
        }
        throw err;
      }
    }, () => detail.body);

    runBtn.addEventListener('click', async () => {
      const name = current();
      if (!name || running) return;
      running = true;
      runBtn.disabled = true;
      runMsg.className = 'run-msg';
      runMsg.textContent = `Running ${name}…`;
      try {
        const r = await send<CheckRun>('POST', `/api/v1/checks/${encodeURIComponent(name)}/run`);
        if (current() !== name) return;
        runMsg.className = `run-msg ${r.success ? 'ok' : 'bad'}`;
        runMsg.textContent = r.success
          ? `Run finished: up in ${formatSecs(r.duration)}${r.status_code ? ` (HTTP ${r.status_code})` : ''}.`
          : `Run finished: down after ${formatSecs(r.duration)}: ${r.error}${r.retried ? ' (retried once)' : ''}.`;
        void listLoad.run();
        void detailLoad.run();
      } catch (err) {
        if (current() !== name) return;
        runMsg.className = 'run-msg bad';
        const msg = err instanceof Error ? err.message : String(err);
        runMsg.textContent = err instanceof ApiError && (err.status === 401 || err.status === 403)
          ? `Run now needs a token with the admin scope: ${msg}`
          : `Run now failed: ${msg}`;
      } finally {
        running = false;
        runBtn.disabled = false;
      }
    });

    const timer = setInterval(() => {
      if (document.visibilityState !== 'visible') return;
      void listLoad.run();
      void detailLoad.run();
    }, REFRESH_MS);
    void listLoad.run();
    void detailLoad.run();
    return {
      update() {
        // `check` changed (or the shared pickers, which do not apply): mark the row, load the detail.
        if (shown && shown.name !== current()) runMsg.textContent = '';
        renderList();
        void detailLoad.run();
      },
      destroy() {
        clearInterval(timer);
        listLoad.stop();
        detailLoad.stop();
        chart.destroy();
        root.classList.remove('checks');
      },
    };
  },
};
