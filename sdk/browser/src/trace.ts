// Browser ↔ backend: W3C trace context (https://www.w3.org/TR/trace-context/).
// Opt-in (`tracePropagation`): fetch() and XMLHttpRequest requests to the page's own
// origin, and to the origins the site lists, get a `traceparent` header with a fresh
// trace id, so the backend's OpenTelemetry spans of that request share the id the page
// view records. Other origins never get it (an unexpected header breaks their CORS).
// Also reads the document's own trace from `Server-Timing: traceparent;desc="00-…"`.

/** The option: `true` traces same-origin requests; `{origins}` adds those origins too. */
export type TracePropagation = boolean | { origins?: string[] };

/** A request the SDK traced: trace id, URL path, duration in ms (set when it ends). */
export interface Traced {
  t: string;
  u: string;
  d?: number;
}

/** The traceparent value: version 00, random trace id and parent id, sampled (01). */
export function traceparent(): string {
  const b = crypto.getRandomValues(new Uint8Array(24));
  const h = Array.from(b, (x) => (x | 256).toString(16).slice(1)).join('');
  return '00-' + h.slice(0, 32) + '-' + h.slice(32) + '-01';
}

/**
 * The URL (absolute or relative to `base`, the document's base URL) when a request to it
 * is traced under `opt`: same origin as the page (`origin`, default base's), or one of
 * `opt.origins`; undefined otherwise.
 */
export function tracedUrl(
  url: string,
  base: string,
  opt?: TracePropagation,
  origin = new URL(base).origin,
): URL | undefined {
  if (!opt) return;
  try {
    const o = new URL(url, base).origin;
    if (o == origin || (((opt as any).origins || []) as string[]).some((x) => new URL(x, base).origin == o))
      return new URL(url, base);
  } catch {}
}

/** The trace id and span id of a `traceparent` Server-Timing entry, if any. */
export function serverTrace(entries?: readonly { name: string; description: string }[]): string[] | undefined {
  const e = entries && entries.find((x) => x.name == 'traceparent');
  const m = e && /^00-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}$/.exec(e.description);
  if (m) return [m[1], m[2]];
}

/**
 * Wraps `w.fetch` and `w.XMLHttpRequest` so that requests `want(url)` accepts carry a new
 * traceparent (unless they already have one) and are passed to `record` (which may set
 * `d`). Returns nothing; call once per window.
 */
export function patch(w: any, want: (url: string) => URL | undefined, record: (t: Traced) => void): void {
  const now = () => performance.now();
  const begin = (url: string): [string, Traced] | undefined => {
    const u = want(url);
    if (!u) return;
    const tp = traceparent();
    const t: Traced = { t: tp.slice(3, 35), u: u.pathname };
    record(t);
    return [tp, t];
  };
  const done = (t: Traced, t0: number) => () => (t.d = Math.round((now() - t0) * 10) / 10);
  const F = w.fetch;
  if (F)
    w.fetch = function (input: any, init?: any) {
      let h: Headers, b;
      try {
        h = new Headers((init && init.headers) || input.headers);
        b = !h.has('traceparent') && begin(input.url || String(input));
      } catch {}
      if (!b) return F.call(w, input, init);
      h!.set('traceparent', b[0]);
      const t0 = now();
      const p = F.call(w, input, { ...init, headers: h! });
      p.then(done(b[1], t0), done(b[1], t0));
      return p;
    };
  const X = w.XMLHttpRequest && w.XMLHttpRequest.prototype;
  if (X) {
    const { open, send, setRequestHeader } = X;
    X.open = function (this: any, m: string, url: string) {
      this._pwu = String(url);
      this._pwh = 0;
      return open.apply(this, arguments);
    };
    X.setRequestHeader = function (this: any, n: string) {
      if (String(n).toLowerCase() == 'traceparent') this._pwh = 1;
      return setRequestHeader.apply(this, arguments);
    };
    X.send = function (this: any) {
      const b = !this._pwh && this._pwu && begin(this._pwu);
      if (b) {
        setRequestHeader.call(this, 'traceparent', b[0]);
        this.addEventListener('loadend', done(b[1], now()));
      }
      return send.apply(this, arguments);
    };
  }
}
