// Explore: a PromQL box with autocompletion (metric, function, label names and values from
// the server's APIs), a table of the instant query and a graph of the range query over the
// header's time window, as Prometheus' own graph page does. Query errors appear under the
// box with the server's message and, for parse errors, the place marked. The URL holds the
// state: q, tab=table|graph, stacked=1, step, live=1 (and the header's window/from/to).
// Live: the server re-evaluates the expression while a stream is open
// (GET /api/v1/stream?types=query&watch=…) and says when its result changed; the page then
// redraws. A server without watched queries: the page re-runs the query every 10 s while
// the browser tab is visible.
import { ApiError, get, isAbort, query as queryString } from '../api';
import { Chart } from '../chart';
import { h, replace, uid } from '../dom';
import { formatTime } from '../format';
import type { PageDef } from '../page';
import { param, parseDuration, setParams, timeRange } from '../state';
import { attachCompletion, Catalog } from './explore-complete';
import { autoStep, chartSpec, errorPosition, formatStep, markedExpr, resultTable, type QueryData } from './explore-result';

type Tab = 'table' | 'graph';
const POLL_MS = 10_000;
const WATCH_WAIT_MS = 8_000; // no first `query` event by then: poll instead
const EXAMPLES = ['up', 'sum by (job) (rate(perfwatch_http_requests_total[5m]))', 'histogram_quantile(0.75, sum by (le, app) (rate(rum_lcp_seconds_bucket[1h])))'];

function tabParam(): Tab {
  return param('tab') === 'graph' ? 'graph' : 'table';
}

export const explorePage: PageDef = {
  path: '/explore',
  title: 'Explore',
  mount(root) {
    const catalog = new Catalog();
    const inputId = uid('promql');
    const hintId = uid('promql-hint');
    const errorId = uid('promql-error');
    const input = h('input', {
      id: inputId, type: 'text', name: 'q', class: 'promql', spellcheck: 'false', autocomplete: 'off',
      autocapitalize: 'off', 'aria-describedby': hintId, placeholder: 'e.g. rate(perfwatch_http_requests_total[5m])',
    });
    const errorArea = h('div', { id: errorId, class: 'query-error' });
    const completion = attachCompletion(input, catalog, () => submit());
    const runButton = h('button', { type: 'submit', class: 'primary' }, 'Execute');
    const form = h('form', { class: 'query-form card', onsubmit: (e: Event) => { e.preventDefault(); submit(); } },
      h('label', { for: inputId, class: 'query-label' }, 'PromQL expression'),
      h('div', { class: 'query-row' }, h('div', { class: 'combo' }, input, completion.list), runButton),
      h('p', { id: hintId, class: 'hint muted' },
        'Enter runs the query. Suggestions appear as you type: ↓ and ↑ choose one, Enter or Tab accepts it, Esc closes the list, Ctrl+Space asks for them.'),
      errorArea);

    // Tabs (WAI-ARIA tabs: arrow keys move between them).
    const panelId = uid('explore-panel');
    const tabIds: Record<Tab, string> = { table: uid('tab-table'), graph: uid('tab-graph') };
    const tabs = (['table', 'graph'] as Tab[]).map((t) => h('button', {
      type: 'button', role: 'tab', id: tabIds[t], 'aria-controls': panelId, class: 'tab',
      onclick: () => setParams({ tab: t === 'table' ? null : t }),
      onkeydown: (e: KeyboardEvent) => {
        if (e.key !== 'ArrowLeft' && e.key !== 'ArrowRight' && e.key !== 'Home' && e.key !== 'End') return;
        e.preventDefault();
        const next: Tab = e.key === 'Home' ? 'table' : e.key === 'End' ? 'graph' : t === 'table' ? 'graph' : 'table';
        setParams({ tab: next === 'table' ? null : next });
        document.getElementById(tabIds[next])?.focus();
      },
    }, t === 'table' ? 'Table' : 'Graph'));
    const tabList = h('div', { role: 'tablist', 'aria-label': 'Result view', class: 'tabs' }, tabs);

    const tools = h('div', { class: 'toolbar explore-tools' });
    const info = h('p', { class: 'muted result-info', role: 'status' });
    const body = h('div', { class: 'result-body' });
    const panel = h('div', { role: 'tabpanel', id: panelId, class: 'card explore-panel' }, tools, info, body);
    root.append(h('h1', null, 'Explore'), form, tabList, panel);

    let chart: Chart | null = null;
    let ctl: AbortController | null = null;
    let lastTab: Tab | null = null;
    let stream: EventSource | null = null;
    let streamKey = '';
    let pollTimer: ReturnType<typeof setInterval> | null = null;
    let liveNote = '';
    let pending = false; // a live redraw asked for while one runs
    let running = false;

    // --- graph tools: step, stacked, live
    const stepId = uid('step');
    const stepInput = h('input', { id: stepId, type: 'text', class: 'narrow', name: 'step', inputmode: 'text', spellcheck: 'false' });
    const stepErr = h('span', { class: 'field-error', role: 'alert' });
    const applyStep = () => {
      const v = stepInput.value.trim();
      if (v && !(Number(v) > 0) && !(parseDuration(v) ?? 0)) {
        stepErr.textContent = 'A step is seconds (15) or a duration (1m, 1h).';
        return;
      }
      stepErr.textContent = '';
      setParams({ step: v || null });
    };
    stepInput.addEventListener('change', applyStep);
    stepInput.addEventListener('keydown', (e) => {
      if (e.key === 'Enter') {
        e.preventDefault();
        applyStep();
      }
    });
    const stackedId = uid('stacked');
    const stackedBox = h('input', { id: stackedId, type: 'checkbox', name: 'stacked', onchange: () => setParams({ stacked: stackedBox.checked ? '1' : null }) });
    const liveId = uid('live');
    const liveBox = h('input', { id: liveId, type: 'checkbox', name: 'live', onchange: () => setParams({ live: liveBox.checked ? '1' : null }) });
    const liveStatus = h('span', { class: 'muted small live-status' });
    const stepField = h('span', { class: 'field' }, h('label', { for: stepId }, 'Step'), stepInput, stepErr);
    const stackedField = h('span', { class: 'field' }, stackedBox, h('label', { for: stackedId }, 'Stacked'));
    const liveField = h('span', { class: 'field' }, liveBox, h('label', { for: liveId }, 'Live'), liveStatus);

    function submit(): void {
      const q = input.value.trim();
      if (q === (param('q') ?? '')) void run();
      else setParams({ q: q || null });
    }

    function showError(err: unknown, expr: string): void {
      const msg = err instanceof Error ? err.message : String(err);
      const pos = err instanceof ApiError && err.errorType === 'bad_data' ? errorPosition(msg, expr) : null;
      replace(errorArea, h('div', { class: 'state error', role: 'alert' },
        h('strong', null, 'Error: '), msg,
        pos ? h('span', { class: 'sr-only' }, ` (line ${pos.line}, column ${pos.col})`) : null,
        pos ? markedExpr(expr, pos) : null));
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', `${hintId} ${errorId}`);
      if (pos && document.activeElement !== input) input.setSelectionRange(pos.start, pos.end);
    }

    function clearError(): void {
      errorArea.replaceChildren();
      input.removeAttribute('aria-invalid');
      input.setAttribute('aria-describedby', hintId);
    }

    function renderTools(tab: Tab): void {
      tabs.forEach((b, i) => {
        const sel = (i === 0 ? 'table' : 'graph') === tab;
        b.setAttribute('aria-selected', sel ? 'true' : 'false');
        b.tabIndex = sel ? 0 : -1;
      });
      panel.setAttribute('aria-labelledby', tabIds[tab]);
      stackedBox.checked = param('stacked') === '1';
      liveBox.checked = param('live') === '1';
      stepInput.value = param('step') ?? '';
      const range = timeRange();
      stepInput.placeholder = `auto (${formatStep(autoStep(range.seconds))})`;
      replace(tools, tab === 'graph' ? [stepField, stackedField, liveField] : [liveField]);
    }

    function emptyHelp(): HTMLElement {
      return h('div', { class: 'state empty', role: 'status' },
        h('p', null, 'Type a PromQL expression above and press Enter. Metric names are suggested as you type. Examples:'),
        h('ul', { class: 'examples' }, EXAMPLES.map((ex) => h('li', null, h('button', {
          type: 'button', class: 'link', onclick: () => { input.value = ex; submit(); },
        }, h('code', null, ex))))));
    }

    /** Runs the query for the tab the URL asks for and shows it. */
    async function run(): Promise<void> {
      const q = param('q') ?? '';
      const tab = tabParam();
      ctl?.abort();
      const c = (ctl = new AbortController());
      running = true;
      try {
        await load(q, tab, c.signal);
        if (!c.signal.aborted) syncLive(); // only a query that runs is watched
      } catch (err) {
        if (isAbort(err) || c.signal.aborted) return;
        if (err instanceof ApiError && err.status === 400) stopLive();
        info.textContent = '';
        body.replaceChildren();
        showError(err, q);
      } finally {
        if (ctl === c) running = false;
        if (pending && ctl === c) {
          pending = false;
          void run();
        }
      }
    }

    async function load(q: string, tab: Tab, signal: AbortSignal): Promise<void> {
      if (!q) {
        clearError();
        info.textContent = '';
        chart?.destroy();
        chart = null;
        replace(body, emptyHelp());
        return;
      }
      const range = timeRange();
      const t0 = performance.now();
      if (tab === 'table') {
        const at = range.custom ? range.to : undefined;
        if (!body.firstChild || chart) {
          chart?.destroy();
          chart = null;
          replace(body, h('p', { class: 'state loading', role: 'status' }, 'Running the query…'));
        }
        const data = await get<QueryData>('/api/v1/query', { query: q, time: at }, signal);
        clearError();
        showTable(data, at, performance.now() - t0);
        return;
      }
      let step = autoStep(range.seconds);
      const stepText = param('step');
      if (stepText) {
        const s = Number(stepText) > 0 ? Number(stepText) : parseDuration(stepText);
        if (s && s > 0) step = s;
      }
      // The last point at the end of the window (the newest samples show), the first
      // within a step of its start.
      const end = Math.floor(range.to);
      const start = end - Math.floor((end - Math.floor(range.from)) / step) * step;
      if (!chart) replace(body, h('p', { class: 'state loading', role: 'status' }, 'Running the query…'));
      const data = await get<QueryData>('/api/v1/query_range', { query: q, start, end, step }, signal);
      clearError();
      const { spec, shown, total } = chartSpec(data, start, end, step, param('stacked') === '1', q);
      const ms = performance.now() - t0;
      info.textContent = `${total} series · ${formatTime(start)} to ${formatTime(end)} every ${formatStep(step)}${stepText ? '' : ' (auto)'} · ${Math.round(ms)} ms${shown < total ? ` · the graph shows the first ${shown}` : ''}${liveNote ? ` · ${liveNote}` : ''}`;
      if (!total) {
        chart?.destroy();
        chart = null;
        replace(body, h('p', { class: 'state empty', role: 'status' }, 'No data points in this time range: check the expression, or widen the time window above.'));
        return;
      }
      if (!chart) {
        chart = new Chart(spec);
        replace(body, chart.el);
      }
      chart.update(spec);
    }

    function showTable(data: QueryData, at: number | undefined, ms: number | null): void {
      const when = at === undefined ? 'now' : formatTime(at);
      info.textContent = `Evaluated at ${when}${at === undefined ? ` (${formatTime(Date.now() / 1000)})` : ' (the end of the custom range)'}${ms === null ? '' : ` · ${Math.round(ms)} ms`}${liveNote ? ` · ${liveNote}` : ''}`;
      replace(body, resultTable(data));
    }

    // --- live: a watched query on the server's stream, or polling when it cannot
    function stopLive(): void {
      stream?.close();
      stream = null;
      streamKey = '';
      if (pollTimer) clearInterval(pollTimer);
      pollTimer = null;
      liveNote = '';
    }

    function liveRefresh(): void {
      if (running) pending = true;
      else void run();
    }

    function startPolling(why: string): void {
      stream?.close();
      stream = null;
      liveNote = `live: re-runs every ${POLL_MS / 1000} s (${why})`;
      liveStatus.textContent = liveNote;
      if (!pollTimer) {
        pollTimer = setInterval(() => {
          if (document.visibilityState === 'visible') liveRefresh();
        }, POLL_MS);
      }
    }

    function syncLive(): void {
      const q = param('q') ?? '';
      const want = param('live') === '1' && !!q;
      const range = timeRange();
      if (!want) {
        stopLive();
        liveStatus.textContent = '';
        return;
      }
      if (range.custom) {
        stopLive();
        liveStatus.textContent = 'live needs a window ending now: pick one in the Time menu';
        return;
      }
      const key = q;
      if (streamKey === key && (stream || pollTimer)) return;
      stopLive();
      streamKey = key;
      if (typeof EventSource === 'undefined') return startPolling('no EventSource in this browser');
      const es = new EventSource('/api/v1/stream' + queryString({ types: 'query', watch: q }));
      stream = es;
      liveStatus.textContent = 'live: connecting…';
      // The server answers a watched query at once; silence means it ignores `watch`.
      let heard = false;
      const deaf = setTimeout(() => {
        if (stream === es && !heard) startPolling('the server does not send watched queries');
      }, WATCH_WAIT_MS);
      es.onopen = () => {
        if (!heard) liveStatus.textContent = 'live: waiting for the first result…';
      };
      es.onerror = () => {
        if (stream !== es) return;
        // CLOSED: the server refused the stream (no watched queries, or too many streams).
        if (es.readyState === EventSource.CLOSED) startPolling('the server did not accept a watched query');
        else liveStatus.textContent = 'live: reconnecting…';
      };
      es.addEventListener('query', (e) => {
        if (stream !== es) return;
        const first = !heard;
        if (!heard) {
          heard = true;
          clearTimeout(deaf);
          liveNote = 'live: updates when the result changes';
          liveStatus.textContent = liveNote;
        }
        let d: { query?: string; result?: QueryData; error?: string } = {};
        try {
          d = JSON.parse((e as MessageEvent).data);
        } catch {
          return;
        }
        if (d.query !== (param('q') ?? '')) return;
        if (tabParam() === 'table' && d.result && !timeRange().custom) {
          // The event carries exactly what /api/v1/query answers now.
          ctl?.abort();
          clearError();
          showTable(d.result, undefined, null);
        } else if (d.error) {
          showError(new Error(d.error), d.query ?? '');
        } else if (!first || !chart) {
          liveRefresh(); // the first answer only says the watch is on: the graph is current
        }
      });
    }

    function update(): void {
      const q = param('q') ?? '';
      if (input.value.trim() !== q) input.value = q;
      const tab = tabParam();
      renderTools(tab);
      if (lastTab !== tab) {
        chart?.destroy();
        chart = null;
        body.replaceChildren();
        lastTab = tab;
      }
      // A changed query is watched once it has run without error (run() calls syncLive).
      if (param('live') !== '1' || q !== streamKey || timeRange().custom) {
        stopLive();
        liveStatus.textContent = '';
      }
      void run();
    }

    update();
    if (!param('q')) input.focus();
    return {
      update,
      destroy() {
        ctl?.abort();
        stopLive();
        completion.destroy();
        chart?.destroy();
      },
    };
  },
};
