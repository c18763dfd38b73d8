// Batching: beacons queue up and leave as JSON arrays, each body at most MAX_BODY
// bytes of UTF-8 (sendBeacon and keepalive fetch refuse more than 64 KiB in flight).

export const MAX_BODY = 60 * 1024;

const enc = /* @__PURE__ */ new TextEncoder();

/** Byte length of `s` in UTF-8. */
export function utf8Length(s: string): number {
  return enc.encode(s).length;
}

/**
 * Serialises `items` into JSON array bodies of at most `max` bytes each, keeping order.
 * An item that alone exceeds `max` cannot be sent and is dropped.
 */
export function split(items: unknown[], max = MAX_BODY): string[] {
  const out: string[] = [];
  let parts: string[] = [];
  let size = 2;  // "[" and "]"
  for (const item of items) {
    const s = JSON.stringify(item);
    const n = utf8Length(s);
    if (n + 2 > max) continue;
    if (parts.length && size + n + 1 > max) {
      out.push('[' + parts.join(',') + ']');
      parts = [];
      size = 2;
    }
    size += n + (parts.length ? 1 : 0);
    parts.push(s);
  }
  if (parts.length) out.push('[' + parts.join(',') + ']');
  return out;
}

/**
 * A queue that sends its content as one or more bodies per flush: when it reaches
 * `maxItems`, when the timer armed by the first item fires, or on demand (page hidden).
 */
export class Batcher {
  private q: unknown[] = [];
  private timer: unknown = 0;

  constructor(
    private send: (body: string) => void,
    private maxItems = 50,
    private delay = 5000,
    private setTimer: (cb: () => void, ms: number) => unknown = (cb, ms) => setTimeout(cb, ms),
  ) {}

  get size(): number {
    return this.q.length;
  }

  add(item: unknown): void {
    this.q.push(item);
    if (this.q.length >= this.maxItems) this.flush();
    else if (!this.timer && this.delay > 0) this.timer = this.setTimer(() => this.flush(), this.delay);
  }

  /** Sends everything queued; nothing is kept for a retry. */
  flush(): void {
    const q = this.q;
    this.q = [];
    this.timer = 0;
    if (q.length) split(q).forEach(this.send);
  }
}
