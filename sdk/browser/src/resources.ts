// The full build's resource timings (rum.full.js): one compact record per resource, the
// page view's summary (counts and bytes by type and party, cache hits, protocols,
// render-blocking, finished before FCP / LCP) and the slowest records to list. Pure.

/** One resource, as sent in the summary beacon's `resources` (ms rounded to 0.1). */
export interface Res {
  /** URL (stripped), initiatorType, type (`kind`), start, duration */
  u: string;
  i: string;
  t: string;
  s: number;
  d: number;
  /** DNS, TCP connect (without TLS), TLS, request (to first byte), response (body) */
  dns: number;
  tcp: number;
  tls: number;
  req: number;
  res: number;
  /** transferSize, encodedBodySize, decodedBodySize, nextHopProtocol */
  z: number;
  e: number;
  b: number;
  p: string;
  /** 1 when render-blocking / a cache hit / the LCP resource / third party */
  rb?: 1;
  c?: 1;
  lcp?: 1;
  tp?: 1;
}

/** Count and bytes of a group of resources. */
export interface Totals {
  n: number;
  transfer: number;
  encoded: number;
  decoded: number;
}

export interface Summary {
  byType: Record<string, Totals>;
  firstParty: Totals;
  thirdParty: Totals;
  cacheHits: number;
  protocols: Record<string, number>;
  blocking: number;
  beforeFcp: number;
  beforeLcp: number;
}

/** The piece of a PerformanceResourceTiming `record` reads (so tests can fake it). */
export type ResourceLike = Pick<
  PerformanceResourceTiming,
  | 'name' | 'initiatorType' | 'startTime' | 'duration' | 'domainLookupStart' | 'domainLookupEnd'
  | 'connectStart' | 'connectEnd' | 'secureConnectionStart' | 'requestStart' | 'responseStart'
  | 'responseEnd' | 'transferSize' | 'encodedBodySize' | 'decodedBodySize' | 'nextHopProtocol'
> & { renderBlockingStatus?: string };

const round = (n: number) => (n > 0 ? Math.round(n * 10) / 10 : 0);

/** script | css | img | font | fetch | other, from the initiator and the URL's extension. */
export function kind(initiator: string, url: string): string {
  if (/^(fetch|xmlhttprequest|beacon)$/.test(initiator)) return 'fetch';
  const ext = (/\.(\w+)$/.exec(url.split(/[?#]/)[0]) || [])[1] || '';
  return /^m?js$/i.test(ext) || initiator == 'script'
    ? 'script'
    : /^css$/i.test(ext)
      ? 'css'
      : /^(png|jpe?g|gif|webp|avif|svg|ico|bmp)$/i.test(ext) || /^(img|image)$/.test(initiator)
        ? 'img'
        : /^(woff2?|ttf|otf|eot)$/i.test(ext)
          ? 'font'
          : 'other';
}

/**
 * The record of `e` on a page of origin `origin`; `clean` strips its URL. A cache hit:
 * nothing transferred but a body (memory/disk cache), or fewer bytes transferred than the
 * body's (a revalidated 304).
 */
export function record(e: ResourceLike, origin: string, clean: (u: string) => string): Res {
  const tls = e.secureConnectionStart > 0;
  const r: Res = {
    u: clean(e.name),
    i: e.initiatorType,
    t: kind(e.initiatorType, e.name),
    s: round(e.startTime),
    d: round(e.duration),
    dns: round(e.domainLookupEnd - e.domainLookupStart),
    tcp: round((tls ? e.secureConnectionStart : e.connectEnd) - e.connectStart),
    tls: tls ? round(e.connectEnd - e.secureConnectionStart) : 0,
    req: e.responseStart > 0 ? round(e.responseStart - e.requestStart) : 0,
    res: e.responseStart > 0 ? round(e.responseEnd - e.responseStart) : 0,
    z: e.transferSize || 0,
    e: e.encodedBodySize || 0,
    b: e.decodedBodySize || 0,
    p: e.nextHopProtocol || '',
  };
  if (e.renderBlockingStatus == 'blocking') r.rb = 1;
  if ((!r.z && r.b) || (r.z && r.z < r.e)) r.c = 1;
  try {
    if (new URL(e.name).origin != origin) r.tp = 1;
  } catch {}
  return r;
}

const totals = (): Totals => ({ n: 0, transfer: 0, encoded: 0, decoded: 0 });

function add(t: Totals, r: Res): void {
  t.n++;
  t.transfer += r.z;
  t.encoded += r.e;
  t.decoded += r.b;
}

/** The summary of `list`; `fcp` and `lcp` are the page's FCP and LCP times, if known. */
export function summarize(list: Res[], fcp?: number, lcp?: number): Summary {
  const s: Summary = {
    byType: {},
    firstParty: totals(),
    thirdParty: totals(),
    cacheHits: 0,
    protocols: {},
    blocking: 0,
    beforeFcp: 0,
    beforeLcp: 0,
  };
  for (const r of list) {
    add((s.byType[r.t] ||= totals()), r);
    add(r.tp ? s.thirdParty : s.firstParty, r);
    const end = r.s + r.d;
    s.cacheHits += r.c || 0;
    s.blocking += r.rb || 0;
    if (r.p) s.protocols[r.p] = (s.protocols[r.p] || 0) + 1;
    if (end <= fcp!) s.beforeFcp++;
    if (end <= lcp!) s.beforeLcp++;
  }
  return s;
}

/**
 * The `n` slowest of `list` (slowest first) plus the LCP resource (URL `lcpUrl`, as
 * stripped) when it is not among them, marked `lcp: 1`. Copies; `list` is unchanged.
 */
export function pick(list: Res[], n: number, lcpUrl?: string): Res[] {
  const out = list.slice().sort((a, b) => b.d - a.d).slice(0, n);
  const l = lcpUrl && list.find((r) => r.u == lcpUrl);
  if (l) {
    const i = out.indexOf(l);
    out[i < 0 ? out.length : i] = { ...l, lcp: 1 };
  }
  return out;
}
