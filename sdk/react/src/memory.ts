// useMemoryProfiler({intervalMs}): heap samples of this tab (performance.memory, Chromium;
// none elsewhere), the trend and the leak verdict of ./leak.ts over them, and
// recommendations. Samples of the first `warmupMs` are left out of the verdict (a page's
// start-up growth is no leak). Inert while the provider is off.
import { usePerfwatch } from './context';
import { detectLeak, recommendations, type LeakOptions, type LeakVerdict } from './leak';
import { useEffect, useState } from './r';

export interface HeapSample {
  t: number;
  used: number;
  limit: number;
}

export interface MemoryProfile {
  /** The latest 300 samples, oldest first (none: performance.memory is missing, or off). */
  samples: HeapSample[];
  /** used / limit of the latest sample. */
  usage?: number;
  /** `growing` when the leak figures show a significant (p < 0.05) rise of 1 %/min or more. */
  trend?: 'growing' | 'stable';
  leak?: LeakVerdict;
  recommendations: string[];
}

export interface MemoryOptions extends LeakOptions {
  intervalMs?: number;
  warmupMs?: number;
}

export function useMemoryProfiler(o: MemoryOptions = {}): MemoryProfile {
  const { on, memory: m = {} } = usePerfwatch();
  const [s, set] = useState<MemoryProfile>({ samples: [], recommendations: [] });
  useEffect(() => {
    const pm = () => (performance as any).memory;
    if (!on || !pm()) return;
    const t0 = Date.now() + (o.warmupMs ?? 1e4);
    const all: HeapSample[] = [];
    const tick = () => {
      const c = { t: Date.now(), used: pm().usedJSHeapSize, limit: pm().jsHeapSizeLimit };
      if (all.push(c) > 4096) all.shift();
      const w = all.filter((p) => p.t >= t0);
      const leak = detectLeak(w.map((p) => p.t), w.map((p) => p.used), { windowMs: m.leakDetectionWindow, ...o });
      const usage = c.used / c.limit;
      set({
        samples: all.slice(-300),
        usage,
        trend: leak.pValue < 0.05 && leak.growthRatioPerMin > 0.01 ? 'growing' : 'stable',
        leak,
        recommendations: recommendations(leak, usage, m.heapUsageThreshold),
      });
    };
    tick();
    const id = setInterval(tick, o.intervalMs || 1e3);
    return () => clearInterval(id);
  }, [on, JSON.stringify(o), m.leakDetectionWindow, m.heapUsageThreshold]);
  return s;
}
