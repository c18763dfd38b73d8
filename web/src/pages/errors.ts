// Errors (/errors, issue 14 item 7): error groups from GET /api/v1/errors (browser errors
// from RUM beacons and backend span exceptions, grouped by fingerprint) with the header's
// app and window, a service and source filter, a "new only" toggle (new=true) and the
// order (count or last seen); /errors?fingerprint= shows one group from
// GET /api/v1/errors/{fingerprint}: message, type, counts, sessions and users, first and
// last seen, pages or routes, browsers, the hourly chart, the stack with the in-app frames
// marked, and the recent occurrences with links to their traces.
import { get } from '../api';
import { Chart } from '../chart';
import { empty, h, loading, replace, section, select, uid, type Child } from '../dom';
import { formatCount } from '../format';
import { Loader, type PageDef } from '../page';
import { linkTo, param, setParams, timeRange } from '../state';
import { table } from '../table';
import { apmRange, missingApi, type ErrorDetail, type ErrorGroup } from './apm-common';

function when(iso: string | undefined): string {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function where(g: ErrorGroup): string {
  return g.source === 'browser' ? g.app ?? '' : g.service ?? '';
}

function groupTitle(g: ErrorGroup): string {
  return `${g.type || 'Error'}: ${g.message}`;
}

function showError(target: HTMLElement, err: unknown, endpoint: string): void {
  replace(target, missingApi(err, endpoint, 'Error groups') ?? h('div', { class: 'state error', role: 'alert' }, h('strong', null, 'Error: '), err instanceof Error ? err.message : String(err)));
}

export const errorsPage: PageDef = {
  path: '/errors',
  title: 'Errors',
  mount(root) {
    let instance: { update(): void; destroy(): void } | null = null;
    let mode = '';
    const render = () => {
      const want = param('fingerprint') ? 'detail' : 'list';
      if (want === mode && instance) return instance.update();
      instance?.destroy();
      root.replaceChildren();
      mode = want;
      instance = want === 'detail' ? mountDetail(root) : mountList(root);
    };
    render();
    return { update: render, destroy: () => instance?.destroy() };
  },
};

function mountList(root: HTMLElement): { update(): void; destroy(): void } {
  const note = h('p', { class: 'muted' });
  const toolbar = h('div', { class: 'toolbar' });
  const listBox = section('Error groups');
  root.append(h('h1', null, 'Errors'), note, toolbar, listBox.el);
  listBox.body.append(loading('error groups'));
  const newId = uid('new');
  const svcId = uid('svc');
  const svcInput = h('input', { id: svcId, name: 'service', type: 'text', class: 'narrow', placeholder: 'any', onchange: () => setParams({ service: svcInput.value.trim() || null }) });
  const newBox = h('input', { id: newId, type: 'checkbox', name: 'new', onchange: () => setParams({ new: newBox.checked ? 'true' : null }) });
  toolbar.append(
    select('Source', [['', 'browser and backend'], ['browser', 'browser'], ['backend', 'backend']], '', (v) => setParams({ source: v || null }), 'source'),
    h('span', { class: 'field' }, h('label', { for: svcId }, 'Service'), svcInput),
    h('span', { class: 'field' }, newBox, h('label', { for: newId }, 'New groups only (first seen in this window)')),
    select('Order', [['count', 'most occurrences'], ['last_seen', 'most recent']], 'count', (v) => setParams({ sort: v === 'count' ? null : v }), 'sort'));

  const load = new Loader(async (signal) => {
    const range = timeRange();
    const app = param('app') ?? '';
    const service = param('service') ?? '';
    const source = param('source') ?? '';
    const onlyNew = param('new') === 'true';
    const sort = param('sort') === 'last_seen' ? 'last_seen' : 'count';
    (toolbar.querySelector('select[name="source"]') as HTMLSelectElement).value = source;
    (toolbar.querySelector('select[name="sort"]') as HTMLSelectElement).value = sort;
    if (document.activeElement !== svcInput) svcInput.value = service;
    newBox.checked = onlyNew;
    note.textContent = `Errors grouped by fingerprint (type, normalised message, top in-app frames) with an occurrence in the ${range.label}${app ? `, app “${app}”` : ''}.`;
    let groups: ErrorGroup[];
    try {
      groups = await get<ErrorGroup[]>('/api/v1/errors', { app, service, source, new: onlyNew ? 'true' : '', sort, limit: 200, ...apmRange(range) }, signal);
    } catch (err) {
      if (signal.aborted) throw err;
      showError(listBox.body, err, 'GET /api/v1/errors');
      return;
    }
    if (!groups.length) {
      replace(listBox.body, empty(
        h('p', null, h('strong', null, onlyNew ? 'No new error group' : 'No errors'), ' in this window with these filters. Widen the time window or clear the filters.'),
        h('p', null, 'Browser errors arrive with the RUM script (', h('code', null, `<script src="${location.origin}/rum.js" data-app="my-app" defer></script>`),
          '); backend errors are exception events of spans sent to ', h('code', null, `${location.origin}/v1/traces`), ' (OTEL_EXPORTER_OTLP_ENDPOINT=', location.origin, ').')));
      return;
    }
    replace(listBox.body, table<ErrorGroup>({
      name: 'error-groups',
      caption: `Error groups in the ${range.label}`,
      rows: groups,
      columns: [
        { label: 'error', value: (g) => groupTitle(g), sort: (g) => groupTitle(g),
          cell: (g) => h('span', null, h('a', { href: linkTo('/errors', { fingerprint: g.fingerprint }) }, h('strong', null, g.type || 'Error'), ': ', g.message), ' ',
            g.new ? h('span', { class: 'status-badge new' }, 'new') : null) },
        { label: 'source', value: (g) => g.source, sort: (g) => g.source },
        { label: 'app / service', value: (g) => where(g), sort: (g) => where(g) },
        { label: 'occurrences', value: (g) => g.count, cell: (g) => formatCount(g.count), numeric: true, sort: (g) => g.count },
        { label: 'sessions', value: (g) => g.sessions, cell: (g) => formatCount(g.sessions), numeric: true, sort: (g) => g.sessions },
        { label: 'users', value: (g) => g.users, cell: (g) => formatCount(g.users), numeric: true, sort: (g) => g.users },
        { label: 'first seen', value: (g) => g.firstSeen, cell: (g) => when(g.firstSeen), sort: (g) => g.firstSeen },
        { label: 'last seen', value: (g) => g.lastSeen, cell: (g) => when(g.lastSeen), sort: (g) => g.lastSeen },
      ],
      rowAttrs: (g) => ({ 'data-fingerprint': g.fingerprint }),
    }));
  }, () => listBox.body);
  void load.run();
  return { update: () => void load.run(), destroy: () => load.stop() };
}

function mountDetail(root: HTMLElement): { update(): void; destroy(): void } {
  const crumbs = h('p', { class: 'crumbs' }, h('a', { href: linkTo('/errors') }, '← All error groups'));
  const heading = h('h1', null, 'Error group');
  const body = h('div', null, loading('the error group'));
  root.append(crumbs, heading, body);
  const chart = new Chart({ name: 'error-hourly', title: '', x: [], series: [] });

  const load = new Loader(async (signal) => {
    const fp = param('fingerprint') ?? '';
    const range = timeRange();
    (crumbs.firstChild as HTMLAnchorElement).href = linkTo('/errors');
    let g: ErrorDetail;
    try {
      g = await get<ErrorDetail>(`/api/v1/errors/${encodeURIComponent(fp)}`, apmRange(range), signal);
    } catch (err) {
      if (signal.aborted) throw err;
      replace(heading, 'Error group ', h('code', null, fp));
      showError(body, err, 'GET /api/v1/errors/{fingerprint}');
      return;
    }
    document.title = `${g.type}: ${g.message.slice(0, 60)} · perfwatch`;
    replace(heading, h('span', null, g.type || 'Error'), ': ', g.message, ' ', g.new ? h('span', { class: 'status-badge new' }, 'new') : null);
    const tile = (name: string, value: Child) => h('div', { class: 'tile', 'data-stat': name }, h('div', { class: 'name' }, name), h('div', { class: 'big' }, value));
    const facts = h('div', { class: 'apm-tiles' },
      tile('occurrences', formatCount(g.count)),
      tile('sessions', formatCount(g.sessions)),
      tile('users', formatCount(g.users)),
      tile('first seen', when(g.firstSeen)),
      tile('last seen', when(g.lastSeen)),
      tile(g.source === 'browser' ? 'app' : 'service', where(g) || '–'));
    const about = h('dl', { class: 'kv' },
      h('dt', null, 'fingerprint'), h('dd', null, h('code', null, g.fingerprint)),
      h('dt', null, 'source'), h('dd', null, g.source),
      h('dt', null, 'type'), h('dd', null, g.type),
      h('dt', null, 'message'), h('dd', null, g.message),
      g.sampleMessage && g.sampleMessage !== g.message ? [h('dt', null, 'sample message'), h('dd', null, g.sampleMessage)] : null);

    const hourly = g.hourly ?? [];
    const chartBox = section('Occurrences per hour');
    chartBox.body.append(hourly.length ? chart.el : h('p', { class: 'muted' }, 'No occurrence in this window.'));

    const places = g.source === 'browser'
      ? table<{ page: string; count: number }>({ name: 'error-pages', caption: 'Pages where the error happened', rows: g.pages ?? [],
          empty: h('p', { class: 'muted' }, 'No page recorded.'),
          columns: [{ label: 'page', value: (r) => r.page, sort: (r) => r.page }, { label: 'occurrences', value: (r) => r.count, cell: (r) => formatCount(r.count), numeric: true, sort: (r) => r.count }] })
      : table<{ route: string; count: number }>({ name: 'error-routes', caption: 'Routes where the error happened', rows: g.routes ?? [],
          empty: h('p', { class: 'muted' }, 'No route recorded.'),
          columns: [{ label: 'route', value: (r) => r.route, sort: (r) => r.route,
            cell: (r) => (g.service ? h('a', { href: linkTo('/route', { service: g.service, route: r.route }) }, r.route || '(no route)') : r.route) },
          { label: 'occurrences', value: (r) => r.count, cell: (r) => formatCount(r.count), numeric: true, sort: (r) => r.count }] });
    const browsers = table<{ browser: string; count: number }>({ name: 'error-browsers', caption: 'Browsers where the error happened', rows: g.browsers ?? [],
      empty: h('p', { class: 'muted' }, 'No browser recorded.'),
      columns: [{ label: 'browser', value: (r) => r.browser, sort: (r) => r.browser }, { label: 'occurrences', value: (r) => r.count, cell: (r) => formatCount(r.count), numeric: true, sort: (r) => r.count }] });

    const stackBox = section('Stack');
    const frames = g.frames ?? [];
    if (frames.length) {
      stackBox.body.append(h('p', { class: 'muted small' }, 'The top frames the group’s fingerprint uses; frames of your code are marked “in app”.'),
        h('ol', { class: 'frames', 'aria-label': 'Top frames' }, frames.map((f) => h('li', { class: f.inApp ? 'in-app' : undefined },
          f.inApp ? h('span', { class: 'status-badge new' }, 'in app') : h('span', { class: 'status-badge muted' }, 'library'), ' ',
          f.function || '(anonymous)', ' ', h('span', { class: 'where' }, `${f.file}${f.line ? `:${f.line}` : ''}${f.column ? `:${f.column}` : ''}`)))));
    }
    const stack = g.stack ?? g.sampleStack ?? '';
    stackBox.body.append(stack ? h('details', { open: !frames.length }, h('summary', null, 'Full sample stack'), h('pre', null, stack)) : h('p', { class: 'muted' }, 'No stack was recorded.'));

    const recent = g.recent ?? [];
    type Occ = (typeof recent)[number];
    const recentTable = table<Occ>({
      name: 'error-recent',
      caption: 'The most recent occurrences',
      rows: recent,
      empty: h('p', { class: 'muted' }, 'No occurrence in this window.'),
      columns: [
        { label: 'time', value: (r) => r.time, cell: (r) => when(r.time), sort: (r) => r.time },
        { label: 'message', value: (r) => r.message, sort: (r) => r.message },
        { label: g.source === 'browser' ? 'page' : 'route', value: (r) => r.page || r.route || null, sort: (r) => r.page ?? r.route ?? '' },
        { label: 'browser', value: (r) => r.browser || null, sort: (r) => r.browser ?? '' },
        { label: 'session', value: (r) => r.sessionId || null, sort: (r) => r.sessionId ?? '' },
        { label: 'trace', value: (r) => r.traceId ?? null, sort: (r) => r.traceId ?? '',
          cell: (r) => (r.traceId ? h('a', { href: linkTo('/trace', { id: r.traceId }), 'aria-label': `trace ${r.traceId}` }, `${r.traceId.slice(0, 12)}…`) : '–') },
      ],
    });

    replace(body, facts, section('About', about).el, chartBox.el, stackBox.el,
      h('div', { class: 'breakdowns' }, section(g.source === 'browser' ? 'Pages' : 'Routes', places).el, section('Browsers', browsers).el),
      section('Recent occurrences', recentTable).el);
    if (hourly.length) {
      chart.update({ name: `error-${g.fingerprint}-hourly`, title: 'Occurrences of this error per hour', yLabel: 'occurrences', yIntegers: true,
        yFormat: (v) => formatCount(v), x: hourly.map((p) => p[0]), series: [{ label: 'occurrences', values: hourly.map((p) => p[1]) }] });
    }
  }, () => body);
  void load.run();
  return { update: () => void load.run(), destroy: () => { load.stop(); chart.destroy(); } };
}
