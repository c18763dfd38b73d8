// usePerformanceMonitor(): this page view's vitals as the browser SDK reports them (the same
// beacons it sends: nothing is measured twice), the custom measures, `mark` and
// `measure(name, fn)`, and each budget's status. Inert (empty, no listeners) while the
// provider is off: on the server, before mount, or in a session sampled out.
import { subscribe, useEffect, useState } from './r';
import { usePerfwatch, type Budget } from './context';

export interface Vital {
  name: string;
  value: number;
  rating: 'good' | 'needs-improvement' | 'poor';
  delta: number;
  id: string;
  attribution?: Record<string, unknown>;
}

export interface Measure {
  name: string;
  value: number;
  start?: number;
}

export interface BudgetStatus {
  value: number;
  budget: number;
  alertThreshold?: number;
  /** `within` the budget, `over` it, or over the alert threshold too (`alert`). */
  status: 'within' | 'over' | 'alert';
}

/** The status of `value` against `b`. */
export function budgetStatus(value: number, b: Budget): BudgetStatus {
  const o = typeof b == 'number' ? { budget: b } : b;
  return { value, ...o, status: value > o.alertThreshold! ? 'alert' : value > o.budget ? 'over' : 'within' };
}

/**
 * Runs `fn` and records how long it took as a `performance.measure(name)` (the SDK sends it
 * as a custom metric, and usePerformanceMonitor lists it); a promise is measured until it
 * settles. Returns what `fn` returns.
 */
export function measure<T>(name: string, fn: () => T): T {
  const start = performance.now();
  const done = () => performance.measure(name, { start });
  let r: any;
  try {
    r = fn();
  } finally {
    r?.then || done();
  }
  return r?.then ? r.finally(done) : r;
}

interface State {
  pageViewId?: string;
  vitals: Record<string, Vital>;
  measures: Measure[];
}

export function usePerformanceMonitor() {
  const { on, budgets } = usePerfwatch();
  const [s, set] = useState<State>({ vitals: {}, measures: [] });
  useEffect(() => {
    if (on)
      return subscribe((b) =>
        set((s) =>
          b.type == 'vital'
            ? { ...s, pageViewId: b.pageViewId, vitals: { ...(s.pageViewId == b.pageViewId && s.vitals), [b.name]: b as Vital } }
            : b.type == 'measure'
              ? { ...s, measures: [...s.measures.slice(-49), b as Measure] }
              : s,
        ),
      );
  }, [on]);
  // Vitals by name (any case), else the latest measure of that name.
  const st: Record<string, BudgetStatus> = {};
  for (const k in budgets) {
    let v = s.vitals[k.toUpperCase()]?.value;
    for (const m of s.measures) if (m.name == k) v = m.value;
    if (v != null) st[k] = budgetStatus(v, budgets[k]);
  }
  return {
    /** The SDK runs and this session is sampled in. */
    active: on,
    ...s,
    budgets: st,
    measure: <T,>(name: string, fn: () => T): T => (on ? measure(name, fn) : fn()),
  };
}
