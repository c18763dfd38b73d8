// usePerformanceScore(): the server's performance score (GET /api/v1/score?by=page,
// docs/score.md) of the app and of this page, reloaded every `refreshMs`. `page` is the
// route template the server groups by (default: location.pathname). Works whether or not
// this session is sampled; never runs on the server.
import { useApi } from './context';
import { getJson, useEffect, useState } from './r';

export interface PageScore {
  page: string;
  score: number | null;
  views: number;
  opportunity: number;
}

export interface ScoreState {
  score?: number | null;
  views?: number;
  page?: PageScore;
  error?: string;
}

export interface ScoreOptions {
  server?: string;
  token?: string;
  app?: string;
  page?: string;
  /** A duration (`24h`, default) ending now. */
  window?: string;
  refreshMs?: number;
}

export function usePerformanceScore(o: ScoreOptions = {}): ScoreState {
  const [base, h, app] = useApi(o);
  const [s, set] = useState<ScoreState>({});
  useEffect(() => {
    let live = 1;
    const page = o.page ?? location.pathname;
    const get = () =>
      getJson(`${base}/api/v1/score?by=page&window=${o.window || '24h'}` + (app ? '&app=' + encodeURIComponent(app) : ''), h).then(
        ({ data: d }) => live && set({ score: d.score, views: d.views, page: d.pages.find((p: PageScore) => p.page == page) }),
        (e) => live && set((s) => ({ ...s, error: String(e) })),
      );
    get();
    const id = setInterval(get, o.refreshMs || 6e4);
    return () => ((live = 0), clearInterval(id));
  }, [base + h.authorization, app, o.page, o.window, o.refreshMs]);
  return s;
}
