// Configuration: from the <script> tag's data-* attributes and from perfwatch.init().

import type { TracePropagation } from './trace';

/** Options accepted by `perfwatch.init()` and, as data-* attributes, by the script tag. */
export interface Options {
  /** Where beacons are POSTed. Default: origin rum.js was loaded from + "/api/rum". */
  endpoint?: string;
  /** Site name sent as the beacon's `app` field. Default: "default" (server side). */
  app?: string;
  /** Share of sessions that send anything, 0..1, decided once per tab session. */
  sampleRate?: number;
  /** Keep query strings and fragments in URLs (default false: they may hold PII). */
  keepQueryString?: boolean;
  /** Do not start from the script tag; wait for perfwatch.init(). */
  manual?: boolean;
  /**
   * Add a W3C `traceparent` header to same-origin fetch()/XHR requests (`true`) and to
   * those of `origins` too; the navigation beacon lists the trace ids. Default off.
   */
  tracePropagation?: TracePropagation;
  /**
   * Milliseconds between heap samples (`memory` beacons, Chromium's performance.memory)
   * while the page is visible, for the server's leak detector. Default 10000; 0: off
   * (one sample when the page is hidden, as before).
   */
  memoryInterval?: number;
}

/** The piece of an HTMLScriptElement the parser needs (so tests can fake it). */
export interface ScriptLike {
  src?: string;
  getAttribute(name: string): string | null;
}

export const DEFAULT_PATH = '/api/rum';

/** Clamps a sample rate to [0, 1]; NaN and non-numbers give undefined (use default). */
export function toRate(v: unknown): number | undefined {
  const n = typeof v === 'string' ? (v.trim() ? +v : NaN) : (v as number);
  return typeof n === 'number' && n === n ? Math.min(1, Math.max(0, n)) : undefined;
}

/** The default endpoint for a script loaded from `src`: its origin + /api/rum. */
export function defaultEndpoint(src?: string): string {
  try {
    return new URL(src!).origin + DEFAULT_PATH;
  } catch {
    return DEFAULT_PATH;  // no (absolute) script URL: same origin as the page
  }
}

/** A number attribute; missing or junk gives undefined (use the default). */
const toNum = (v: string | null) => (v && isFinite(+v) ? +v : undefined);

/** A boolean attribute: present and not "false"/"0". */
function flag(v: string | null): boolean | undefined {
  return v == null ? undefined : v !== 'false' && v !== '0';
}

/** Reads options from the script tag's data-* attributes; missing ones stay undefined. */
export function fromScript(el: ScriptLike | null | undefined): Options {
  if (!el) return {};
  const a = (n: string) => el.getAttribute('data-' + n);
  return {
    endpoint: a('endpoint') || defaultEndpoint(el.src),
    app: a('app') || undefined,
    sampleRate: toRate(a('sample-rate')),
    keepQueryString: flag(a('keep-query-string')),
    manual: flag(a('manual')),
    memoryInterval: toNum(a('memory-interval')),
    ...(__TRACE__ && { tracePropagation: flag(a('trace-propagation')) }),
  };
}

/** `base` overridden by every option `over` defines (undefined means "not given"). */
export function merge(base: Options, over?: Options): Options {
  const out: Options = { ...base };
  if (over) {
    for (const k in over) {
      const v = (over as Record<string, unknown>)[k];
      if (v !== undefined) (out as Record<string, unknown>)[k] = k === 'sampleRate' ? toRate(v) : v;
    }
  }
  return out;
}
