// useRenderTracking(name), useInteractionTracking(name), useUserJourney(name): custom
// metrics the browser SDK sends (performance.measure -> `measure` beacons; journeys ->
// `journey` beacons). Inert while the provider is off (SSR, sampled out).
import type { JourneyHandle } from '@perfwatch/rum';
import { journey, useEffect, useLayoutEffect, useRef } from './r';
import { usePerfwatch } from './context';
import { measure } from './monitor';

// useLayoutEffect warns during server rendering; it never runs there anyway.
const useCommit = typeof window == 'undefined' ? useEffect : useLayoutEffect;

/**
 * Times each render of the calling component to its commit (`render:<name>`, ms): the
 * mount always, an update when it took at least `slowMs` (default 16, one frame).
 */
export function useRenderTracking(name: string, slowMs = 16): void {
  const { on } = usePerfwatch();
  const n = useRef(0);
  const t = on && performance.now();
  useCommit(() => {
    if (t && (!n.current++ || performance.now() - t >= slowMs)) performance.measure('render:' + name, { start: t });
  });
}

/**
 * `track(fn)` wraps an event handler: each call is measured as `interaction:<name>` (ms,
 * until a returned promise settles).
 */
export function useInteractionTracking(name: string) {
  const { on } = usePerfwatch();
  return {
    track:
      <A extends unknown[], R>(fn: (...a: A) => R) =>
      (...a: A): R =>
        on ? measure('interaction:' + name, () => fn(...a)) : fn(...a),
  };
}

/**
 * A journey (the SDK's, kept across pages of the tab session): start({target}), step(name),
 * complete(), fail(reason). Calls before start() or while off do nothing.
 */
export function useUserJourney(name: string) {
  const { on } = usePerfwatch();
  const j = useRef<JourneyHandle | void>();
  const end = (f: (h: JourneyHandle) => void) => (j.current && f(j.current), (j.current = undefined));
  return {
    start: (o?: { target?: number }) => {
      if (on) j.current = journey.start(name, o);
    },
    step: (s: string) => j.current?.step(s),
    complete: () => end((h) => h.complete()),
    fail: (reason?: string) => end((h) => h.fail(reason)),
  };
}
