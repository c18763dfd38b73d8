// The part of @perfwatch/rum's npm build (sdk/browser/src/index.ts) this package uses; the
// browser SDK ships no declarations of its own.
declare module '@perfwatch/rum' {
  export type Beacon = Record<string, any>;
  export interface Options {
    endpoint?: string;
    app?: string;
    sampleRate?: number;
    keepQueryString?: boolean;
    tracePropagation?: boolean | { origins?: string[] };
    memoryInterval?: number;
  }
  export interface Res {
    u: string; i: string; t: string; s: number; d: number;
    dns: number; tcp: number; tls: number; req: number; res: number;
    z: number; e: number; b: number; p: string;
    rb?: 1; c?: 1; lcp?: 1; tp?: 1;
  }
  export interface Totals { n: number; transfer: number; encoded: number; decoded: number }
  export interface Summary {
    byType: Record<string, Totals>; firstParty: Totals; thirdParty: Totals; cacheHits: number;
    protocols: Record<string, number>; blocking: number; beforeFcp: number; beforeLcp: number;
  }
  export interface JourneyHandle { step(name: string): void; complete(): void; fail(reason?: string): void }
  export function init(o?: Options): void;
  export function subscribe(cb: (b: Beacon) => void): () => void;
  export function pageViewId(): string;
  export function isSampledIn(): boolean;
  export function stripUrl(url: string, keep?: boolean): string;
  export function record(e: PerformanceResourceTiming, origin: string, clean: (u: string) => string): Res;
  export function summarize(list: Res[], fcp?: number, lcp?: number): Summary;
  export function pick(list: Res[], n: number, lcpUrl?: string): Res[];
  export const journey: { start(name: string, o?: { target?: number }): JourneyHandle };
}
