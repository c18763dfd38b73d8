// What a dashboard page is: a path, a title, and mount(), which builds the page into the
// main element and returns how to update it when the query string changes (app, window,
// the page's own parameters) and how to tear it down. Later issues add pages (APM, errors,
// regressions, network, journeys, synthetic checks, budgets) by adding one to routes.ts.
import { isAbort } from './api';
import { errorBox } from './dom';

export interface PageInstance {
  update?(): void; // the query string changed; without it the page is mounted anew
  destroy?(): void;
}

export interface PageDef {
  path: string;
  title: string;
  parent?: string; // a sub-page (e.g. /route under /services): not in the navigation; the parent's link is marked current
  mount(root: HTMLElement): PageInstance;
}

/**
 * Runs an async load, aborting the previous one still in flight, so fast clicks and live
 * events never let an older answer overwrite a newer one. A failed load shows its error
 * in `errorTarget` (if given) instead of throwing.
 */
export class Loader {
  private ctl: AbortController | null = null;
  constructor(private readonly fn: (signal: AbortSignal) => Promise<void>, private readonly errorTarget?: () => HTMLElement | null) {}

  async run(): Promise<void> {
    this.ctl?.abort();
    const ctl = (this.ctl = new AbortController());
    try {
      await this.fn(ctl.signal);
    } catch (err) {
      if (isAbort(err) || ctl.signal.aborted) return;
      const target = this.errorTarget?.();
      if (target) target.replaceChildren(errorBox(err));
    }
  }

  stop(): void {
    this.ctl?.abort();
  }
}
