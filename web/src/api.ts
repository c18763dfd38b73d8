// Calls to perfwatch's HTTP API. Answers in Prometheus' envelope
// ({"status":"success","data":…}) are unwrapped; errors become ApiError with the server's
// message, so sections can show it where the data would be.

export class ApiError extends Error {
  constructor(message: string, readonly status: number, readonly errorType: string) {
    super(message);
  }
}

type Params = Record<string, string | number | string[] | undefined | null>;

export function query(params: Params = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v === undefined || v === null || v === '') continue;
    if (Array.isArray(v)) for (const x of v) q.append(k, x);
    else q.set(k, String(v));
  }
  const s = q.toString();
  return s ? `?${s}` : '';
}

async function parse<T>(res: Response): Promise<T> {
  const text = await res.text();
  let body: unknown = undefined;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    if (!res.ok) throw new ApiError(`${res.status} ${res.statusText}: ${text.slice(0, 200)}`, res.status, 'http');
    throw new ApiError('the server did not answer with JSON', res.status, 'bad_response');
  }
  const b = body as { status?: string; data?: unknown; error?: string; errorType?: string } | undefined;
  if (!res.ok || b?.status === 'error') {
    throw new ApiError(b?.error || `${res.status} ${res.statusText}`, res.status, b?.errorType || 'http');
  }
  return (b && typeof b === 'object' && 'status' in b && 'data' in b ? b.data : body) as T;
}

/** GET `path` with `params`; the `data` of the answer. */
export async function get<T>(path: string, params: Params = {}, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path + query(params), { signal, headers: { Accept: 'application/json' } });
  return parse<T>(res);
}

/** POST/DELETE with a JSON body (or none). */
export async function send<T>(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<T> {
  const res = await fetch(path, {
    method,
    signal,
    headers: body === undefined ? { Accept: 'application/json' } : { 'Content-Type': 'application/json', Accept: 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return parse<T>(res);
}

/**
 * `p`, marked as handled: a load that starts several requests at once and stops at the
 * first failure (an abort, when a newer load replaces it) leaves the others rejected
 * with nobody awaiting them, which the browser reports as unhandled rejections. Awaiting
 * the returned promise still throws.
 */
export function prefetch<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

/** True for the error fetch() throws when its AbortSignal fired. */
export function isAbort(err: unknown): boolean {
  return err instanceof DOMException && err.name === 'AbortError';
}

// --- shapes of the answers the pages use (docs/api.md)

export interface VitalsGroup {
  labels: Record<string, string>;
  count: number;
  value: number;
  p50: number;
  p75: number;
  p95: number;
  good: number;
  needs_improvement: number;
  poor: number;
}
export interface VitalsAnswer {
  metric: string;
  percentile: number;
  from: number;
  to: number;
  groups: VitalsGroup[];
}
export interface VitalsSeries {
  labels: Record<string, string>;
  timestamps: number[];
  values: number[];
  counts: number[];
}
export interface VitalsSeriesAnswer {
  metric: string;
  percentile: number;
  step: number;
  from: number;
  to: number;
  series: VitalsSeries[];
}
export interface HistogramAnswer {
  metric: string;
  count: number;
  p50: number | null;
  p75: number | null;
  p95: number | null;
  thresholds: { good: number; poor: number };
  buckets: { from: number; to: number | null; count: number }[];
}

// GET /api/v1/rules (Prometheus' shape; docs/alerting.md): the Alerts and Status pages.
export interface RuleAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  state: 'firing' | 'pending';
  activeAt: string;
  value: string;
  keepFiringSince?: string;
  acknowledgedBy?: string;
  acknowledgedAt?: string;
}
export interface Rule {
  type: 'alerting' | 'recording';
  name: string;
  query: string;
  state?: 'inactive' | 'pending' | 'firing';
  duration?: number;
  alerts?: RuleAlert[];
  health: 'ok' | 'err' | 'unknown';
  lastError?: string;
  evaluationTime: number;
  lastEvaluation: string;
}
export interface RuleGroup {
  name: string;
  file: string;
  interval: number;
  evaluationTime: number;
  lastEvaluation: string;
  rules: Rule[];
}
