// useNetworkProfiler(): this page's resources as the full SDK records them (its `record` and
// `summarize` over the browser's resource timeline: nothing new is measured), the slowest
// ones, and the bottlenecks: the server's per-page findings (docs/analysis.md, "Network")
// that one page view can show, plus the seeds' slow resource (> 1 s). Refreshed as
// the SDK reports and every 5 s. Inert while the provider is off.
import type { Res, Summary } from '@perfwatch/rum';
import { usePerfwatch, type PerfwatchConfig } from './context';
import { pick, record, stripUrl, subscribe, summarize, useEffect, useState } from './r';

export interface Bottleneck {
  kind: string;
  severity: 'critical' | 'warning';
  /** The resource (none for the page's budgets). */
  url?: string;
  /** The figure the rule compared (ms, bytes or a count) and its limit. */
  value: number;
  limit: number;
}

export interface NetworkProfile {
  summary?: Summary;
  resources?: number;
  transferBytes?: number;
  /** The 10 slowest, slowest first, plus the LCP resource (`lcp: 1`) when not among them. */
  slowest: Res[];
  /** Latest end of the render-blocking resources and the LCP resource (ms). */
  criticalPath?: number;
  /** The page's budgets (critical) first, then the resources' findings in loading order. */
  bottlenecks: Bottleneck[];
}

/**
 * The profile of one page view's records; `fcp`, `lcp` and `lcpUrl` (the LCP resource's
 * stripped URL) from the vitals when known; `b` the budgets (defaults: the server's).
 */
export function profile(list: Res[], fcp?: number, lcp?: number, lcpUrl?: string, b: PerfwatchConfig['network'] = {}): NetworkProfile {
  const out: Bottleneck[] = [];
  const add = (kind: string, value: number, limit: number, url?: string) =>
    value > limit && out[url ? 'push' : 'unshift']({ kind, severity: url ? 'warning' : 'critical', url, value, limit });
  const first = Math.min(...list.map((r) => r.s));
  const summary = summarize(list, fcp, lcp);
  const bytes = summary.firstParty.transfer + summary.thirdParty.transfer;
  let path = 0;
  for (const r of list) {
    const u = r.u;
    if (r.rb || u == lcpUrl) path = Math.max(path, r.s + r.d);
    if (r.rb) add('render_blocking', r.d, -1, u);
    if (/script|css/.test(r.t) || /\.json$/.test(u)) add('uncompressed_text', r.e == r.b && !r.c ? r.b : 0, 1024, u);
    if (r.t == 'img') add('oversized_image', r.b, 512e3, u);
    if (u == lcpUrl && r.i != 'link') add('lcp_not_preloaded', r.s - first, 100, u);
    add('slow_resource', r.d, 1e3, u);
  }
  add('over_budget_resources', list.length, b.resourceCountBudget ?? 100);
  add('over_budget_bytes', bytes, b.totalSizeBudget ?? 2097152);
  add('over_budget_critical_path', path, b.criticalPathBudget ?? 1500);
  return {
    summary,
    resources: list.length,
    transferBytes: bytes,
    slowest: pick(list, 10, lcpUrl),
    criticalPath: path,
    bottlenecks: out,
  };
}

export function useNetworkProfiler(): NetworkProfile {
  const { on, network, keepQueryString, endpoint = '/api/rum' } = usePerfwatch();
  const [s, set] = useState<NetworkProfile>({ slowest: [], bottlenecks: [] });
  useEffect(() => {
    if (!on) return;
    let fcp: number, lcp: number, lcpUrl: string, timer: any;
    const run = () => {
      timer = 0;
      const list = (performance.getEntriesByType('resource') as PerformanceResourceTiming[])
        .filter((e) => !e.name.includes(endpoint))
        .map((e) => record(e, location.origin, (u) => stripUrl(u, keepQueryString)));
      set(profile(list, fcp, lcp, lcpUrl, network));
    };
    const later = () => timer || (timer = setTimeout(run, 300));
    // Recomputed 300 ms after any beacon (vitals, API calls, ...) and every 5 s.
    const un = subscribe((b) => {
      if (b.name == 'FCP') fcp = b.value;
      if (b.name == 'LCP') (lcp = b.value), (lcpUrl = b.attribution?.url);
      later();
    });
    const id = setInterval(later, 5e3);
    run();
    return () => (un(), clearInterval(id), clearTimeout(timer));
  }, [on]);
  return s;
}
