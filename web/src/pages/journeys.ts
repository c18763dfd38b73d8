// Journeys (/journeys, issue 16 item 4): user journeys (perfwatch.journey.start(name,
// {target}) in /rum.full.js) from GET /api/v1/journeys?app=&from=&to=: one funnel per
// journey (each step's reached count as a bar with its drop-off, its p75 duration, the
// bottleneck steps marked in text), the outcome counts, the completion rate and p50 / p75
// against the target; then a table of all journeys with export. The app picker and the
// time window filter.
import './network.css';

import { get } from '../api';
import { h, replace, section } from '../dom';
import { formatCount } from '../format';
import { Loader, type PageDef } from '../page';
import { param, rangeParams, timeRange } from '../state';
import { exportButtons, table } from '../table';
import { formatDurationMs, formatRatio } from './apm-common';
import { needFullSdk } from './network';

export interface JourneyStep {
  name: string;
  p75: number | null;
  reached: number;
  drop_off: number | null;
}

export interface Journey {
  app: string;
  name: string;
  started: number;
  completed: number;
  failed: number;
  abandoned: number;
  in_progress?: number;
  completion_rate: number | null;
  p50: number | null;
  p75: number | null;
  target: number | null;
  over_target_ratio: number | null;
  steps: JourneyStep[];
  bottleneck: { slowest_step: string | null; largest_drop_off: string | null };
}

/** "started 6 · completed 3 · failed 1 · abandoned 1 · in progress 1". */
export function outcomeLine(j: Journey): string {
  return `started ${formatCount(j.started)} · completed ${formatCount(j.completed)} · failed ${formatCount(j.failed)} · abandoned ${formatCount(j.abandoned)}` +
    (j.in_progress !== undefined ? ` · in progress ${formatCount(j.in_progress)}` : '');
}

/** "p50 4.5 s · p75 4.75 s · target 5 s · 33.3 % over target" (or "no target"). */
export function durationLine(j: Journey): string {
  return `p50 ${formatDurationMs(j.p50)} · p75 ${formatDurationMs(j.p75)} · ` +
    (j.target === null || j.target === undefined ? 'no target set' : `target ${formatDurationMs(j.target)} · ${formatRatio(j.over_target_ratio)} over target` +
      (j.p75 !== null && j.p75 > j.target ? ' (p75 misses the target)' : ' (p75 within the target)'));
}

function funnel(j: Journey): HTMLElement {
  const base = Math.max(1, j.started, ...j.steps.map((s) => s.reached));
  return h('ol', { class: 'funnel', 'aria-label': `Funnel of ${j.name}` }, j.steps.map((s) => {
    const kept = s.reached / base;
    const lost = (s.reached * (s.drop_off ?? 0)) / base;
    const marks = [s.name === j.bottleneck.slowest_step ? 'slowest step' : '', s.name === j.bottleneck.largest_drop_off ? 'largest drop-off' : ''].filter(Boolean);
    return h('li', { class: marks.length ? 'bottleneck' : undefined, 'data-step': s.name },
      h('span', { class: 'step-name' }, s.name, marks.map((m) => h('span', { class: 'flag' }, m))),
      h('span', { class: 'reach', 'aria-hidden': 'true' },
        h('span', { class: 'kept', style: `width:${Math.max(0, kept - lost) * 100}%` }),
        h('span', { class: 'lost', style: `width:${lost * 100}%` })),
      h('span', { class: 'step-text' },
        `reached ${formatCount(s.reached)} (${formatRatio(s.reached / base)}) · drop-off ${formatRatio(s.drop_off)} · p75 ${formatDurationMs(s.p75)}`));
  }));
}

/** The funnel's numbers as a table export (the funnel itself is a list of bars). */
function funnelExport(j: Journey): HTMLElement {
  return exportButtons(`journey-${j.name}-steps`, () => ({
    header: ['step', 'reached', 'drop-off', 'p75 (ms)'],
    rows: j.steps.map((s) => [s.name, String(s.reached), s.drop_off === null ? '' : String(s.drop_off), s.p75 === null ? '' : String(s.p75)]),
    json: j.steps.map((s) => ({ step: s.name, reached: s.reached, drop_off: s.drop_off, 'p75 (ms)': s.p75 })),
  }));
}

export const journeysPage: PageDef = {
  path: '/journeys',
  title: 'Journeys',
  mount(root) {
    root.classList.add('net');
    const heading = h('h1', null, 'Journeys');
    const note = h('p', { class: 'muted' });
    const funnels = h('div', { class: 'breakdowns', 'data-funnels': '' });
    const all = section('All journeys');
    root.append(heading, note, funnels, all.el);

    const load = new Loader(async (signal) => {
      const range = timeRange();
      const app = param('app') || undefined;
      note.textContent = `User journeys started in the ${range.label}${app ? ` in app “${app}”` : ''}: each step's reach, drop-off and p75 time; the bottleneck steps are marked.`;
      const list = await get<Journey[]>('/api/v1/journeys', { app, ...rangeParams(range) }, signal);
      if (!list.length) {
        all.el.hidden = true;
        replace(funnels, needFullSdk('journeys', h('p', null, 'Then mark the journey in your code: ',
          h('code', null, "const j = perfwatch.journey.start('checkout', {target: 5000}); j.step('address'); j.step('pay'); j.complete();"),
          '. Journeys survive navigation within the tab; one left mid-way counts as abandoned after 30 minutes.')));
        return;
      }
      all.el.hidden = false;
      replace(funnels, list.map((j) => {
        const s = section(`${j.name}${app ? '' : ` (${j.app})`}`);
        s.el.setAttribute('data-journey', j.name);
        s.tools.replaceChildren(h('span', { class: 'muted' }, `completion ${formatRatio(j.completion_rate)}`), ' ', funnelExport(j));
        s.body.append(
          h('p', { 'data-outcomes': '' }, outcomeLine(j)),
          h('p', { 'data-durations': '' }, durationLine(j)),
          j.steps.length ? funnel(j) : h('p', { class: 'muted' }, 'No steps recorded (the journey calls no step()).'),
          h('p', { class: 'small', 'data-bottleneck': '' }, `Bottleneck: slowest step ${j.bottleneck.slowest_step ?? '–'}; largest drop-off ${j.bottleneck.largest_drop_off ?? '–'}.`));
        return s.el;
      }));
      replace(all.body, table<Journey>({
        name: 'journeys',
        caption: 'Journeys with their outcomes, completion rate and durations',
        rows: list,
        rowAttrs: (j) => ({ 'data-journey-row': j.name }),
        columns: [
          { label: 'journey', value: (j) => j.name, sort: (j) => j.name },
          { label: 'app', value: (j) => j.app, sort: (j) => j.app },
          { label: 'started', value: (j) => j.started, cell: (j) => formatCount(j.started), numeric: true, sort: (j) => j.started },
          { label: 'completed', value: (j) => j.completed, cell: (j) => formatCount(j.completed), numeric: true, sort: (j) => j.completed },
          { label: 'failed', value: (j) => j.failed, cell: (j) => formatCount(j.failed), numeric: true, sort: (j) => j.failed },
          { label: 'abandoned', value: (j) => j.abandoned, cell: (j) => formatCount(j.abandoned), numeric: true, sort: (j) => j.abandoned },
          { label: 'completion (%)', value: (j) => (j.completion_rate === null ? null : +(j.completion_rate * 100).toFixed(1)), cell: (j) => formatRatio(j.completion_rate), numeric: true, sort: (j) => j.completion_rate ?? -1 },
          { label: 'p50 (ms)', value: (j) => j.p50, cell: (j) => formatDurationMs(j.p50), numeric: true, sort: (j) => j.p50 ?? -1 },
          { label: 'p75 (ms)', value: (j) => j.p75, cell: (j) => formatDurationMs(j.p75), numeric: true, sort: (j) => j.p75 ?? -1 },
          { label: 'target (ms)', value: (j) => j.target, cell: (j) => formatDurationMs(j.target), numeric: true, sort: (j) => j.target ?? -1 },
          { label: 'over target (%)', value: (j) => (j.over_target_ratio === null ? null : +(j.over_target_ratio * 100).toFixed(1)), cell: (j) => formatRatio(j.over_target_ratio), numeric: true, sort: (j) => j.over_target_ratio ?? -1 },
          { label: 'slowest step', value: (j) => j.bottleneck.slowest_step ?? '' },
          { label: 'largest drop-off', value: (j) => j.bottleneck.largest_drop_off ?? '' },
        ],
      }));
    }, () => funnels);

    void load.run();
    return {
      update: () => void load.run(),
      destroy: () => {
        load.stop();
        root.classList.remove('net');
      },
    };
  },
};
