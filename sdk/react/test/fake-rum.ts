// A stand-in for @perfwatch/rum in the unit tests (scripts/build.mjs --tests aliases it):
// the hooks' input is what a test emits; the resource helpers are the SDK's real ones.
export { kind, pick, record, summarize } from '../../browser/src/resources';
export { stripUrl } from '../../browser/src/url';

type Beacon = Record<string, any>;
const subs = new Set<(b: Beacon) => void>();
export const state = { sampled: true, inits: [] as any[], journeys: [] as string[] };

export function init(o: any): void {
  state.inits.push(o);
}
export const isSampledIn = () => state.sampled;
export const pageViewId = () => 'pv';
export function subscribe(cb: (b: Beacon) => void): () => void {
  subs.add(cb);
  return () => subs.delete(cb);
}
/** Sends `b` to every subscriber, as the SDK's report() does. */
export const emit = (b: Beacon) => subs.forEach((f) => f(b));
export const subscribers = () => subs.size;
export const journey = {
  start(name: string, o?: { target?: number }) {
    state.journeys.push(`start ${name} ${o?.target}`);
    return {
      step: (s: string) => state.journeys.push(`step ${name} ${s}`),
      complete: () => state.journeys.push(`complete ${name}`),
      fail: (r?: string) => state.journeys.push(`fail ${name} ${r}`),
    };
  },
};
export function reset(): void {
  subs.clear();
  state.sampled = true;
  state.inits = [];
  state.journeys = [];
}
