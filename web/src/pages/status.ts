// Server (/server; it was /status until issue 18 gave that path to the public status page
// of synthetic checks): what the server runs and how it is doing, as Prometheus' status pages show it:
// scrape targets and their health (by job), rule groups and their evaluation times, the
// TSDB head's cardinality, runtime and build information, and the effective configuration
// with secrets hidden by the server. APIs: /api/v1/targets, /api/v1/rules,
// /api/v1/status/{tsdb,runtimeinfo,buildinfo,config,backends} (the last: where queries and
// events go with query.backend and events.backend, docs/scale-out.md); and the data snapshots
// (/api/v1/admin/snapshot[s], docs/operations.md), taken and deleted from here. Refreshes on the Refresh button and
// when alert states change (rule evaluations); each section loads and fails on its own.
import { get, send, type Rule, type RuleGroup } from '../api';
import { empty, h, loading, replace, section } from '../dom';
import { formatAgo, formatBytes, formatCount, formatTime } from '../format';
import { on, throttle } from '../live';
import { Loader, type PageDef } from '../page';
import { download, table } from '../table';

interface Target {
  labels: Record<string, string>;
  scrapePool: string;
  scrapeUrl: string;
  lastError: string;
  lastScrape: string;
  lastScrapeDuration: number;
  health: string;
  scrapeInterval: string;
  scrapeTimeout: string;
}
interface TargetsAnswer {
  activeTargets: Target[];
}

interface NameValue {
  name: string;
  value: number;
}
interface TsdbStatus {
  headStats: { numSeries: number; numLabelPairs: number; chunkCount: number; minTime: number; maxTime: number };
  seriesCountByMetricName: NameValue[];
  labelValueCountByLabelName: NameValue[];
  memoryInBytesByLabelName: NameValue[];
  seriesCountByLabelValuePair: NameValue[];
}

type RuntimeInfo = Record<string, string | number | boolean>;

interface Snapshot {
  name: string;
  time: string;
  skip_head: boolean;
  files: number;
  bytes: number;
  seconds: number;
}
type BuildInfo = Record<string, string>;

interface BackendTable {
  table: string;
  sent: number;
  pending: number;
  failed: number;
  requestFailures: number;
  schemaReady: boolean;
}
interface Backends {
  query: { type: string; url?: string };
  events: { type: string; url?: string; database?: string; tables?: BackendTable[] };
}

const GO_ZERO = '0001-01-01T00:00:00Z';

/** An RFC 3339 time as Unix seconds; null for Go's zero time (never). */
function unix(t: string | undefined): number | null {
  if (!t || t.startsWith('0001-01-01')) return null;
  const ms = Date.parse(t);
  return Number.isFinite(ms) ? ms / 1000 : null;
}

function when(t: string | undefined): HTMLElement | string {
  const s = unix(t);
  if (s === null) return 'never';
  return h('time', { datetime: t, title: formatTime(s) }, formatAgo(s));
}

/** Health written out, coloured as a rating (never colour alone). */
function health(v: string): HTMLElement {
  const cls = v === 'up' || v === 'ok' ? 'good' : v === 'down' || v === 'err' ? 'poor' : 'needs-improvement';
  return h('span', { class: `rating ${cls}` }, v || 'unknown');
}

function docLink(path: string): HTMLElement {
  return h('code', null, path);
}

export const serverPage: PageDef = {
  path: '/server',
  title: 'Server',
  mount(root) {
    const refresh = h('button', { type: 'button', onclick: () => void loadAll() }, 'Refresh');
    const updated = h('span', { class: 'muted', role: 'status' });
    const targets = section('Scrape targets');
    const rules = section('Rule groups');
    const tsdb = section('TSDB cardinality');
    const runtime = section('Runtime and build');
    const backends = section('Storage backends');
    const config = section('Configuration');
    const snapshots = section('Snapshots');
    root.append(
      h('h1', null, 'Server'),
      h('div', { class: 'toolbar' }, refresh, updated),
      targets.el, rules.el, tsdb.el, runtime.el, backends.el, config.el, snapshots.el);
    for (const s of [targets, rules, tsdb, runtime, backends, config, snapshots]) s.body.append(loading(s.el.querySelector('h2')!.textContent!.toLowerCase()));

    const targetsLoad = new Loader(async (signal) => {
      const d = await get<TargetsAnswer>('/api/v1/targets', { state: 'active' }, signal);
      renderTargets(targets.body, d.activeTargets ?? []);
    }, () => targets.body);
    const rulesLoad = new Loader(async (signal) => {
      const d = await get<{ groups: RuleGroup[] }>('/api/v1/rules', {}, signal);
      renderRules(rules.body, d.groups ?? []);
    }, () => rules.body);
    const tsdbLoad = new Loader(async (signal) => {
      renderTsdb(tsdb.body, await get<TsdbStatus>('/api/v1/status/tsdb', {}, signal));
    }, () => tsdb.body);
    const runtimeLoad = new Loader(async (signal) => {
      const [rt, build] = await Promise.all([
        get<RuntimeInfo>('/api/v1/status/runtimeinfo', {}, signal),
        get<BuildInfo>('/api/v1/status/buildinfo', {}, signal),
      ]);
      renderRuntime(runtime.body, rt, build);
    }, () => runtime.body);
    const backendsLoad = new Loader(async (signal) => {
      renderBackends(backends.body, await get<Backends>('/api/v1/status/backends', {}, signal));
    }, () => backends.body);
    const configLoad = new Loader(async (signal) => {
      const d = await get<{ yaml: string }>('/api/v1/status/config', {}, signal);
      renderConfig(config.body, config.tools, d.yaml);
    }, () => config.body);
    // Outlives the section's re-renders, so "Snapshot … taken" stays after the list reloads.
    const snapshotStatus = h('span', { class: 'muted', role: 'status' });
    const snapshotsLoad: Loader = new Loader(async (signal) => {
      const list = await get<Snapshot[]>('/api/v1/admin/snapshots', {}, signal);
      renderSnapshots(snapshots.body, snapshots.tools, snapshotStatus, list, () => void snapshotsLoad.run());
    }, () => snapshots.body);
    const loaders = [targetsLoad, rulesLoad, tsdbLoad, runtimeLoad, backendsLoad, configLoad, snapshotsLoad];

    async function loadAll(): Promise<void> {
      refresh.disabled = true;
      await Promise.all(loaders.map((l) => l.run()));
      refresh.disabled = false;
      updated.textContent = `Updated ${formatTime(Date.now() / 1000)}`;
    }
    void loadAll();
    // Alert state changes mean rules were evaluated: refresh rules and targets.
    const off = on('alerts', throttle(() => {
      void rulesLoad.run();
      void targetsLoad.run();
    }, 2000));
    return {
      update() {}, // app and window do not change what this page shows
      destroy() {
        off();
        for (const l of loaders) l.stop();
      },
    };
  },
};

function renderTargets(body: HTMLElement, all: Target[]): void {
  if (!all.length) {
    replace(body, empty(
      h('p', null, h('strong', null, 'No scrape targets.')),
      h('p', null, 'Add jobs under ', h('code', null, 'scrape_configs'), ' in the YAML configuration (see ',
        docLink('docs/scraping.md'), '), then reload the server.'),
      h('pre', null, h('code', null, 'scrape_configs:\n  - job_name: node\n    static_configs:\n      - targets: ["127.0.0.1:9100"]'))));
    return;
  }
  const pools = new Map<string, Target[]>();
  for (const t of all) {
    const list = pools.get(t.scrapePool) ?? [];
    list.push(t);
    pools.set(t.scrapePool, list);
  }
  const up = all.filter((t) => t.health === 'up').length;
  const parts: HTMLElement[] = [h('p', null, `${up} of ${all.length} targets up in ${pools.size} job${pools.size === 1 ? '' : 's'}.`)];
  for (const [job, list] of [...pools.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const jobUp = list.filter((t) => t.health === 'up').length;
    parts.push(h('h3', { 'data-job': job }, `${job} `, h('span', { class: 'muted' }, `(${jobUp}/${list.length} up, every ${list[0].scrapeInterval})`)));
    parts.push(table<Target>({
      name: `targets-${job}`,
      caption: `Scrape targets of job ${job}`,
      rows: list,
      rowAttrs: (t) => ({ 'data-instance': t.labels.instance ?? '', 'data-health': t.health }),
      columns: [
        { label: 'Endpoint', value: (t) => t.scrapeUrl, cell: (t) => h('code', null, t.scrapeUrl), sort: (t) => t.scrapeUrl },
        { label: 'Instance', value: (t) => t.labels.instance ?? '', sort: (t) => t.labels.instance ?? '' },
        { label: 'Health', value: (t) => t.health, cell: (t) => health(t.health), sort: (t) => t.health },
        { label: 'Last scrape', value: (t) => (t.lastScrape === GO_ZERO ? null : t.lastScrape), cell: (t) => when(t.lastScrape), sort: (t) => unix(t.lastScrape) ?? 0 },
        { label: 'Duration (ms)', value: (t) => +(t.lastScrapeDuration * 1000).toFixed(3), numeric: true, sort: (t) => t.lastScrapeDuration },
        { label: 'Last error', value: (t) => t.lastError, cell: (t) => (t.lastError ? h('span', { class: 'value poor' }, t.lastError) : '–') },
      ],
    }));
  }
  replace(body, parts);
}

function renderRules(body: HTMLElement, groups: RuleGroup[]): void {
  if (!groups.length) {
    replace(body, empty(
      h('p', null, h('strong', null, 'No rule groups.')),
      h('p', null, 'List rule files under ', h('code', null, 'rule_files'), ' or define ', h('code', null, 'alerts'),
        ' in the YAML configuration (see ', docLink('docs/alerting.md'), '), then reload the server.')));
    return;
  }
  const parts: HTMLElement[] = [
    table<RuleGroup>({
      name: 'rule-groups',
      caption: 'Rule groups and their evaluation',
      rows: groups,
      rowAttrs: (g) => ({ 'data-group': g.name }),
      columns: [
        { label: 'Group', value: (g) => g.name, sort: (g) => g.name },
        { label: 'File', value: (g) => g.file, cell: (g) => h('code', null, g.file), sort: (g) => g.file },
        { label: 'Interval (s)', value: (g) => g.interval, numeric: true, sort: (g) => g.interval },
        { label: 'Rules', value: (g) => g.rules.length, numeric: true, sort: (g) => g.rules.length },
        { label: 'Unhealthy', value: (g) => g.rules.filter((r) => r.health === 'err').length, numeric: true,
          sort: (g) => g.rules.filter((r) => r.health === 'err').length },
        { label: 'Evaluation time (ms)', value: (g) => +(g.evaluationTime * 1000).toFixed(3), numeric: true, sort: (g) => g.evaluationTime },
        { label: 'Last evaluation', value: (g) => (unix(g.lastEvaluation) === null ? null : g.lastEvaluation), cell: (g) => when(g.lastEvaluation),
          sort: (g) => unix(g.lastEvaluation) ?? 0 },
      ],
    }),
  ];
  for (const g of groups) {
    const bad = g.rules.filter((r) => r.health === 'err').length;
    const details = h('details', { 'data-group': g.name },
      h('summary', null, `${g.name}: ${g.rules.length} rule${g.rules.length === 1 ? '' : 's'}`, bad ? `, ${bad} with errors` : ''),
      table<Rule>({
        name: `rules-${g.name}`,
        caption: `Rules of group ${g.name}`,
        rows: g.rules,
        columns: [
          { label: 'Rule', value: (r) => r.name, sort: (r) => r.name },
          { label: 'Type', value: (r) => (r.type === 'alerting' ? 'alert' : 'record'), sort: (r) => r.type },
          { label: 'Health', value: (r) => r.health, cell: (r) => health(r.health), sort: (r) => r.health },
          { label: 'State', value: (r) => r.state ?? '', sort: (r) => r.state ?? '' },
          { label: 'Evaluation time (ms)', value: (r) => +(r.evaluationTime * 1000).toFixed(3), numeric: true, sort: (r) => r.evaluationTime },
          { label: 'Last evaluation', value: (r) => (unix(r.lastEvaluation) === null ? null : r.lastEvaluation), cell: (r) => when(r.lastEvaluation),
            sort: (r) => unix(r.lastEvaluation) ?? 0 },
          { label: 'Last error', value: (r) => r.lastError ?? '', cell: (r) => (r.lastError ? h('span', { class: 'value poor' }, r.lastError) : '–') },
        ],
      }));
    if (bad) details.open = true;
    parts.push(details);
  }
  replace(body, parts);
}

function renderTsdb(body: HTMLElement, s: TsdbStatus): void {
  const hs = s.headStats;
  const empty_ = hs.numSeries === 0;
  const tile = (name: string, value: string) => h('div', { class: 'tile' }, h('div', { class: 'name' }, name), h('div', { class: 'big' }, value));
  const tiles = h('div', { class: 'vital-tiles' },
    tile('Series', formatCount(hs.numSeries)),
    tile('Label pairs', formatCount(hs.numLabelPairs)),
    tile('Chunks', formatCount(hs.chunkCount)),
    tile('Oldest sample', empty_ ? '–' : formatTime(hs.minTime / 1000)),
    tile('Newest sample', empty_ ? '–' : formatTime(hs.maxTime / 1000)));
  const top = (title: string, name: string, nameLabel: string, valueLabel: string, rows: NameValue[], bytes = false) =>
    h('div', { class: 'tsdb-top' }, h('h3', null, title), table<NameValue>({
      name,
      caption: title,
      rows,
      empty: empty('No series in the head yet.'),
      columns: [
        { label: nameLabel, value: (r) => r.name, cell: (r) => h('code', null, r.name), sort: (r) => r.name },
        { label: valueLabel, value: (r) => r.value, cell: (r) => (bytes ? formatBytes(r.value) : formatCount(r.value)), numeric: true, sort: (r) => r.value },
      ],
    }));
  replace(body,
    h('p', { class: 'muted' }, 'The head block: recent samples held in memory. The largest entries, largest first.'),
    tiles,
    h('div', { class: 'grid' },
      top('Top metric names by series', 'tsdb-metric-names', 'Metric name', 'Series', s.seriesCountByMetricName ?? []),
      top('Top label names by distinct values', 'tsdb-label-names', 'Label name', 'Values', s.labelValueCountByLabelName ?? []),
      top('Top label-value pairs by series', 'tsdb-label-pairs', 'Label pair', 'Series', s.seriesCountByLabelValuePair ?? []),
      top('Memory by label name', 'tsdb-label-memory', 'Label name', 'Memory (bytes)', s.memoryInBytesByLabelName ?? [], true)));
}

function renderRuntime(body: HTMLElement, rt: RuntimeInfo, build: BuildInfo): void {
  const time = (v: unknown) => {
    const s = unix(String(v ?? ''));
    return s === null ? 'never' : `${formatTime(s)} (${formatAgo(s)})`;
  };
  const rows: [string, string][] = [
    ['Version', String(build.perfwatchVersion ?? rt.version ?? '')],
    ['Prometheus API level', String(build.version ?? '')],
    ['Revision', String(build.revision || '–')],
    ['Build date', String(build.buildDate || '–')],
    ['Started', time(rt.startTime)],
    ['Last configuration load', time(rt.lastConfigTime)],
    ['Last reload succeeded', rt.reloadConfigSuccess ? 'yes' : 'no'],
    ['Configuration file', String(rt.configFile || '– (none: defaults and flags)')],
    ['Data directory', String(rt.dataDir ?? '')],
    ['Working directory', String(rt.CWD ?? '')],
    ['Metrics retention', String(rt.storageRetention || '–')],
    ['Events retention', String(rt.eventsRetention || '–')],
    ['Events stored', formatCount(Number(rt.eventsStored ?? 0))],
    ['Series in the head', formatCount(Number(rt.headSeries ?? 0))],
    ['Resident memory', formatBytes(Number(rt.rssBytes ?? 0))],
    ['Threads', formatCount(Number(rt.goroutineCount ?? 0))],
    ['HTTP worker threads', formatCount(Number(rt.GOMAXPROCS ?? 0))],
    ['WAL problems at start', formatCount(Number(rt.corruptionCount ?? 0))],
  ];
  replace(body, table<[string, string]>({
    name: 'runtime',
    caption: 'Runtime and build information',
    rows,
    rowAttrs: (r) => ({ 'data-field': r[0] }),
    columns: [
      { label: 'Field', value: (r) => r[0] },
      // Long values (the 40-digit revision, paths) wrap: on a phone the table fits the screen.
      { label: 'Value', value: (r) => r[1], cell: (r) => h('span', { class: 'wrap-anywhere' }, r[1]) },
    ],
  }));
}

/** "down" until ClickHouse answered once (schema), then "ok" or "catching up". */
function tableState(t: BackendTable): string {
  return !t.schemaReady ? 'down' : t.pending === 0 ? 'ok' : 'catching up';
}

function renderBackends(body: HTMLElement, b: Backends): void {
  const rows: [string, string][] = [
    ['Queries (PromQL, rules, dashboard)', b.query.type === 'remote'
      ? `query.backend: ${b.query.url ?? ''}` : 'this server\'s TSDB'],
    ['Events (vitals, attribution, network, journeys, score)', b.events.type === 'clickhouse'
      ? `ClickHouse ${b.events.url ?? ''}, database ${b.events.database ?? ''}` : 'this server\'s event store'],
  ];
  const parts: HTMLElement[] = [table<[string, string]>({
    name: 'backends',
    caption: 'Where queries and events are read from',
    rows,
    rowAttrs: (r) => ({ 'data-field': r[0] }),
    columns: [
      { label: 'What', value: (r) => r[0] },
      { label: 'From', value: (r) => r[1], cell: (r) => h('span', { class: 'wrap-anywhere' }, r[1]) },
    ],
  })];
  const tables = b.events.tables ?? [];
  if (tables.length) {
    parts.push(table<BackendTable>({
      name: 'clickhouse-tables',
      caption: 'Forwarding to ClickHouse (the local logs are the buffer: pending rows are sent once it answers)',
      rows: tables,
      rowAttrs: (t) => ({ 'data-table': t.table }),
      columns: [
        { label: 'Table', value: (t) => t.table },
        { label: 'Sent', value: (t) => t.sent, numeric: true, cell: (t) => formatCount(t.sent) },
        { label: 'Pending', value: (t) => t.pending, numeric: true, cell: (t) => formatCount(t.pending),
          title: 'local rows not yet in ClickHouse (spans: blocks of up to 1,024)' },
        { label: 'Failed attempts', value: (t) => t.requestFailures, numeric: true, cell: (t) => formatCount(t.requestFailures) },
        { label: 'State', value: (t) => tableState(t), cell: (t) => health(tableState(t)) },
      ],
    }));
  } else {
    parts.push(h('p', { class: 'muted' }, 'One server holds everything. To scale out onto VictoriaMetrics and ClickHouse, see ',
      docLink('docs/scale-out.md'), '.'));
  }
  replace(body, ...parts);
}

function renderConfig(body: HTMLElement, tools: HTMLElement, yaml: string): void {
  replace(tools, h('button', { type: 'button', class: 'small', 'aria-label': 'Download the configuration as YAML',
    onclick: () => download('perfwatch-config.yml', 'application/yaml', yaml) }, 'YAML'));
  replace(body,
    h('p', { class: 'muted' }, 'What the server runs with: the configuration file with flag overrides and the last reload applied. ',
      'Secrets are shown as ', h('code', null, '<secret>'), ' by the server; they never reach this page.'),
    h('pre', { class: 'config-yaml', tabindex: 0, 'aria-label': 'Effective configuration (YAML)' }, h('code', null, yaml)));
}

/** The snapshots with a button to take one and one to delete each (admin scope). */
function renderSnapshots(body: HTMLElement, tools: HTMLElement, status: HTMLElement, list: Snapshot[], reload: () => void): void {
  const take = h('button', { type: 'button', class: 'small' }, 'Take snapshot');
  take.onclick = async () => {
    take.disabled = true;
    status.textContent = 'Taking a snapshot…';
    try {
      const s = await send<Snapshot>('POST', '/api/v1/admin/snapshot');
      status.textContent = `Snapshot ${s.name} taken: ${formatCount(s.files)} files, ${formatBytes(s.bytes)} in ${s.seconds.toFixed(2)} s.`;
      reload();
    } catch (err) {
      status.textContent = `Snapshot failed: ${(err as Error).message}`;
    } finally {
      take.disabled = false;
    }
  };
  replace(tools, status, take);
  const intro = h('p', { class: 'muted' },
    'Consistent copies of all data, taken while ingest goes on, under ', h('code', null, 'data_dir/snapshots'),
    '. Copy one to another machine with ', h('code', null, 'perfwatch backup --server URL DEST'),
    ' and restore it with ', h('code', null, 'perfwatch restore'), ' (see ', docLink('docs/operations.md'), ').');
  if (!list.length) {
    replace(body, intro, empty(h('p', null, h('strong', null, 'No snapshots.'))));
    return;
  }
  replace(body, intro, table<Snapshot>({
    name: 'snapshots',
    caption: 'Snapshots, newest first',
    rows: list,
    rowAttrs: (s) => ({ 'data-snapshot': s.name }),
    columns: [
      { label: 'Name', value: (s) => s.name, cell: (s) => h('code', { class: 'wrap-anywhere' }, s.name), sort: (s) => s.name },
      { label: 'Taken', value: (s) => s.time, cell: (s) => when(s.time), sort: (s) => unix(s.time) ?? 0 },
      { label: 'Files', value: (s) => s.files, numeric: true, sort: (s) => s.files },
      { label: 'Size', value: (s) => s.bytes, cell: (s) => formatBytes(s.bytes), numeric: true, sort: (s) => s.bytes },
      { label: 'Took (s)', value: (s) => +s.seconds.toFixed(3), numeric: true, sort: (s) => s.seconds },
      { label: 'Head', value: (s) => (s.skip_head ? 'skipped' : 'included') },
      {
        label: 'Actions',
        value: () => '',
        cell: (s) => h('button', {
          type: 'button', class: 'small', 'aria-label': `Delete snapshot ${s.name}`,
          onclick: async () => {
            if (!window.confirm(`Delete snapshot ${s.name}?`)) return;
            try {
              await send('DELETE', `/api/v1/admin/snapshots/${encodeURIComponent(s.name)}`);
              reload();
            } catch (err) {
              status.textContent = `Delete failed: ${(err as Error).message}`;
            }
          },
        }, 'Delete'),
      },
    ],
  }));
}
