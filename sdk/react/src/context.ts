// <PerfwatchProvider>: starts the browser SDK (@perfwatch/rum) once mounted, and gives the
// hooks below it the app, the server, the budgets and whether this session is sampled in.
// Nothing runs while rendering (SSR-safe): init() happens in an effect, and until it has
// (on the server, or a session sampled out) `on` is false and every hook stays inert.
import type { ReactNode } from 'react';
import { createContext, createElement, init, isSampledIn, useContext, useEffect, useState } from './r';

/** A budget: a number (the budget) or the seeds' `{budget, alertThreshold}`. */
export type Budget = number | { budget: number; alertThreshold?: number };

export interface PerfwatchConfig {
  /** The app name every beacon carries (`app`). */
  app?: string;
  /** perfwatch's base URL for the APIs the hooks read (score, alerts); default: this origin. */
  server?: string;
  /** Where beacons go; default `${server}/api/rum`. */
  endpoint?: string;
  /** Share of tab sessions measured, 0..1 (the SDK's `sampleRate`). */
  sampleRate?: number;
  /** An API token (`Authorization: Bearer`) for the score and alert hooks. */
  token?: string;
  /** Budgets by vital (`LCP`, `INP`, `CLS`, `FCP`, `TTFB`, any case) or measure name. */
  budgets?: Record<string, Budget>;
  /** useMemoryProfiler's defaults: heap share that warns, leak window (ms). */
  memory?: { heapUsageThreshold?: number; leakDetectionWindow?: number };
  /** useNetworkProfiler's budgets (defaults: the server's, 100 resources, 2 MiB, 1500 ms). */
  network?: { resourceCountBudget?: number; totalSizeBudget?: number; criticalPathBudget?: number };
  /** Passed to the SDK as they are. */
  keepQueryString?: boolean;
  memoryInterval?: number;
}

export interface Perfwatch extends PerfwatchConfig {
  /** The SDK runs and this session is sampled in (false during SSR and before mount). */
  on: boolean;
}

const Ctx = createContext<Perfwatch>({ on: false });

export function PerfwatchProvider(p: PerfwatchConfig & { children?: ReactNode }) {
  const [on, setOn] = useState(false);
  const { app, endpoint, server, sampleRate } = p;
  useEffect(() => {
    // The SDK keeps only the options it knows (the others are ignored).
    init({ ...p, endpoint: endpoint || (server && server + '/api/rum') } as any);
    setOn(isSampledIn());
  }, [app, endpoint, server, sampleRate, p.keepQueryString, p.memoryInterval]);
  return createElement(Ctx.Provider, { value: { ...p, on } }, p.children);
}

/** The provider's configuration and state (`on`). */
export const usePerfwatch = (): Perfwatch => useContext(Ctx);

/** `server` (hook option, else the provider's, else this origin), the auth header and the app. */
export function useApi(o: { server?: string; token?: string; app?: string }): [string, Record<string, string>, string?] {
  const c = usePerfwatch();
  const t = o.token ?? c.token;
  return [o.server ?? c.server ?? '', t ? { authorization: 'Bearer ' + t } : {}, o.app ?? c.app];
}
