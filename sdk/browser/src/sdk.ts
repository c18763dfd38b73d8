// The SDK proper: collects Core Web Vitals (web-vitals, standard build) plus the
// browser's other performance signals, and sends them as beacons to perfwatch's
// POST /api/rum. Beacon fields: sdk/browser/README.md and ../../shared/DESIGN.md.
// __FULL__ (rum.full.js): resource summary, LCP / INP subparts, journeys.

import { onCLS, onFCP, onINP, onLCP, onTTFB, type Metric } from 'web-vitals';
import { inpParts, lcpParts, loafScripts } from './attribution';
import { Batcher } from './batch';
import { merge, type Options } from './config';
import { selector } from './selector';
import { Journeys } from './journey';
import { pick, record, summarize, type Res } from './resources';
import { isSampled, loadSession, newPageViewId, type Session } from './session';
import { patch, serverTrace, tracedUrl, type Traced } from './trace';
import { stripUrl } from './url';

export type { Options } from './config';

/** The most resource timings kept per flush (the slowest win). */
const MAX_RESOURCES = 20;
/** The most error, rejection or long-task beacons per page view (a loop stays cheap). */
const MAX_PER_TYPE = 25;
const MAX_STACK = 1500;
/** The most traced requests listed on the navigation beacon (the first ones win). */
const MAX_TRACES = 20;

type Beacon = Record<string, unknown>;

let opts: Options = {};
let session: Session | undefined;
let sampled = false;
let started = false;
let batcher: Batcher | undefined;
let seq = 0;
let late = 0;
/** The page is being hidden: the visibilitychange listeners are still running. */
let hiding = 0;
/** This page view's id (`pageViewId`); a new one when the page is restored from the bfcache. */
let pageView = newPageViewId(Date.now(), Math.random);
let counts: Record<string, number> = {};
let resources: Beacon[] = [];
/** This page view's traced requests; the navigation beacon holds this very array. */
const traces: Traced[] = [];
let patched = false;
/** rum.full.js: every resource of this page view (the first MAX_ALL), FCP, LCP time and URL. */
let all: Res[] = [];
let fcp: number | undefined;
let lcp: number | undefined;
let lcpUrl: string | undefined;
/** rum.full.js: the summary changed since the last flush. */
let dirty = 0;
const MAX_ALL = 1000;
let store: Storage | undefined;
/** rum.full.js: this page's journeys (created by the first use or by init). */
let jr: Journeys | undefined;
/** rum.full.js: the latest long animation frames, for an INP's scripts. */
let frames: any[] = [];
/** rum.full.js: the latest event timings of interactions, for INP subparts. */
let events: any[] = [];

const nav = (): PerformanceNavigationTiming | undefined =>
  performance.getEntriesByType &&
  (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming);

const round = (n: number) => Math.round(n * 10) / 10;

/** `url` with the query string and fragment dropped unless keepQueryString. */
const clean = (url: string) => stripUrl(url, opts.keepQueryString);

function transmit(body: string): void {
  const url = opts.endpoint!;
  try {
    if (navigator.sendBeacon(url, body)) return;
  } catch {}
  // sendBeacon refused (queue full, or missing): one keepalive fetch, then give up.
  try {
    fetch(url, { method: 'POST', body, keepalive: true, mode: 'no-cors', credentials: 'omit' }).catch(
      () => {},
    );
  } catch {}
}

/** npm build: the listeners of subscribe(), and this page view's latest beacon per vital. */
const subs = new Set<(b: Beacon) => void>();
let vitals: Record<string, Beacon> = {};

/**
 * npm build (dist/index.js; @perfwatch/react uses it): calls `cb` with every beacon this
 * page reports from now on, as queued (with `pageViewId`, `type`, `name`, `value`, ...),
 * after replaying this page view's latest beacon of each vital already reported. Nothing
 * is called while the session is sampled out. Returns the unsubscribe function.
 */
export function subscribe(cb: (b: Beacon) => void): () => void {
  for (const k in vitals) cb(vitals[k]);
  subs.add(cb);
  return () => subs.delete(cb);
}

/** npm build: this page view's id (`pageViewId`) and whether this session sends beacons. */
export const pageViewId = (): string => pageView;
export const isSampledIn = (): boolean => sampled;

/** Queues one beacon, adding the fields every beacon carries. */
function report(b: Beacon): void {
  if (!sampled) return;
  const c = (navigator as any).connection;
  const n = nav();
  // `b` becomes the full beacon (one name: the core builds stay as small as they were).
  batcher!.add((b = {
    pageViewId: pageView,
    ...b,
    delta: b.delta ?? b.value,
    id: b.id || pageView + '-' + ++seq,
    navigationType: b.navigationType || (n ? n.type.replace('_', '-') : 'navigate'),
    sessionId: session!.id,
    url: clean(location.href),
    timestamp: Date.now(),
    userAgent: navigator.userAgent,
    connection: c && c.effectiveType,
    deviceMemory: (navigator as any).deviceMemory,
    hardwareConcurrency: navigator.hardwareConcurrency,
    app: opts.app,
  }));
  if (__FULL__) {
    const full = b;
    if (full.type == 'vital') vitals[full.name as string] = full;
    subs.forEach((f) => {
      try {
        f(full);
      } catch {}
    });
  }
  // Once the page is hidden nothing may run later: what web-vitals reports after our
  // hidden flush leaves at the end of the current task. While the visibilitychange
  // listeners run, reports wait for the one flush after them (see start()).
  if (document.visibilityState == 'hidden' && !late && !hiding) {
    late = 1;
    queueMicrotask(() => {
      late = 0;
      batcher!.flush();
    });
  }
}

/** report() with a per-page-view cap on the number of beacons of `b.type`. */
function capped(b: Beacon): void {
  const t = b.type as string;
  if ((counts[t] = (counts[t] || 0) + 1) <= MAX_PER_TYPE) report(b);
}

/** Light attribution from the metric's own entries (the attribution build is too big). */
function attribution(m: Metric): Beacon | undefined {
  const e = m.entries as any[];
  if (!e.length) return;
  if (m.name == 'LCP') {
    const l = e[e.length - 1];
    return { element: selector(l.element), url: l.url ? clean(l.url) : undefined };
  }
  if (m.name == 'INP') {
    const t = e.find((x) => x.target) || e[0];
    return { target: selector(t.target), type: t.name };
  }
  if (m.name == 'CLS') {
    const big = e.reduce((a, b) => (b.value > a.value ? b : a));
    const src = big.sources && big.sources[0];
    return { target: selector(src && src.node), time: round(big.startTime) };
  }
}

function vital(m: Metric): void {
  report({
    type: 'vital',
    name: m.name,
    value: m.value,
    rating: m.rating,
    delta: m.delta,
    id: m.id,
    navigationType: m.navigationType,
    attribution: __FULL__ ? more(m, attribution(m)) : attribution(m),
  });
}

/** rum.full.js: the subparts added to the light attribution (and FCP / LCP for the summary). */
function more(m: Metric, a?: Beacon): Beacon | undefined {
  const e = m.entries as any[];
  if (m.name == 'FCP') (fcp = m.value), (dirty = 1);
  if (!a) return a;
  if (m.name == 'LCP') {
    lcp = m.value;
    lcpUrl = a.url as string;
    dirty = 1;
    const u = e[e.length - 1].url;
    return { ...a, ...lcpParts(m.value, nav(), u && performance.getEntriesByName(u, 'resource')[0]) };
  }
  if (m.name == 'INP') {
    // web-vitals may report the interaction's first entry only (pointerdown), before its
    // click: all the interaction's entries give the subparts.
    const id = e[0].interactionId;
    const all = events.filter((x) => x.interactionId == id);
    const { start, paint, ...p } = inpParts(all.length ? all : e);
    return { ...a, ...p, scripts: loafScripts(frames, start, paint, clean) };
  }
  if (m.name == 'CLS') return { ...a, value: Math.max(...e.map((x) => x.value)) };
  return a;
}

/** Observes `type` entries (buffered: earlier ones too); false when unsupported. */
function observe(type: string, cb: (e: any) => void, o?: object): void {
  try {
    new PerformanceObserver((l) => l.getEntries().forEach(cb)).observe({ type, buffered: true, ...o } as any);
  } catch {}
}

function navigation(): void {
  const n = nav();
  if (!n) return;
  report({
    type: 'navigation',
    name: 'navigation',
    value: round(n.loadEventEnd),
    dns: round(n.domainLookupEnd - n.domainLookupStart),
    tcp: round(n.connectEnd - n.connectStart),
    ttfb: round(n.responseStart),
    download: round(n.responseEnd - n.responseStart),
    domParsing: round(n.domInteractive - n.responseEnd),
    domComplete: round(n.domComplete),
    load: round(n.loadEventEnd),
    ...(__TRACE__ && navTrace(n)),
  });
}

/** rum-trace.js: the navigation beacon's trace fields. */
function navTrace(n: any): Beacon {
  // The document's own server span (Server-Timing: traceparent;desc="00-<trace>-<span>-01").
  const st = serverTrace(n.serverTiming) || [];
  // `traces` is filled until the beacon is serialised (the next flush), so requests made
  // soon after load are listed too.
  return { traceId: st[0], spanId: st[1], traces: opts.tracePropagation ? traces : undefined };
}

function resource(e: PerformanceResourceTiming): void {
  if (e.name.includes(opts.endpoint!)) return;  // our own beacons
  if (__FULL__) {
    if (all.length < MAX_ALL) all.push(record(e, location.origin, clean)), (dirty = 1);
  } else resources.push({
    u: clean(e.name),
    i: e.initiatorType,
    s: round(e.startTime),
    d: round(e.duration),
    w: round(e.responseStart > 0 ? e.responseStart - e.startTime : 0),
    z: e.transferSize,
  });
  if (!__FULL__ && resources.length > MAX_RESOURCES) {
    resources.sort((a, b) => (b.d as number) - (a.d as number));
    resources.length = MAX_RESOURCES;
  }
}

function errorBeacon(type: string, message: unknown, err: any, extra?: Beacon): void {
  const msg = String(message || (err && err.message) || err).slice(0, 300);
  capped({
    type,
    name: msg,
    value: 1,
    message: msg,
    ...extra,
    stack: err && typeof err.stack == 'string' ? err.stack.slice(0, MAX_STACK) : undefined,
  });
}

/** Queues what is collected per flush (resources), then sends the queue. */
export function flush(hidden?: boolean): void {
  if (!batcher) return;
  if (__FULL__ && dirty) {
    // One summary per page view, re-sent with the running totals (the server replaces it).
    dirty = 0;
    report({
      type: 'slow-resources',
      name: 'resources',
      value: all.length,
      id: pageView + '-r',
      summary: summarize(all, fcp, lcp),
      resources: pick(all, MAX_RESOURCES, lcpUrl),
    });
  }
  if (!__FULL__ && resources.length) {
    const r = resources.sort((a, b) => (b.d as number) - (a.d as number));
    resources = [];
    report({ type: 'slow-resources', name: 'resources', value: r[0].d, resources: r });
  }
  if (hidden) memory();
  batcher.flush();
}

/** One heap sample (Chromium only): every memoryInterval while visible, and when hidden. */
function memory(): void {
  const mem = (performance as any).memory;
  if (mem) {
    report({
      type: 'memory',
      name: 'usedJSHeapSize',
      value: mem.usedJSHeapSize,
      total: mem.totalJSHeapSize,
      limit: mem.jsHeapSizeLimit,
    });
  }
}

/** rum.full.js: this page's journeys, read from sessionStorage at the first use. */
export function journeys(): Journeys {
  if (!store)
    try {
      store = sessionStorage;  // throws in sandboxed frames and some privacy modes
    } catch {}
  return (jr ||= new Journeys(store, report, () => newPageViewId(Date.now(), Math.random)));
}

/** rum.full.js: `perfwatch.journey` (start() returns the journey; the others act on the latest open one). */
export const journey = {
  start: (name: string, o?: { target?: number }) => journeys().start(name, o),
  step: (name: string) => journeys().step(name),
  complete: () => journeys().end('completed'),
  fail: (reason?: string) => journeys().end('failed', undefined, reason),
};

/** Sends a custom metric: `name` took `ms` milliseconds (or any unit you document). */
export function measure(name: string, ms: number): void {
  if (isFinite(ms)) report({ type: 'measure', name: String(name), value: +ms });
}

function start(): void {
  started = true;
  batcher = new Batcher(transmit);
  // A page restored from the bfcache is a new page view (web-vitals reports its vitals
  // again); registered before web-vitals' listener, so those reports carry the new id.
  addEventListener(
    'pageshow',
    (e) => {
      if (e.persisted) {
        pageView = newPageViewId(Date.now(), Math.random);
        counts = {};
        if (__FULL__) (vitals = {}), (all = []), (frames = []), (fcp = lcp = lcpUrl = undefined), journeys().reload();
      }
    },
    true,
  );
  // A page being hidden flushes once, after every visibilitychange listener: web-vitals
  // reports its final values there, and processes interactions still waiting for an idle
  // callback (the 150 ms click behind an 8 ms pointerdown already reported) in listeners
  // of its own, added later. Sent one by one, the reports of one id left in separate
  // requests that can reach the server out of order, and of reports made in the same
  // millisecond it keeps the last to arrive (the CI run of stop 43 stored INP 8 for a
  // 150 ms click). The first listener, in the capture phase and before web-vitals' own,
  // holds the reports; the flush runs in the bubble phase, after every capture listener
  // on window (web-vitals adds only those). (Should a page's listener stop the event,
  // the batch timer sends.)
  addEventListener('visibilitychange', () => (hiding = +(document.visibilityState == 'hidden')), true);
  addEventListener('visibilitychange', () => hiding && ((hiding = 0), flush(true)));
  onCLS(vital);
  onFCP(vital);
  // reportAllChanges: INP entries are processed in an idle callback that may only run
  // after the page is hidden (never, in headless Chromium), too late for a final report.
  // Each change re-sends the same id, which the server replaces.
  onINP(vital, { reportAllChanges: true });
  onLCP(vital);
  onTTFB(vital);
  // Leaving a visible page fires pagehide, then visibilitychange: that flush sends this
  // one's beacons too, in the same request (a page hidden already sends here).
  addEventListener(
    'pagehide',
    () => (__FULL__ && journeys().abandon(), document.visibilityState == 'hidden' && flush()),
    true,
  );
  observe('resource', resource);
  if (__FULL__) {
    observe('long-animation-frame', (f) => frames.push(f) > 50 && frames.shift());
    observe('event', (x) => x.interactionId && events.push(x) > 50 && events.shift(), { durationThreshold: 16 });
  }
  observe('longtask', (e) =>
    capped({ type: 'long-task', name: 'long-task', value: round(e.duration), start: round(e.startTime) }),
  );
  observe('measure', (e) => report({ type: 'measure', name: e.name, value: round(e.duration), start: round(e.startTime) }));
  addEventListener('error', (e) =>
    errorBeacon('error', e.message, e.error, { source: clean(e.filename || ''), line: e.lineno, col: e.colno }),
  );
  addEventListener('unhandledrejection', (e) => errorBeacon('unhandled-rejection', 0, e.reason));
  const every = opts.memoryInterval ?? 1e4;
  if (every > 0) setInterval(() => document.visibilityState == 'visible' && memory(), Math.max(every, 1e3));
  if (document.readyState == 'complete') setTimeout(navigation);
  else addEventListener('load', () => setTimeout(navigation));
}

/**
 * Configures the SDK and starts collecting if this session is sampled. Can be called
 * again: later options override earlier ones; a session sampled out stops sending.
 */
export function init(o?: Options): void {
  opts = merge(opts, o);
  opts.endpoint = opts.endpoint || '/api/rum';
  if (!session) {
    try {
      store = sessionStorage;  // throws in sandboxed frames and some privacy modes
    } catch {}
    session = loadSession(store, Date.now(), Math.random);
  }
  sampled = isSampled(opts.sampleRate, session);
  if (sampled && !started) start();
  if (__TRACE__ && sampled && opts.tracePropagation && !patched) {
    patched = true;
    patch(
      window,
      // Not our own beacons (the keepalive fetch fallback of transmit()).
      (u) =>
        sampled && !u.includes(opts.endpoint!)
          ? tracedUrl(u, document.baseURI, opts.tracePropagation, location.origin)
          : undefined,
      (t) => traces.length < MAX_TRACES && traces.push(t),
    );
  }
}
