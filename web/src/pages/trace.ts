// Trace (/trace?id=, issue 14 item 7): the waterfall of one trace from
// GET /api/v1/traces/{traceId}: one row per span in tree order, indented by depth, a bar
// placed by its start offset and sized by its duration on the trace's time axis, service,
// name, duration with its unit and errors written out ("error"), not only coloured. A row
// is a button: click, Enter or Space shows the span's attributes and events (exceptions
// with their stack); ↑/↓/Home/End move between rows. Without an id: a form to enter one.
import { ApiError, get } from '../api';
import { empty, h, loading, replace, uid, type Child } from '../dom';
import { Loader, type PageDef } from '../page';
import { linkTo, navigate, param } from '../state';
import { exportButtons } from '../table';
import { formatDurationMs, formatNanos, kindText, missingApi, nanosDiffMs, statusText, type SpanNode, type TraceAnswer } from './apm-common';

interface FlatSpan {
  span: SpanNode;
  depth: number;
  offsetMs: number;
}

function flatten(roots: SpanNode[], t0: string): FlatSpan[] {
  const out: FlatSpan[] = [];
  const walk = (s: SpanNode, depth: number) => {
    out.push({ span: s, depth, offsetMs: nanosDiffMs(s.startTimeUnixNano, t0) });
    for (const c of s.children ?? []) walk(c, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  return out;
}

function isError(s: SpanNode): boolean {
  return s.statusCode === 'STATUS_CODE_ERROR';
}

function attrValue(v: unknown): string {
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function kvList(attrs: Record<string, unknown>, skip: string[] = []): HTMLElement {
  const keys = Object.keys(attrs ?? {}).filter((k) => !skip.includes(k)).sort();
  if (!keys.length) return h('p', { class: 'muted' }, 'none');
  return h('dl', { class: 'kv' }, keys.map((k) => [h('dt', null, k), h('dd', null, attrValue(attrs[k]))]));
}

function spanDetail(f: FlatSpan, t0: string): HTMLElement {
  const s = f.span;
  const events = s.events ?? [];
  return h('div', { class: 'wf-detail' },
    h('dl', { class: 'kv' },
      h('dt', null, 'span id'), h('dd', null, h('code', null, s.spanId)),
      h('dt', null, 'parent'), h('dd', null, s.parentSpanId ? h('code', null, s.parentSpanId) : 'none (root)', s.orphan ? ' — not stored (orphan)' : ''),
      h('dt', null, 'service'), h('dd', null, s.service),
      h('dt', null, 'kind'), h('dd', null, kindText(s.kind)),
      h('dt', null, 'status'), h('dd', null, statusText(s.statusCode), s.statusMessage ? `: ${s.statusMessage}` : ''),
      h('dt', null, 'start'), h('dd', null, `${formatNanos(s.startTimeUnixNano)} (+${formatDurationMs(f.offsetMs)})`),
      h('dt', null, 'duration'), h('dd', null, formatDurationMs(s.durationMs))),
    h('h3', null, 'Attributes'),
    kvList(s.attributes),
    h('h3', null, `Events (${events.length})`),
    events.length ? h('ul', { class: 'alert-list' }, events.map((e) => {
      const stack = e.attributes?.['exception.stacktrace'];
      const isExc = e.name === 'exception';
      return h('li', null,
        h('strong', null, isExc ? `exception: ${attrValue(e.attributes['exception.type'] ?? '')}` : e.name),
        ` at +${formatDurationMs(nanosDiffMs(e.timeUnixNano, t0))}`,
        isExc && e.attributes['exception.message'] !== undefined ? h('p', null, attrValue(e.attributes['exception.message'])) : null,
        Object.keys(e.attributes ?? {}).some((k) => !isExc || !k.startsWith('exception.')) ? kvList(e.attributes, isExc ? ['exception.stacktrace', 'exception.message', 'exception.type'] : []) : null,
        stack !== undefined ? h('pre', { 'aria-label': 'stack trace' }, attrValue(stack)) : null);
    })) : h('p', { class: 'muted' }, 'none'));
}

export const tracePage: PageDef = {
  path: '/trace',
  title: 'Trace',
  parent: '/services',
  mount(root) {
    const heading = h('h1', null, 'Trace');
    const formId = uid('trace-id');
    const input = h('input', { id: formId, name: 'id', type: 'text', placeholder: '32 hex digits', autocomplete: 'off', spellcheck: 'false' });
    const form = h('form', { class: 'trace-form', onsubmit: (e: Event) => {
      e.preventDefault();
      const v = input.value.trim();
      if (v) navigate('/trace', { id: v });
    } }, h('label', { for: formId }, 'Trace id'), input, h('button', { type: 'submit' }, 'Show'));
    const summary = h('div');
    const body = h('div', { class: 'card' });
    root.append(heading, form, summary, body);

    const load = new Loader(async (signal) => {
      const id = (param('id') ?? '').trim();
      input.value = id;
      if (!id) {
        replace(heading, 'Trace');
        summary.replaceChildren();
        replace(body, h('p', { class: 'state empty', role: 'status' }, 'Enter a trace id above, or open a trace from a route’s slowest traces (Services → a route) or from an error’s recent occurrences.'));
        return;
      }
      replace(heading, 'Trace ', h('code', null, id.toLowerCase()));
      document.title = `Trace ${id.slice(0, 8)} · perfwatch`;
      summary.replaceChildren();
      replace(body, loading('the trace'));
      let t: TraceAnswer;
      try {
        t = await get<TraceAnswer>(`/api/v1/traces/${encodeURIComponent(id)}`, {}, signal);
      } catch (err) {
        if (signal.aborted) throw err;
        const missing = missingApi(err, 'GET /api/v1/traces/{traceId}', 'Stored traces');
        if (missing) return replace(body, missing);
        if (err instanceof ApiError && err.status === 404) {
          return replace(body, empty(h('p', null, h('strong', null, 'No stored trace with this id.'), ' Spans are kept for the retention window; a trace whose spans were not sent to this server (or were sampled out) is not here.')));
        }
        throw err;
      }
      render(t);
    }, () => body);

    function render(t: TraceAnswer): void {
      const rows = flatten(t.roots, t.startTimeUnixNano);
      const total = Math.max(t.durationMs, 1e-6);
      const rootSpan = t.roots[0];
      replace(summary, h('div', { class: 'apm-tiles' },
        tile('start', formatNanos(t.startTimeUnixNano)),
        tile('duration', formatDurationMs(t.durationMs)),
        tile('spans', String(t.spanCount)),
        tile('errors', t.errorCount ? h('span', { class: 'status-badge error' }, `${t.errorCount} error${t.errorCount === 1 ? '' : 's'}`) : '0'),
        tile('services', t.services.join(', ')),
        rootSpan?.attributes?.['http.route'] !== undefined
          ? tile('route', h('a', { href: linkTo('/route', { service: rootSpan.service, route: String(rootSpan.attributes['http.route']) }) }, String(rootSpan.attributes['http.route'])))
          : null));

      const ticks = [0, 0.25, 0.5, 0.75, 1].map((f) => h('span', { style: `left:${f * 100}%` }, formatDurationMs(total * f)));
      const list = h('ul', { class: 'waterfall', 'aria-label': `Spans of trace ${t.traceId}, in tree order` });
      const buttons: HTMLButtonElement[] = [];
      rows.forEach((f, i) => {
        const s = f.span;
        const err = isError(s);
        const left = Math.min(100, Math.max(0, (f.offsetMs / total) * 100));
        const width = Math.min(100 - left, Math.max(0, (s.durationMs / total) * 100));
        const detailId = uid('span');
        const label: Child[] = [
          h('span', { class: 'svc' }, s.service), ' ', h('strong', null, s.name), ' ',
          err ? h('span', { class: 'status-badge error' }, 'error') : null, ' ',
          s.orphan ? h('span', { class: 'status-badge muted' }, 'orphan') : null,
        ];
        const durText = formatDurationMs(s.durationMs);
        label.push(' ', h('span', { class: 'wf-ms' }, durText));
        const btn = h('button', {
          type: 'button', 'aria-expanded': 'false', 'aria-controls': detailId, 'data-span': s.spanId,
          'aria-label': `${s.service} ${s.name}, ${kindText(s.kind)}, ${durText}, starts at +${formatDurationMs(f.offsetMs)}${err ? ', error' : ''}${s.orphan ? ', parent not stored' : ''}`,
          onkeydown: (e: KeyboardEvent) => {
            const next = e.key === 'ArrowDown' ? i + 1 : e.key === 'ArrowUp' ? i - 1 : e.key === 'Home' ? 0 : e.key === 'End' ? buttons.length - 1 : -1;
            if (next < 0 || next >= buttons.length) return;
            e.preventDefault();
            buttons[next].focus();
          },
        },
        h('span', { class: 'wf-label', style: `padding-left:${Math.min(f.depth, 12) * 0.9}rem` }, label),
        h('span', { class: 'wf-track', 'aria-hidden': 'true' },
          h('span', { class: `wf-bar${err ? ' error' : ''}`, style: `left:${left}%;width:${width}%` }),
          left + width <= 75 ? h('span', { class: 'wf-dur', style: `left:${left + width}%;padding-left:0.3rem` }, durText) : null));
        const detail = h('div', { id: detailId, hidden: true });
        btn.addEventListener('click', () => {
          const open = btn.getAttribute('aria-expanded') !== 'true';
          btn.setAttribute('aria-expanded', String(open));
          if (open && !detail.firstChild) detail.append(spanDetail(f, t.startTimeUnixNano));
          detail.hidden = !open;
        });
        buttons.push(btn);
        list.append(h('li', { class: 'wf-row', 'data-depth': f.depth }, btn, detail));
      });

      const exp = exportButtons(`trace-${t.traceId}`, () => ({
        header: ['span id', 'parent span id', 'depth', 'service', 'name', 'kind', 'status', 'start offset (ms)', 'duration (ms)'],
        rows: rows.map((f) => [f.span.spanId, f.span.parentSpanId, String(f.depth), f.span.service, f.span.name, kindText(f.span.kind), statusText(f.span.statusCode), String(f.offsetMs), String(f.span.durationMs)]),
        json: t,
      }));
      replace(body,
        h('div', { class: 'card-head' }, h('h2', null, 'Waterfall'), h('div', { class: 'tools' }, exp)),
        h('p', { class: 'muted small' }, 'Select a span (click, or Enter) to see its attributes and events; ↑ and ↓ move between spans.'),
        h('div', { class: 'wf-axis', 'aria-hidden': 'true' }, h('span', { class: 'wf-axis-label' }, 'span'), h('span', { class: 'wf-ticks' }, ticks)),
        list);
    }

    function tile(name: string, value: Child): HTMLElement {
      return h('div', { class: 'tile', 'data-stat': name }, h('div', { class: 'name' }, name), h('div', { class: 'big' }, value));
    }

    void load.run();
    return { update: () => void load.run(), destroy: () => load.stop() };
  },
};
