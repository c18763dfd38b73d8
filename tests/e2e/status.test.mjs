// End-to-end test of the dashboard's Server page (/server, issue 13; it was /status until
// issue 18 gave that path to the public status page of synthetic checks): a server scraping
// its own /metrics (one target up) and an unreachable address (down, with its error), with
// a rule group, shows both targets with their health and the error, the rule group with
// its evaluation time, the TSDB's top metric names as /api/v1/status/tsdb answers them,
// the build version, and the effective configuration with `<secret>` where secrets were
// configured (the secrets themselves nowhere on the page), a snapshot taken and deleted
// from the page as the admin API lists it; without targets or rules the
// page says how to configure them. No console errors; axe finds nothing serious; no
// horizontal overflow at phone width. Real headless Chromium.
//
//   cd tests/e2e && npm ci && node --test status.test.mjs
//
// Env: PERFWATCH_BIN (default <repo>/build/perfwatch), PERFWATCH_WEB_DIR, CHROMIUM, SCREENSHOT_DIR.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { freePort, launchChromium, newPage, screenshotsAndA11y, sleep, startServer, VIEWPORTS } from './lib.mjs';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
const { chromium } = await import('playwright-core');

const SLACK_SECRET = 'T0E2E/B0E2E/e2eSlackHookSecret';
const PD_SECRET = 'e2ePagerDutyRoutingKey42';
const SECRETS = [SLACK_SECRET, 'e2eSlackHookSecret', PD_SECRET];

const RULES = `groups:
  - name: e2e-group
    interval: 1s
    rules:
      - record: e2e:up:sum
        expr: sum(up)
      - alert: SelfDown
        expr: up{job="self"} == 0
        labels: {severity: page}
`;

function config(port, deadPort) {
  return `scrape:
  self_scrape: false
scrape_configs:
  - job_name: self
    scrape_interval: 1s
    static_configs:
      - targets: ["127.0.0.1:${port}"]
  - job_name: unreachable
    scrape_interval: 1s
    static_configs:
      - targets: ["127.0.0.1:${deadPort}"]
rule_files: [rules.yml]
alerts:
  defaults: false
alerting:
  route:
    receiver: team
  receivers:
    - name: team
      slack_configs:
        - api_url: https://hooks.slack.com/services/${SLACK_SECRET}
          channel: '#web'
      pagerduty_configs:
        - routing_key: ${PD_SECRET}
`;
}

let server;
let context;
let profile;
let port;
let deadPort;

async function api(path) {
  const res = await fetch(server.base + path);
  assert.equal(res.status, 200, `${path}: ${res.status}`);
  const body = await res.json();
  assert.equal(body.status, 'success', path);
  return body.data;
}

/** Polls `fn` until it returns a truthy value (30 s at most). */
async function until(what, fn) {
  let last;
  for (let i = 0; i < 300; i++) {
    last = await fn();
    if (last) return last;
    await sleep(100);
  }
  throw new Error(`timed out waiting for ${what}: ${JSON.stringify(last)?.slice(0, 500)}`);
}

before(async () => {
  port = await freePort();
  deadPort = await freePort();
  server = await startServer({ name: 'status', port, files: { 'perfwatch.yml': config(port, deadPort), 'rules.yml': RULES } });
  // Both targets scraped once and the group evaluated before the page is opened.
  await until('both targets scraped', async () => {
    const t = (await api('/api/v1/targets')).activeTargets;
    return t.length === 2 && t.every((x) => x.health !== 'unknown') && t;
  });
  await until('the rule group evaluated', async () => {
    const g = (await api('/api/v1/rules')).groups.find((x) => x.name === 'e2e-group');
    return g && !g.lastEvaluation.startsWith('0001') && g;
  });
  profile = mkdtempSync(join(tmpdir(), 'perfwatch-status-chromium-'));
  context = await launchChromium(chromium, profile, VIEWPORTS.desktop);
});

after(async () => {
  await context?.close();
  await server?.stop();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

test('targets, rules, TSDB, build and configuration as the APIs answer them; secrets hidden', async () => {
  const { page, errors } = await newPage(context);
  await page.goto(server.base + '/server');
  await page.locator('nav a[href^="/server"][aria-current="page"]', { hasText: 'Server' }).waitFor({ timeout: 20_000 });

  // Scrape targets, grouped by job, health written out, the down target's error.
  const targets = (await api('/api/v1/targets')).activeTargets;
  const down = targets.find((t) => t.scrapePool === 'unreachable');
  assert.equal(down.health, 'down');
  assert.ok(down.lastError, 'the unreachable target has an error');
  const upRow = page.locator(`tr[data-instance="127.0.0.1:${port}"]`);
  const downRow = page.locator(`tr[data-instance="127.0.0.1:${deadPort}"]`);
  await upRow.waitFor({ timeout: 20_000 });
  assert.match(await upRow.innerText(), /\bup\b/);
  assert.match(await upRow.innerText(), new RegExp(`http://127\\.0\\.0\\.1:${port}/metrics`));
  assert.match(await downRow.innerText(), /\bdown\b/);
  // The error text is stable (connection refused), so the page shows what the API says.
  assert.ok((await downRow.innerText()).includes(down.lastError), `${await downRow.innerText()} lacks ${down.lastError}`);
  assert.equal(await page.locator('h3[data-job="self"]').count(), 1);
  assert.equal(await page.locator('h3[data-job="unreachable"]').count(), 1);

  // The rule group with its interval, evaluation time (ms) and last evaluation.
  const groupRow = page.locator('tr[data-group="e2e-group"]');
  await groupRow.waitFor({ timeout: 20_000 });
  const cells = await groupRow.locator('th, td').allInnerTexts();
  assert.equal(cells[0], 'e2e-group');
  assert.equal(cells[2], '1', 'interval 1 s');
  assert.equal(cells[3], '2', 'two rules');
  const evalMs = Number(cells[5]);
  assert.ok(Number.isFinite(evalMs) && evalMs >= 0 && evalMs < 5000, `evaluation time ${cells[5]}`);
  assert.match(cells[6], /ago/);
  const groupApi = (await api('/api/v1/rules')).groups.find((g) => g.name === 'e2e-group');
  assert.ok(groupApi.evaluationTime * 1000 < 5000);

  // TSDB top metric names: the same list as the API (the self-scrape adds series while the
  // test runs, so compare after a refresh until both agree).
  const pageNames = async () => (await page.locator('table:has(caption:text-is("Top metric names by series")) tbody tr th').allInnerTexts()).map((s) => s.trim());
  await until('TSDB top metric names to match the API', async () => {
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByRole('button', { name: 'Refresh' }).waitFor({ state: 'visible' });
    await page.waitForFunction(() => !document.querySelector('button:disabled'), null, { timeout: 20_000 });
    const want = (await api('/api/v1/status/tsdb')).seriesCountByMetricName.map((x) => x.name);
    const got = await pageNames();
    return want.length > 0 && JSON.stringify(want) === JSON.stringify(got);
  });
  const headSeries = (await api('/api/v1/status/tsdb')).headStats.numSeries;
  assert.ok(headSeries > 0);

  // Build and runtime information.
  const build = await api('/api/v1/status/buildinfo');
  const versionRow = page.locator('tr[data-field="Version"]');
  assert.match(await versionRow.innerText(), new RegExp(build.perfwatchVersion.replace(/\./g, '\\.')));
  const rt = await api('/api/v1/status/runtimeinfo');
  assert.ok((await page.locator('tr[data-field="Data directory"]').innerText()).includes(rt.dataDir));

  // Storage backends: this server alone holds everything (no query.backend, events.backend).
  assert.deepEqual(await api('/api/v1/status/backends'), { query: { type: 'local' }, events: { type: 'local' } });
  assert.match(await page.locator('tr[data-field^="Queries ("]').innerText(), /this server's TSDB/);
  assert.match(await page.locator('tr[data-field^="Events ("]').innerText(), /this server's event store/);
  assert.ok(await page.getByText('docs/scale-out.md').isVisible());

  // The effective configuration, secrets replaced by <secret> and nowhere on the page.
  const yaml = page.locator('pre.config-yaml');
  await yaml.waitFor({ timeout: 20_000 });
  const text = await yaml.innerText();
  assert.match(text, /api_url: <secret>/);
  assert.match(text, /routing_key: <secret>/);
  assert.match(text, /job_name: unreachable/);
  const html = await page.content();
  for (const s of SECRETS) assert.ok(!html.includes(s), `secret ${s} is on the page`);
  for (const s of SECRETS) assert.ok(!JSON.stringify(await api('/api/v1/status/config')).includes(s), `secret ${s} in the API`);

  assert.deepEqual(errors, []);
  await page.close();
});

test('snapshots: taken from the page, listed as the API lists them, deleted', async () => {
  const { page, errors } = await newPage(context);
  page.on('dialog', (d) => void d.accept());
  await page.goto(server.base + '/server');
  const section = page.locator('section', { has: page.getByRole('heading', { name: 'Snapshots' }) });
  await section.getByText('No snapshots.').waitFor({ timeout: 20_000 });
  await section.getByRole('button', { name: 'Take snapshot' }).click();
  const row = section.locator('tr[data-snapshot]');
  await row.first().waitFor({ timeout: 20_000 });
  const listed = await api('/api/v1/admin/snapshots');
  assert.equal(listed.length, 1);
  assert.equal(await row.first().getAttribute('data-snapshot'), listed[0].name);
  assert.match(await section.getByRole('status').innerText(), new RegExp(`Snapshot ${listed[0].name} taken`));
  const cells = await row.first().locator('th, td').allInnerTexts();
  assert.equal(Number(cells[2].replace(/,/g, '')), listed[0].files, 'files as the API counts them');
  await section.getByRole('button', { name: `Delete snapshot ${listed[0].name}` }).click();
  await section.getByText('No snapshots.').waitFor({ timeout: 20_000 });
  assert.deepEqual(await api('/api/v1/admin/snapshots'), []);
  assert.deepEqual(errors, []);
  await page.close();
});

test('screenshots and accessibility', async () => {
  const problems = await screenshotsAndA11y(context, server.base + '/server', 'server',
    (page) => page.locator('pre.config-yaml').waitFor({ timeout: 20_000 }));
  assert.deepEqual(problems, []);
});

test('without targets or rules the page says how to configure them', async () => {
  const bare = await startServer({ name: 'status-empty', files: { 'perfwatch.yml': 'scrape:\n  self_scrape: false\nalerts:\n  defaults: false\n' } });
  try {
    const { page, errors } = await newPage(context);
    await page.goto(bare.base + '/server');
    const targets = page.getByText('No scrape targets.');
    await targets.waitFor({ timeout: 20_000 });
    assert.match(await page.locator('section', { has: targets }).innerText(), /scrape_configs[\s\S]*docs\/scraping\.md/);
    const rules = page.getByText('No rule groups.');
    await rules.waitFor({ timeout: 20_000 });
    assert.match(await page.locator('section', { has: rules }).innerText(), /docs\/alerting\.md/);
    assert.deepEqual(errors, []);
    await page.close();
  } finally {
    await bare.stop();
  }
});
