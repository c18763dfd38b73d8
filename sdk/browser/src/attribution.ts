// The full build's attribution extras (rum.full.js): LCP subparts, INP subparts with the
// scripts of the long animation frames the interaction overlapped, CLS' largest shift
// value. Computed as web-vitals' attribution build defines them (its LCP and INP
// attribution code), but from the entries the SDK already has: the attribution build
// itself (about 2.2 KB gzipped) does not fit rum.full.js' 8 KB with the rest. Pure.

/** The most scripts listed for an INP (the longest win). */
export const MAX_SCRIPTS = 5;

const round = (n: number) => Math.round(n * 10) / 10;

/**
 * LCP subparts (ms, adding up to `lcp`): time to first byte, resource load delay, load
 * duration, element render delay. `nav` the navigation entry, `res` the LCP image's
 * resource entry (none for text).
 */
export function lcpParts(lcp: number, nav?: any, res?: any): Record<string, number> {
  const a = (nav && nav.activationStart) || 0;
  const ttfb = nav ? Math.max(0, nav.responseStart - a) : 0;
  const req = Math.max(ttfb, res ? (res.requestStart || res.startTime) - a : 0);
  const end = Math.min(lcp, Math.max(req, res ? res.responseEnd - a : 0));
  return { ttfb: round(ttfb), loadDelay: round(req - ttfb), loadDuration: round(end - req), renderDelay: round(lcp - end) };
}

/**
 * INP subparts (ms) of the interaction's event entries: input delay (to the first
 * handler), processing (handlers), presentation delay (to the next paint); and the
 * interaction's start and next paint time.
 */
export function inpParts(entries: any[]): Record<string, number> {
  let ps = Infinity;
  let pe = 0;
  let paint = 0;
  const start = Math.min(...entries.map((e) => e.startTime));
  for (const e of entries) {
    ps = Math.min(ps, e.processingStart);
    pe = Math.max(pe, e.processingEnd);
    paint = Math.max(paint, e.startTime + e.duration);
  }
  return {
    inputDelay: round(ps - start),
    processing: round(pe - ps),
    presentation: round(Math.max(0, paint - pe)),
    start,
    paint,
  };
}

/**
 * The scripts of the long animation frames (PerformanceLongAnimationFrameTiming) that
 * overlap [from, to], longest first, at most MAX_SCRIPTS: {src, fn, invoker, dur}.
 */
export function loafScripts(frames: any[], from: number, to: number, clean: (u: string) => string): Record<string, unknown>[] {
  const all: any[] = [];
  for (const f of frames) if (f.startTime <= to && f.startTime + f.duration >= from) all.push(...(f.scripts || []));
  return all
    .sort((a, b) => b.duration - a.duration)
    .slice(0, MAX_SCRIPTS)
    .map((s) => ({ src: clean(s.sourceURL || ''), fn: s.sourceFunctionName || '', invoker: s.invoker || '', dur: round(s.duration) }));
}
