// What the hooks report, shown next to each page (data-* attributes for the e2e test).
import { useMemoryProfiler, useNetworkProfiler, usePerformanceMonitor, usePerformanceScore } from '@perfwatch/react';

const fmt = (name: string, v: number) => (name == 'CLS' ? v.toFixed(3) : Math.round(v) + ' ms');

export function VitalsPanel() {
  const { active, pageViewId, vitals, budgets, measures } = usePerformanceMonitor();
  const score = usePerformanceScore({ window: '1h', refreshMs: 10_000 });
  return (
    <section id="vitals" data-page-view-id={pageViewId} data-active={active}>
      <h2>This page view</h2>
      <table>
        <tbody>
          {Object.values(vitals).map((v) => (
            <tr key={v.name} data-vital={v.name} data-value={v.value} data-rating={v.rating}>
              <th>{v.name}</th>
              <td>{fmt(v.name, v.value)}</td>
              <td className={'r-' + v.rating}>{v.rating}</td>
              <td>{budgets[v.name] ? budgets[v.name].status : ''}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {measures.length > 0 && (
        <p>
          Latest measure: {measures[measures.length - 1].name} {Math.round(measures[measures.length - 1].value)} ms
        </p>
      )}
      <p id="score" data-score={score.score ?? ''}>
        Score (1 h): {score.score ?? '–'} {score.page ? `· this page ${score.page.score}` : ''}
      </p>
    </section>
  );
}

export function MemoryPanel() {
  const m = useMemoryProfiler({ intervalMs: 1000, warmupMs: 10_000 });
  const last = m.samples[m.samples.length - 1];
  return (
    <section
      id="memory"
      data-samples={m.samples.length}
      data-leaking={m.leak ? String(m.leak.leaking) : ''}
      data-severity={m.leak?.severity ?? ''}
      data-points={m.leak?.points ?? 0}
      data-growth={m.leak?.growthRatioPerMin ?? ''}
    >
      <h2>Memory</h2>
      {last ? (
        <p>
          Heap {(last.used / 1e6).toFixed(1)} MB · trend {m.trend} · leak: {m.leak?.leaking ? m.leak.severity : 'none'} (
          {m.leak?.points} points)
        </p>
      ) : (
        <p>performance.memory is not available in this browser.</p>
      )}
      <ul>
        {m.recommendations.map((r) => (
          <li key={r}>{r}</li>
        ))}
      </ul>
    </section>
  );
}

export function NetworkPanel() {
  const n = useNetworkProfiler();
  return (
    <section id="network" data-resources={n.resources ?? 0}>
      <h2>Network</h2>
      <p>
        {n.resources ?? 0} resources, {Math.round((n.transferBytes ?? 0) / 1024)} KB, critical path {Math.round(n.criticalPath ?? 0)} ms
      </p>
      <ul>
        {n.bottlenecks.map((b, i) => (
          <li key={i} data-kind={b.kind}>
            {b.kind} {b.url ?? ''}
          </li>
        ))}
      </ul>
    </section>
  );
}
