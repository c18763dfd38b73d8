// Pieces the APM pages share (tracker issue 14 item 7: Services, Route, Trace, DB,
// Errors): PromQL calls over the RED series of docs/otlp.md, the exact in-window count
// expression, chart data from range queries, duration formatting, the answer shapes of
// the traces and errors APIs (/work/notes/apm-contracts.md, docs/api.md) and the empty
// state that says how to send OTLP.
import './apm.css';

import { ApiError, get } from '../api';
import type { ChartSeries } from '../chart';
import { empty, h } from '../dom';
import type { TimeRange } from '../state';

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}
export interface PromSeries {
  metric: Record<string, string>;
  values: [number, string][];
}

/** GET /api/v1/query at `time` (Unix seconds): the instant vector. */
export async function instant(query: string, time: number, signal?: AbortSignal): Promise<PromSample[]> {
  const d = await get<{ resultType: string; result: PromSample[] }>('/api/v1/query', { query, time: time.toFixed(3) }, signal);
  return d.resultType === 'vector' ? d.result : [];
}

/** GET /api/v1/query_range: the matrix. */
export async function rangeQuery(query: string, start: number, end: number, step: number, signal?: AbortSignal): Promise<PromSeries[]> {
  const d = await get<{ resultType: string; result: PromSeries[] }>('/api/v1/query_range', { query, start: String(start), end: String(end), step: String(step) }, signal);
  return d.resultType === 'matrix' ? d.result : [];
}

/** A sample's value as a number; NaN and infinities (an empty histogram) as null. */
export function num(s: string | undefined): number | null {
  if (s === undefined) return null;
  const v = Number(s);
  return Number.isFinite(v) ? v : null;
}

/** A PromQL string literal. */
export function str(s: string): string {
  return JSON.stringify(s);
}

/** `{a="x",b=~"y"}` from matcher strings (already formatted), or "" when none. */
export function sel(...matchers: (string | false | null | undefined)[]): string {
  const m = matchers.filter(Boolean);
  return m.length ? `{${m.join(',')}}` : '';
}

/**
 * The exact increase of counter `series` (a selector) in the `w` seconds before the
 * evaluation time: its last value in the window minus its last value in the window
 * before, or its last value when it has none before (a label set created in the window
 * counts from zero). Unlike increase(), no extrapolation, and a label set with one
 * sample in the window still counts (the RED series are written when they change).
 */
export function windowIncrease(series: string, w: number): string {
  const W = `${Math.max(1, Math.round(w))}s`;
  return `((last_over_time(${series}[${W}]) - last_over_time(${series}[${W}] offset ${W})) or last_over_time(${series}[${W}]))`;
}

/** The rate range of charts: at least two steps and 5 min, so a point is rarely empty. */
export function rateRange(step: number): string {
  return `${Math.max(2 * step, 300)}s`;
}

/** A chart step (s) giving about 60 points over `seconds`, a whole number of minutes. */
export function chartStep(seconds: number): number {
  const raw = seconds / 60;
  for (const s of [60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400]) if (raw <= s) return s;
  return Math.ceil(raw / 86400) * 86400;
}

/** The x values and chart series of range-query results on the grid start + k·step. */
export function toChart(results: { series: PromSeries[]; label: (m: Record<string, string>) => string; scale?: number }[], start: number, end: number, step: number): { x: number[]; series: ChartSeries[] } {
  const x: number[] = [];
  for (let t = start; t <= end + 1e-6; t += step) x.push(t);
  const index = new Map(x.map((t, i) => [Math.round(t), i]));
  const series: ChartSeries[] = [];
  for (const r of results) {
    for (const s of r.series) {
      const values: (number | null)[] = new Array(x.length).fill(null);
      for (const [t, v] of s.values) {
        const i = index.get(Math.round(t));
        const n = num(v);
        if (i !== undefined && n !== null) values[i] = n * (r.scale ?? 1);
      }
      series.push({ label: r.label(s.metric), values });
    }
  }
  return { x, series };
}

/** The chart grid of a range: start aligned down to the step, end = the range's end. */
export function grid(r: TimeRange): { start: number; end: number; step: number } {
  // Ends at the range's end (so the latest samples are drawn), whole steps back from it.
  const step = chartStep(r.seconds);
  const end = Math.round(r.to);
  const start = end - Math.min(200, Math.max(1, Math.floor(r.seconds / step))) * step;
  return { start, end, step };
}

/** Impact (p95 seconds × requests per second): "2.4 s/s", "3.37e-6 s/s". */
export function formatImpact(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v === 0) return '0 s/s';
  return `${v < 0.001 ? v.toExponential(2) : +v.toPrecision(3)} s/s`;
}

/** Milliseconds as people read them: "850 µs", "12.3 ms", "1.25 s". */
export function formatDurationMs(ms: number | null | undefined): string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return '–';
  const a = Math.abs(ms);
  if (a === 0) return '0 ms';
  if (a < 1) return `${+(ms * 1000).toPrecision(3)} µs`;
  if (a < 1000) return `${+ms.toPrecision(3)} ms`;
  if (a < 60000) return `${+(ms / 1000).toPrecision(3)} s`;
  return `${Math.floor(ms / 60000)} min ${Math.round((ms % 60000) / 1000)} s`;
}

/** Requests per second with enough digits for slow routes: "12.4 req/s", "0.00023 req/s". */
export function formatRate(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v === 0) return '0 req/s';
  return `${v >= 100 ? Math.round(v).toLocaleString('en-US') : +v.toPrecision(3)} req/s`;
}

export function formatRatio(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  if (v === 0) return '0 %';
  const p = v * 100;
  return `${p >= 10 ? +p.toFixed(1) : +p.toPrecision(2)} %`;
}

/** "2026-12-04 01:02:03.456" (local) from Unix nanoseconds as a decimal string. */
export function formatNanos(ns: string): string {
  const ms = Number(BigInt(ns) / 1000000n);
  const d = new Date(ms);
  const p = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}.${p(d.getMilliseconds(), 3)}`;
}

/** Milliseconds between two Unix-nanosecond strings (exact before the division). */
export function nanosDiffMs(a: string, b: string): number {
  return Number(BigInt(a) - BigInt(b)) / 1e6;
}

/** The `start`/`end` parameters of the traces and errors APIs for a range. */
export function apmRange(r: TimeRange): Record<string, string> {
  return { start: r.from.toFixed(3), end: r.to.toFixed(3) };
}

/** What a section shows when an API this server does not have yet answers 404. */
export function missingApi(err: unknown, endpoint: string, what: string): HTMLElement | null {
  if (err instanceof ApiError && err.status === 404 && err.message.startsWith('no route for')) {
    return empty(h('p', null, h('strong', null, `${what} are not available on this server`), ` (${endpoint} answered 404).`),
      h('p', null, 'Upgrade perfwatch to a version with the span store and error grouping (tracker issue 14).'));
  }
  return null;
}

/** What an empty APM section says: where and how to send OpenTelemetry data. */
export function noSpans(service?: string | null): HTMLElement {
  const origin = location.origin;
  return empty(
    h('p', null, h('strong', null, 'No spans yet'), service ? ` for service “${service}” in this window.` : ' in this window.'),
    h('p', null, 'Send OpenTelemetry traces over OTLP/HTTP (protobuf or JSON) to ', h('code', null, `${origin}/v1/traces`),
      '. With an OpenTelemetry SDK, set the exporter endpoint (the SDK adds /v1/traces):'),
    h('pre', null, h('code', null, [
      `OTEL_EXPORTER_OTLP_ENDPOINT=${origin}`,
      'OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf',
      `OTEL_SERVICE_NAME=${service || 'my-service'}`,
      '# with auth.tokens: a token with the ingest scope',
      'OTEL_EXPORTER_OTLP_HEADERS="Authorization=Bearer <token>"',
    ].join('\n'))),
    h('p', null, 'Then send a few requests to the service, or widen the time window above.'));
}

// --- GET /api/v1/traces, /api/v1/traces/{traceId} (apm-contracts.md)

export interface TraceRow {
  traceId: string;
  spanId: string;
  service: string;
  name: string;
  kind: string;
  route?: string;
  method?: string;
  httpStatusCode?: number;
  statusCode: string;
  startTimeUnixNano: string;
  durationMs: number;
  error: boolean;
}

export interface SpanEvent {
  name: string;
  timeUnixNano: string;
  attributes: Record<string, string | number | boolean>;
}

export interface SpanNode {
  spanId: string;
  parentSpanId: string;
  service: string;
  name: string;
  kind: string;
  statusCode: string;
  statusMessage: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  durationMs: number;
  attributes: Record<string, string | number | boolean>;
  events: SpanEvent[];
  children: SpanNode[];
  orphan?: boolean;
}

export interface TraceAnswer {
  traceId: string;
  startTimeUnixNano: string;
  durationMs: number;
  spanCount: number;
  errorCount: number;
  services: string[];
  roots: SpanNode[];
}

// --- GET /api/v1/errors, /api/v1/errors/{fingerprint}

export interface ErrorGroup {
  fingerprint: string;
  type: string;
  message: string;
  source: 'browser' | 'backend';
  app?: string;
  service?: string;
  count: number;
  sessions: number;
  users: number;
  firstSeen: string;
  lastSeen: string;
  new: boolean;
  pages?: { page: string; count: number }[];
  routes?: { route: string; count: number }[];
  browsers?: { browser: string; count: number }[];
  sampleMessage?: string;
  sampleStack?: string;
}

export interface ErrorDetail extends ErrorGroup {
  stack?: string;
  frames?: { function: string; file: string; line: number; column: number; inApp: boolean }[];
  hourly?: [number, number][];
  recent?: { time: string; message: string; page?: string; route?: string; browser?: string; sessionId?: string; traceId?: string; spanId?: string }[];
}

/** SPAN_KIND_SERVER → "server". */
export function kindText(kind: string): string {
  return kind.replace(/^SPAN_KIND_/, '').toLowerCase();
}

/** STATUS_CODE_ERROR → "error". */
export function statusText(code: string): string {
  return code.replace(/^STATUS_CODE_/, '').toLowerCase();
}

// --- RED over a window, grouped (Services, Route)

export const CALLS = 'perfwatch_span_calls_total';
export const DURATION = 'perfwatch_span_duration_seconds';
export const ERROR_MATCHER = 'status_code="STATUS_CODE_ERROR"';
/** Entry spans: what a service serves (the span kinds the route and service views count). */
export const ENTRY_MATCHER = 'span_kind=~"SPAN_KIND_SERVER|SPAN_KIND_CONSUMER"';

export interface RedRow {
  labels: Record<string, string>;
  calls: number;
  errors: number;
  rate: number; // req/s over the window
  errorRatio: number | null;
  p50: number | null; // seconds
  p95: number | null;
  p99: number | null;
  impact: number | null; // p95 (s) × rate (req/s)
}

/**
 * Requests, errors, rate and p50/p95/p99 of the spans matching `matchers` in the `w`
 * seconds before `time`, one row per distinct value of the `by` labels (exact counts:
 * windowIncrease). Rows without a request in the window are left out.
 */
export async function redRows(by: string[], matchers: string[], w: number, time: number, signal?: AbortSignal): Promise<RedRow[]> {
  const g = by.join(', ');
  const s = sel(...matchers);
  const se = sel(...matchers, ERROR_MATCHER);
  const qs = [
    `sum by (${g}) (${windowIncrease(`${CALLS}${s}`, w)})`,
    `sum by (${g}) (${windowIncrease(`${CALLS}${se}`, w)})`,
    ...[0.5, 0.95, 0.99].map((q) => `histogram_quantile(${q}, sum by (${g ? `${g}, ` : ''}le) (${windowIncrease(`${DURATION}_bucket${s}`, w)}))`),
  ];
  const [calls, errors, p50, p95, p99] = await Promise.all(qs.map((q) => instant(q, time, signal)));
  const key = (m: Record<string, string>) => JSON.stringify(by.map((l) => m[l] ?? ''));
  const rows = new Map<string, RedRow>();
  for (const c of calls) {
    const n = num(c.value[1]) ?? 0;
    if (n <= 0) continue;
    const labels = Object.fromEntries(by.map((l) => [l, c.metric[l] ?? '']));
    rows.set(key(c.metric), { labels, calls: n, errors: 0, rate: n / w, errorRatio: 0, p50: null, p95: null, p99: null, impact: null });
  }
  for (const e of errors) {
    const r = rows.get(key(e.metric));
    if (r) {
      r.errors = num(e.value[1]) ?? 0;
      r.errorRatio = r.errors / r.calls;
    }
  }
  const fill = (vec: PromSample[], f: 'p50' | 'p95' | 'p99') => {
    for (const x of vec) {
      const r = rows.get(key(x.metric));
      if (r) r[f] = num(x.value[1]);
    }
  };
  fill(p50, 'p50');
  fill(p95, 'p95');
  fill(p99, 'p99');
  for (const r of rows.values()) r.impact = r.p95 === null ? null : r.p95 * r.rate;
  return [...rows.values()];
}

/** The range-query expressions of the RED charts for `matchers`, one series per `by` value. */
export function redChartQueries(by: string[], matchers: string[], step: number): { rate: string; errorRate: string; errorRatio: string; quantile: (q: number) => string } {
  const g = by.join(', ');
  const R = rateRange(step);
  const s = sel(...matchers);
  const se = sel(...matchers, ERROR_MATCHER);
  const all = `sum by (${g}) (rate(${CALLS}${s}[${R}]))`;
  const err = `sum by (${g}) (rate(${CALLS}${se}[${R}]))`;
  return {
    rate: all,
    errorRate: err,
    errorRatio: `(${err} or ${all} * 0) / ${all}`,
    quantile: (q) => `histogram_quantile(${q}, sum by (${g ? `${g}, ` : ''}le) (rate(${DURATION}_bucket${s}[${R}])))`,
  };
}

/** Sets aria-sort on the header of `label` in a table() (the order the rows came in). */
export function markSorted(tableEl: HTMLElement, label: string, dir: 'ascending' | 'descending'): void {
  for (const th of tableEl.querySelectorAll('thead th')) if (th.textContent === label) th.setAttribute('aria-sort', dir);
}
