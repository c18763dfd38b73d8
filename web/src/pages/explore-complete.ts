// PromQL autocompletion for the Explore page: what the text before the caret asks for
// (a metric or function name, a label name inside `{…}` or `by (…)`, a label value inside
// quotes), the candidates from the server's APIs (metric names, label names and values,
// metadata help), and a combobox (WAI-ARIA 1.2 pattern, list autocomplete) on the
// expression box: ArrowDown/ArrowUp move through the options, Enter or Tab accepts,
// Escape closes. Enter with no option chosen is left to the box (it runs the query).
import { get } from '../api';
import { h, uid } from '../dom';

export const FUNCTIONS = [
  'abs', 'absent', 'absent_over_time', 'acos', 'acosh', 'asin', 'asinh', 'atan', 'atanh', 'avg_over_time', 'ceil',
  'changes', 'clamp', 'clamp_max', 'clamp_min', 'cos', 'cosh', 'count_over_time', 'day_of_month', 'day_of_week',
  'day_of_year', 'days_in_month', 'deg', 'delta', 'deriv', 'exp', 'floor', 'histogram_quantile', 'holt_winters', 'hour',
  'idelta', 'increase', 'irate', 'label_join', 'label_replace', 'last_over_time', 'ln', 'log10', 'log2',
  'max_over_time', 'min_over_time', 'minute', 'month', 'pi', 'predict_linear', 'present_over_time',
  'quantile_over_time', 'rad', 'rate', 'resets', 'round', 'scalar', 'sgn', 'sin', 'sinh', 'sort', 'sort_desc', 'sqrt',
  'stddev_over_time', 'stdvar_over_time', 'sum_over_time', 'tan', 'tanh', 'time', 'timestamp', 'vector', 'year',
];
export const AGGREGATIONS = ['avg', 'bottomk', 'count', 'count_values', 'group', 'max', 'min', 'quantile', 'stddev', 'stdvar', 'sum', 'topk'];
const KEYWORDS = ['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool'];
const GROUPING = /\b(by|without|on|ignoring|group_left|group_right)\s*$/;

/** What the caret is in, and the text it would replace. */
export type Context =
  | { kind: 'name'; prefix: string; start: number } // metric, function or keyword
  | { kind: 'label'; prefix: string; start: number; metric: string } // a label name
  | { kind: 'value'; prefix: string; start: number; label: string; metric: string; quote: string } // inside quotes
  | { kind: 'none' };

/** Reads `text` up to `caret` the way PromQL's lexer would, as far as completion needs. */
export function contextAt(text: string, caret: number): Context {
  const before = text.slice(0, caret);
  let quote = '';
  let quoteStart = -1;
  let braceStart = -1; // index of the open `{`, -1 outside
  let braceMetric = '';
  let bracket = false; // inside `[…]` (a duration)
  const parens: boolean[] = []; // per open paren: is it a grouping list (by/without/on/…)?
  for (let i = 0; i < before.length; i++) {
    const c = before[i];
    if (quote) {
      if (c === '\\' && quote !== '`') i++;
      else if (c === quote) quote = '';
      continue;
    }
    if (c === '"' || c === "'" || c === '`') {
      quote = c;
      quoteStart = i;
    } else if (c === '#') {
      const nl = before.indexOf('\n', i);
      if (nl < 0) return { kind: 'none' };
      i = nl;
    } else if (c === '{') {
      braceStart = i;
      const m = /([a-zA-Z_:][a-zA-Z0-9_:]*)\s*$/.exec(before.slice(0, i));
      braceMetric = m && !AGGREGATIONS.includes(m[1]) && !KEYWORDS.includes(m[1]) ? m[1] : '';
    } else if (c === '}') {
      braceStart = -1;
    } else if (c === '[') {
      bracket = true;
    } else if (c === ']') {
      bracket = false;
    } else if (c === '(') {
      parens.push(GROUPING.test(before.slice(0, i)));
    } else if (c === ')') {
      parens.pop();
    }
  }
  if (quote) {
    if (braceStart < 0) return { kind: 'none' };
    const m = /([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*$/.exec(before.slice(0, quoteStart));
    if (!m) return { kind: 'none' };
    return { kind: 'value', prefix: before.slice(quoteStart + 1), start: quoteStart, label: m[1], metric: braceMetric, quote };
  }
  if (bracket) return { kind: 'none' };
  const word = /[a-zA-Z_:][a-zA-Z0-9_:]*$/.exec(before);
  const prefix = word ? word[0] : '';
  const start = caret - prefix.length;
  if (braceStart >= 0) {
    // Only where a label name may stand: after `{` or `,`.
    const lead = before.slice(braceStart + 1, start);
    if (!/(^|,)\s*$/.test(lead)) return { kind: 'none' };
    return { kind: 'label', prefix, start, metric: braceMetric };
  }
  if (parens.length && parens[parens.length - 1]) {
    const lead = before.slice(0, start);
    if (!/[(,]\s*$/.test(lead)) return { kind: 'none' };
    return { kind: 'label', prefix, start, metric: '' };
  }
  if (!prefix || /^[0-9]/.test(prefix)) return { kind: 'none' };
  // Not right after a number (`5m`), nor after `offset 1`.
  if (/[0-9.]$/.test(before.slice(0, start))) return { kind: 'none' };
  return { kind: 'name', prefix, start };
}

export interface Suggestion {
  text: string; // what is inserted
  kind: 'metric' | 'function' | 'aggregation' | 'keyword' | 'label' | 'value';
  detail?: string; // metadata type and help
}

interface Metadata {
  type: string;
  help: string;
  unit: string;
}

/** The server's names, fetched once (label values per label on demand). */
export class Catalog {
  private metrics: string[] = [];
  private labels: string[] = [];
  private meta: Record<string, Metadata[]> = {};
  private loaded: Promise<void> | null = null;
  private readonly values = new Map<string, Promise<string[]>>();
  private readonly metricLabels = new Map<string, Promise<string[]>>();

  load(): Promise<void> {
    if (!this.loaded) {
      this.loaded = Promise.all([
        get<string[]>('/api/v1/label/__name__/values').then((v) => (this.metrics = v ?? [])).catch(() => undefined),
        get<string[]>('/api/v1/labels').then((v) => (this.labels = (v ?? []).filter((l) => l !== '__name__'))).catch(() => undefined),
        get<Record<string, Metadata[]>>('/api/v1/metadata').then((v) => (this.meta = v ?? {})).catch(() => undefined),
      ]).then(() => undefined);
    }
    return this.loaded;
  }

  /** Forgets what was fetched (new series appear while the page is open). */
  refresh(): void {
    this.loaded = null;
    this.values.clear();
    this.metricLabels.clear();
  }

  help(metric: string): string | undefined {
    const base = this.meta[metric] ? metric : metric.replace(/_(bucket|sum|count|total)$/, '');
    const m = this.meta[base]?.[0];
    return m ? `${m.type}${m.help ? `: ${m.help}` : ''}` : undefined;
  }

  private labelNames(metric: string): Promise<string[]> {
    if (!metric) return Promise.resolve(this.labels);
    let p = this.metricLabels.get(metric);
    if (!p) {
      p = get<string[]>('/api/v1/labels', { 'match[]': [metric] }).then((v) => (v ?? []).filter((l) => l !== '__name__')).catch(() => this.labels);
      this.metricLabels.set(metric, p);
    }
    return p;
  }

  private labelValues(label: string, metric: string): Promise<string[]> {
    const key = `${label}\u0000${metric}`;
    let p = this.values.get(key);
    if (!p) {
      p = get<string[]>(`/api/v1/label/${encodeURIComponent(label)}/values`, metric ? { 'match[]': [metric] } : {}).catch(() => []);
      this.values.set(key, p);
    }
    return p;
  }

  /** The suggestions for `ctx`, best first, at most `limit`. */
  async suggest(ctx: Context, limit = 50): Promise<Suggestion[]> {
    await this.load();
    if (ctx.kind === 'none') return [];
    if (ctx.kind === 'label') {
      const names = await this.labelNames(ctx.metric);
      return rank(names, ctx.prefix, limit).map((text) => ({ text, kind: 'label' as const }));
    }
    if (ctx.kind === 'value') {
      const vals = await this.labelValues(ctx.label, ctx.metric);
      return rank(vals, ctx.prefix, limit).map((text) => ({ text, kind: 'value' as const }));
    }
    const out: Suggestion[] = [];
    for (const text of rank(this.metrics, ctx.prefix, limit)) out.push({ text, kind: 'metric', detail: this.help(text) });
    for (const text of rank(AGGREGATIONS, ctx.prefix, limit)) out.push({ text, kind: 'aggregation' });
    for (const text of rank(FUNCTIONS, ctx.prefix, limit)) out.push({ text, kind: 'function' });
    for (const text of rank(KEYWORDS, ctx.prefix, limit)) out.push({ text, kind: 'keyword' });
    // A name typed out in full needs no list.
    if (out.length === 1 && out[0].text === ctx.prefix) return [];
    return out.slice(0, limit);
  }
}

/** Names starting with `prefix` first, then those containing it; case-insensitive. */
export function rank(names: string[], prefix: string, limit: number): string[] {
  const p = prefix.toLowerCase();
  const starts: string[] = [];
  const contains: string[] = [];
  for (const n of names) {
    const l = n.toLowerCase();
    if (l.startsWith(p)) starts.push(n);
    else if (p && l.includes(p)) contains.push(n);
  }
  starts.sort();
  contains.sort();
  return [...starts, ...contains].slice(0, limit);
}

/** The text and caret after accepting `s` in `ctx`. */
export function accept(text: string, caret: number, ctx: Context, s: Suggestion): { text: string; caret: number } {
  if (ctx.kind === 'none') return { text, caret };
  let end = caret;
  // Replace the whole word under the caret, not only its first half.
  if (ctx.kind !== 'value') {
    const m = /^[a-zA-Z0-9_:]*/.exec(text.slice(caret));
    end = caret + (m ? m[0].length : 0);
  }
  let insert = s.text;
  if (ctx.kind === 'value') {
    const q = ctx.quote;
    const escaped = q === '`' ? s.text : s.text.replace(/\\/g, '\\\\').replace(new RegExp(q, 'g'), `\\${q}`);
    // Up to the closing quote when there is one right after the caret's word.
    const rest = text.slice(caret);
    const close = rest.indexOf(q);
    if (close >= 0 && !rest.slice(0, close).includes('}')) end = caret + close + 1;
    insert = `${q}${escaped}${q}`;
  } else if ((s.kind === 'function' || s.kind === 'aggregation') && text[end] !== '(') {
    insert += '(';
  }
  const out = text.slice(0, ctx.start) + insert + text.slice(end);
  return { text: out, caret: ctx.start + insert.length };
}

/**
 * Makes `input` a combobox over `catalog`; `run()` is called on Enter when no option is
 * chosen. Returns a destroy function.
 */
export function attachCompletion(input: HTMLInputElement, catalog: Catalog, run: () => void): { list: HTMLElement; destroy: () => void } {
  const listId = uid('promql-options');
  const list = h('ul', { id: listId, role: 'listbox', class: 'completions', 'aria-label': 'Suggestions', hidden: true });
  const status = h('span', { class: 'sr-only', role: 'status', 'aria-live': 'polite' });
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-expanded', 'false');
  input.setAttribute('aria-controls', listId);
  let items: Suggestion[] = [];
  let ctx: Context = { kind: 'none' };
  let active = -1;
  let seq = 0;

  function close(): void {
    items = [];
    active = -1;
    list.hidden = true;
    list.replaceChildren();
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
  }

  function setActive(i: number): void {
    active = i;
    [...list.children].forEach((li, j) => li.setAttribute('aria-selected', j === i ? 'true' : 'false'));
    if (i >= 0) {
      const li = list.children[i] as HTMLElement;
      input.setAttribute('aria-activedescendant', li.id);
      li.scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  }

  function choose(i: number): void {
    const s = items[i];
    if (!s) return;
    const r = accept(input.value, input.selectionStart ?? input.value.length, ctx, s);
    input.value = r.text;
    input.setSelectionRange(r.caret, r.caret);
    close();
    input.dispatchEvent(new Event('input', { bubbles: true }));
    input.focus();
    // After a metric or `{`: perhaps labels next; after a value: nothing to offer.
    if (s.kind !== 'value') void refresh();
  }

  async function refresh(): Promise<void> {
    const mine = ++seq;
    const caret = input.selectionStart ?? input.value.length;
    const c = contextAt(input.value, caret);
    if (c.kind === 'none' || (c.kind === 'name' && c.prefix.length < 1)) {
      close();
      return;
    }
    const found = await catalog.suggest(c);
    if (mine !== seq || document.activeElement !== input) return;
    ctx = c;
    items = found;
    if (!items.length) {
      close();
      return;
    }
    list.replaceChildren(...items.map((s, i) => h('li', {
      id: `${listId}-${i}`,
      role: 'option',
      'aria-selected': 'false',
      class: `opt ${s.kind}`,
      onmousedown: (e: MouseEvent) => e.preventDefault(), // keep the focus in the box
      onclick: () => choose(i),
    }, h('span', { class: 'opt-text' }, s.text), h('span', { class: 'opt-kind' }, s.kind), s.detail ? h('span', { class: 'opt-detail' }, s.detail) : null)));
    active = -1;
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    input.removeAttribute('aria-activedescendant');
    status.textContent = `${items.length} suggestion${items.length === 1 ? '' : 's'}; arrow keys to choose, Enter or Tab to accept.`;
  }

  const onInput = () => void refresh();
  const onKey = (e: KeyboardEvent) => {
    const open = !list.hidden && items.length > 0;
    if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
      if (!open) {
        if (e.key === 'ArrowDown' && e.altKey) void refresh();
        return;
      }
      e.preventDefault();
      const n = items.length;
      setActive(e.key === 'ArrowDown' ? (active + 1) % n : active <= 0 ? n - 1 : active - 1);
    } else if (e.key === 'Enter') {
      if (open && active >= 0) {
        e.preventDefault();
        choose(active);
        return;
      }
      e.preventDefault();
      close();
      run();
    } else if (e.key === 'Tab' && open && !e.shiftKey) {
      e.preventDefault();
      choose(active >= 0 ? active : 0);
    } else if (e.key === 'Escape' && open) {
      e.preventDefault();
      e.stopPropagation();
      close();
    } else if (e.key === ' ' && e.ctrlKey) {
      e.preventDefault();
      void refresh();
    }
  };
  const onBlur = () => setTimeout(() => {
    if (document.activeElement !== input) close();
  }, 150);
  const onFocus = () => void catalog.load();
  const onClickBox = () => {
    if (!list.hidden) void refresh();
  };
  input.addEventListener('input', onInput);
  input.addEventListener('keydown', onKey);
  input.addEventListener('blur', onBlur);
  input.addEventListener('focus', onFocus);
  input.addEventListener('click', onClickBox);
  const wrap = h('div', { class: 'completions-wrap' }, list, status);
  return {
    list: wrap,
    destroy: () => {
      input.removeEventListener('input', onInput);
      input.removeEventListener('keydown', onKey);
      input.removeEventListener('blur', onBlur);
      input.removeEventListener('focus', onFocus);
      input.removeEventListener('click', onClickBox);
    },
  };
}
