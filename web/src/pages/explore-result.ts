// What the Explore page shows of a query's answer: the table of an instant query (vector,
// matrix, scalar, string, values exactly as the server wrote them), the chart data of a
// range query (series aligned on the step grid), and where a parse error points.
import type { ChartSpec } from '../chart';
import { h, type Child } from '../dom';
import { formatNumber, formatTime } from '../format';
import { table } from '../table';

export type Labels = Record<string, string>;
export type Point = [number, string];
export type QueryData =
  | { resultType: 'vector'; result: { metric: Labels; value: Point }[] }
  | { resultType: 'matrix'; result: { metric: Labels; values: Point[] }[] }
  | { resultType: 'scalar'; result: Point }
  | { resultType: 'string'; result: Point };

/** `name{a="1", b="2"}` as Prometheus shows a series. */
export function seriesName(m: Labels): string {
  const name = m.__name__ ?? '';
  const rest = Object.keys(m).filter((k) => k !== '__name__').sort()
    .map((k) => `${k}=${JSON.stringify(m[k])}`);
  return rest.length || !name ? `${name}{${rest.join(', ')}}` : name;
}

/** A sample value string ("1", "+Inf", "NaN") as a number for charts; null when not drawable. */
export function sampleNumber(s: string): number | null {
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}

const MAX_ROWS = 10_000;

/** The table of an instant query's answer. */
export function resultTable(data: QueryData): HTMLElement {
  const note = (n: number): Child => (n > MAX_ROWS ? h('p', { class: 'muted' }, `Showing the first ${MAX_ROWS.toLocaleString('en-US')} of ${n.toLocaleString('en-US')} series.`) : null);
  const none = h('p', { class: 'state empty', role: 'status' }, 'No data: the expression matched no series at this time. Check the metric name and labels, or widen the range of a range selector.');
  switch (data.resultType) {
    case 'vector':
      return h('div', null, summary(`${data.result.length} series (instant vector)`), note(data.result.length), table({
        name: 'query-result',
        caption: 'Query result: one value per series',
        columns: [
          { label: 'Series', value: (r) => seriesName(r.metric), sort: (r) => seriesName(r.metric), cell: (r) => h('code', null, seriesName(r.metric)) },
          { label: 'Value', value: (r) => r.value[1], numeric: true, sort: (r) => sampleNumber(r.value[1]) ?? -Infinity },
        ],
        rows: data.result.slice(0, MAX_ROWS),
        empty: none,
      }));
    case 'matrix':
      return h('div', null, summary(`${data.result.length} series (range vector)`), note(data.result.length), table({
        name: 'query-result',
        caption: 'Query result: the samples of each series in the range',
        columns: [
          { label: 'Series', value: (r) => seriesName(r.metric), sort: (r) => seriesName(r.metric), cell: (r) => h('code', null, seriesName(r.metric)) },
          {
            label: 'Values (value @ Unix seconds)',
            value: (r) => r.values.map(([t, v]) => `${v} @${t}`).join('\n'),
            cell: (r) => h('div', { class: 'samples' }, r.values.map(([t, v]) => h('div', null, v, h('span', { class: 'muted' }, ` @${t}`)))),
          },
        ],
        rows: data.result.slice(0, MAX_ROWS),
        empty: none,
      }));
    case 'scalar':
    case 'string':
      return h('div', null, summary(data.resultType), table({
        name: 'query-result',
        caption: `Query result: a ${data.resultType}`,
        columns: [
          { label: data.resultType === 'scalar' ? 'Scalar' : 'String', value: (r) => r[1], numeric: data.resultType === 'scalar' },
          { label: 'Time', value: (r) => r[0], cell: (r) => `${formatTime(r[0])} (${r[0]})` },
        ],
        rows: [data.result],
      }));
  }
}

function summary(text: string): HTMLElement {
  return h('p', { class: 'result-summary muted' }, text);
}

const MAX_SERIES = 200;

/** The chart of a range query's matrix over [start, end] every `step` seconds. */
export function chartSpec(data: QueryData, start: number, end: number, step: number, stacked: boolean, expr: string): { spec: ChartSpec; shown: number; total: number } {
  const result = data.resultType === 'matrix' ? data.result : [];
  const n = Math.floor((end - start) / step) + 1;
  const x = Array.from({ length: n }, (_, i) => start + i * step);
  const series = result.slice(0, MAX_SERIES).map((s) => {
    const values = new Array<number | null>(n).fill(null);
    for (const [t, v] of s.values) {
      const i = Math.round((t - start) / step);
      if (i >= 0 && i < n) values[i] = sampleNumber(v);
    }
    return { label: seriesName(s.metric), values };
  });
  return {
    spec: {
      name: 'query-graph',
      title: `Graph of ${expr}: ${result.length} series from ${formatTime(start)} to ${formatTime(end)}, every ${formatStep(step)}${stacked ? ', stacked' : ''}`,
      x,
      series,
      stacked,
      yFormat: formatNumber,
      height: 320,
    },
    shown: series.length,
    total: result.length,
  };
}

/** Prometheus' graph page step: range / 250, at least 1 s (whole seconds). */
export function autoStep(rangeSeconds: number): number {
  return Math.max(Math.floor(rangeSeconds / 250), 1);
}

/** 345 → "5m45s". */
export function formatStep(s: number): string {
  if (!Number.isFinite(s) || s <= 0) return String(s);
  if (s < 1) return `${Math.round(s * 1000)}ms`;
  const parts: string[] = [];
  let r = Math.round(s);
  for (const [u, n] of [['d', 86400], ['h', 3600], ['m', 60], ['s', 1]] as [string, number][]) {
    if (r >= n) {
      parts.push(`${Math.floor(r / n)}${u}`);
      r %= n;
    }
  }
  return parts.join('') || '0s';
}

/**
 * Where a PromQL parse error points, as a 0-based offset range in `expr`: Prometheus
 * writes `1:5: parse error: …` (line:column, 1-based) or `1:5-1:9: …`, older versions
 * `parse error at char 5: …`.
 */
export function errorPosition(message: string, expr: string): { start: number; end: number; line: number; col: number } | null {
  const lineStarts = [0];
  for (let i = 0; i < expr.length; i++) if (expr[i] === '\n') lineStarts.push(i + 1);
  const off = (line: number, col: number) => (lineStarts[line - 1] ?? 0) + col - 1;
  let m = /(?:^|:\s)(\d+):(\d+)(?:-(\d+):(\d+))?:\s/.exec(message);
  if (m) {
    const line = Number(m[1]);
    const col = Number(m[2]);
    const start = Math.min(expr.length, Math.max(0, off(line, col)));
    // Without an end: the word (or the one character) that starts there.
    const word = /^[a-zA-Z0-9_:]+/.exec(expr.slice(start));
    const end = m[3] ? Math.min(expr.length, Math.max(start + 1, off(Number(m[3]), Number(m[4])))) : Math.min(expr.length, start + (word ? word[0].length : 1));
    return { start, end: Math.max(end, start), line, col };
  }
  m = /at char (\d+)/.exec(message);
  if (m) {
    const start = Math.min(expr.length, Math.max(0, Number(m[1]) - 1));
    return { start, end: Math.min(expr.length, start + 1), line: 1, col: start + 1 };
  }
  return null;
}

/** The expression with the error's place marked (text, not colour only: "here" label). */
export function markedExpr(expr: string, pos: { start: number; end: number }): HTMLElement {
  const at = expr.slice(pos.start, pos.end);
  return h('pre', { class: 'error-expr' },
    h('code', null, expr.slice(0, pos.start),
      h('mark', { title: 'the error is here' }, at || ' '),
      expr.slice(pos.end)),
    '\n', h('span', { 'aria-hidden': 'true' }, ' '.repeat(Math.max(0, pos.start - (expr.lastIndexOf('\n', pos.start - 1) + 1))) + '^ here'));
}
