// useAlertManager({server, token}): the app's active alerts (GET /api/v2/alerts, with their
// fingerprints and perfwatch's acknowledgement), reloaded on every `alerts` or `reset`
// event of the server's stream (GET /api/v1/stream?types=alerts, read with fetch so the
// token can go in a header; reconnects after 2 s), and `acknowledge(fingerprint, comment)`
// (POST /api/v1/alerts/{fingerprint}/ack). Alerts whose `app` label is not the app's are
// left out (all when no app is configured). Works whether or not this session is sampled
// (it reads the server, it measures nothing); never runs on the server (effects only).
import { useApi } from './context';
import { getJson, useEffect, useState } from './r';

export interface Alert {
  fingerprint: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  /** Alertmanager's: `state` (`active`, or `suppressed` when silenced or inhibited), and
   * perfwatch's `acknowledgement` while one is in force. */
  status: {
    state: string;
    acknowledgement?: { acknowledgedBy: string; acknowledgedAt: string; comment: string; until: string | null };
  };
}

export interface AlertOptions {
  server?: string;
  token?: string;
  /** Default: the provider's app. */
  app?: string;
}

/** True when the SSE text `t` has an `alerts` or `reset` event line. */
export const alertEvent = (t: string) => /^event: ?(alerts|reset)\b/m.test(t);

export interface AlertState {
  alerts: Alert[];
  /** The stream is open. */
  connected?: boolean;
  error?: string;
}

export function useAlertManager(o: AlertOptions = {}) {
  const [base, h, app] = useApi(o);
  const [s, set] = useState<AlertState>({ alerts: [] });
  const up = (x: Partial<AlertState>) => set((s) => ({ ...s, ...x }));
  const load = () =>
    getJson(base + '/api/v2/alerts?active=true', h).then(
      (l: Alert[]) => up({ alerts: l.filter((a) => !app || a.labels.app == app), error: undefined }),
      (e) => up({ error: String(e) }),
    );
  useEffect(() => {
    const ac = new AbortController();
    let retry: any;
    const connect = async () => {
      try {
        const r = await fetch(base + '/api/v1/stream?types=alerts', { headers: h, signal: ac.signal });
        if (!r.ok) throw r.status;
        up({ connected: true });
        load();
        const rd = r.body!.getReader();
        const dec = new TextDecoder();
        let buf = '';
        for (let x; !(x = await rd.read()).done; ) {
          // Whole lines only: the last (maybe partial) line waits for the next chunk.
          const l = (buf + dec.decode(x.value, { stream: true })).split('\n');
          buf = l.pop()!;
          if (alertEvent(l.join('\n'))) load();
        }
        throw 0;
      } catch (e) {
        if (ac.signal.aborted) return;
        up({ connected: false });
        e && up({ error: String(e) });
        retry = setTimeout(connect, 2000);
      }
    };
    connect();
    return () => (ac.abort(), clearTimeout(retry));
  }, [base + h.authorization, app]);
  return {
    ...s,
    firing: s.alerts.filter((a) => a.status.state == 'active'),
    refresh: load,
    /** Acknowledges an alert (token scope `alert`); resolves with the server's acknowledgement. */
    acknowledge: async (fingerprint: string, comment?: string, until?: string) => {
      const j = await getJson(`${base}/api/v1/alerts/${fingerprint}/ack`, h, {
        method: 'POST',
        headers: { ...h, 'content-type': 'application/json' },
        body: JSON.stringify({ comment, until }),
      });
      await load();
      return j;
    },
  };
}
