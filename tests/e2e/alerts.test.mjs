// End-to-end test of the dashboard's Alerts page (/alerts, issue 13): a server with a rule
// file whose rules fire (one pending behind `for:`, one whose query fails) and an SLO shows
// the firing alert grouped as the route groups it, with its labels, value and summary; the
// pending one; the failing rule's error; the SLO; the firing history. Acknowledging,
// un-acknowledging, silencing (prefilled matchers) and expiring from the page change the
// server's state; an alert that starts firing while the page is open appears without a
// reload; without rules the page says how to configure alerting. Real headless Chromium.
//
//   cd tests/e2e && npm ci && node --test alerts.test.mjs
//
// Env: PERFWATCH_BIN (default <repo>/build/perfwatch), PERFWATCH_WEB_DIR, CHROMIUM, SCREENSHOT_DIR.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { BIN, launchChromium, newPage, screenshotsAndA11y, seriousA11yViolations, sleep, startServer, VIEWPORTS } from './lib.mjs';

process.env.PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD = '1';
const { chromium } = await import('playwright-core');

const RULES = `groups:
  - name: demo
    interval: 1s
    rules:
      - alert: CheckoutSlow
        expr: vector(4.2) > 1
        labels: {severity: page, route: /checkout}
        annotations: {summary: 'p75 LCP of /checkout is {{ $value }}s', runbook: 'https://wiki.example.com/checkout'}
      - alert: ShopDown
        expr: vector(1) > 0
        labels: {severity: critical, app: shop}
      - alert: SlowBurn
        expr: vector(7) > 0
        for: 1h
        labels: {severity: warning}
      - alert: Broken
        expr: count_values("not a label", vector(1)) > 0
`;
const NEW_RULE = `      - alert: LateComer
        expr: vector(3) > 2
        labels: {severity: warning, team: web}
        annotations: {summary: 'late comer {{ $value }}'}
`;
// alerts.defaults off: the page is checked against this test's own rules (and one SLO).
const CONFIG = `rule_files: [rules.yml]
alerts:
  defaults: false
  slo:
    - name: api-availability
      objective: 99.9
      window: 30d
      ratio:
        errors: 'http_requests_total{job="api",code=~"5.."}'
        total: 'http_requests_total{job="api"}'
`;

let server;
let context;
let userDataDir;

before(async () => {
  assert.ok(existsSync(BIN), `perfwatch binary not found at ${BIN}`);
  server = await startServer({ name: 'alerts', files: { 'rules.yml': RULES, 'perfwatch.yml': CONFIG } });
  userDataDir = mkdtempSync(join(tmpdir(), 'perfwatch-alerts-chromium-'));
  context = await launchChromium(chromium, userDataDir, VIEWPORTS.desktop);
});

after(async () => {
  await context?.close();
  if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  await server?.stop();
});

async function json(path) {
  const res = await fetch(`${server.base}${path}`);
  assert.equal(res.status, 200, `${path}: ${res.status}`);
  return res.json();
}

async function until(what, fn, timeout = 15000) {
  const deadline = Date.now() + timeout;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(200);
  }
}

const cellTexts = (row) => row.locator('th, td').allTextContents().then((t) => t.map((s) => s.trim()));
const firingRow = (page, name) => page.locator(`#alert-groups tr[data-alertname="${name}"]`);

test('the page shows firing alerts grouped by route, pending ones, failing rules, SLOs and history', async () => {
  // The server's own view first: what the page must show.
  const groups = await until('CheckoutSlow and ShopDown in the pipeline', async () => {
    const g = await json('/api/v2/alerts/groups');
    const names = g.flatMap((x) => x.alerts.map((a) => a.labels.alertname));
    return names.includes('CheckoutSlow') && names.includes('ShopDown') && g;
  });
  assert.equal(groups.length, 1, 'the default route: one group');
  const v2 = groups.flatMap((g) => g.alerts).find((a) => a.labels.alertname === 'CheckoutSlow');
  const { page, errors } = await newPage(context);
  await page.goto(`${server.base}/alerts`);
  const row = firingRow(page, 'CheckoutSlow');
  await row.waitFor({ timeout: 15000 });
  assert.equal(await row.getAttribute('data-fingerprint'), v2.fingerprint);
  const cells = await cellTexts(row);
  assert.equal(cells[0], 'CheckoutSlow');
  assert.match(cells[1], /^firing/);
  assert.equal(cells[2], 'page');
  assert.equal(cells[4], '4.2');
  assert.equal(cells[5], 'route="/checkout"severity="page"');
  assert.match(cells[6], /^p75 LCP of \/checkout is 4\.2s/);
  assert.ok(await row.locator('a[href="https://wiki.example.com/checkout"]').count() === 1, 'the runbook annotation is a link');
  // Grouped as the route groups it: the default route has no group_by, one group per receiver.
  const group = page.locator('#alert-groups .alert-group', { has: page.locator('tr[data-alertname="CheckoutSlow"]') });
  assert.match(await group.locator('h3').textContent(), new RegExp(`^Receiver ${groups[0].receiver.name} \\(${groups[0].alerts.length} alerts\\)$`));
  await group.locator('tr[data-alertname="ShopDown"]').waitFor();

  // The pending alert, in its own group, with the rule's value.
  const pending = firingRow(page, 'SlowBurn');
  await pending.waitFor();
  const pcells = await cellTexts(pending);
  assert.match(pcells[1], /^pending/);
  assert.equal(pcells[4], '7');
  assert.match(await page.locator('#alert-groups .alert-group', { has: page.locator('tr[data-alertname="SlowBurn"]') }).locator('h3').textContent(), /^Pending/);
  const v1 = (await json('/api/v1/alerts')).data.alerts.find((a) => a.labels.alertname === 'SlowBurn');
  assert.equal(v1.state, 'pending');

  // The broken rule's error and the summary line.
  await page.locator('#rule-errors li', { hasText: 'demo / Broken' }).waitFor();
  assert.match(await page.locator('#rule-errors li').first().textContent(), /^demo \/ Broken: invalid label name "not a label"/);
  const ruleGroups = (await json('/api/v1/rules')).data.groups;
  const nRules = ruleGroups.reduce((n, g) => n + g.rules.length, 0);
  assert.deepEqual(ruleGroups.map((g) => g.name), ['demo', 'perfwatch:slo']);
  assert.equal(await page.textContent('#rules-summary'), `${nRules} rules in 2 groups · 2 firing, 1 pending · 1 failing`);

  // The SLO, as GET /api/v1/slos has it (no traffic yet: no SLI).
  const slo = (await json('/api/v1/slos')).data[0];
  const sloRow = page.locator('#slos tbody tr', { hasText: slo.name });
  await sloRow.waitFor();
  const sloCells = await cellTexts(sloRow);
  assert.deepEqual(sloCells.slice(0, 4), ['api-availability', '99.9 % over 30d', '–', '–']);
  assert.equal(sloCells[5], slo.alerts.map((a) => `${a.severity}: ${a.state}`).join(', '));

  // The history of the last 7 days lists the episode as still firing.
  const episode = page.locator('#history tbody tr[data-alertname="CheckoutSlow"]');
  await episode.waitFor({ timeout: 15000 });
  const ecells = await cellTexts(episode);
  assert.equal(ecells[2], 'route="/checkout"');
  assert.equal(ecells[4], 'still firing');
  assert.ok(await page.locator('#history figure .chart canvas').count() >= 1, 'a chart of the firing alerts');

  // URL state: ?state=firing hides the pending one; the select writes it back; ?app filters.
  await page.getByLabel('State', { exact: true }).selectOption('pending');
  await page.waitForURL(/[?&]state=pending/);
  await pending.waitFor();
  await row.waitFor({ state: 'detached' });
  await page.goto(`${server.base}/alerts?state=firing`);
  await row.waitFor();
  assert.equal(await pending.count(), 0);
  await page.goto(`${server.base}/alerts?app=shop`);
  await firingRow(page, 'ShopDown').waitFor();
  assert.equal(await row.count(), 0);
  await page.locator('#history tbody tr[data-alertname="ShopDown"]').waitFor();
  assert.equal(await page.locator('#history tbody tr[data-alertname="CheckoutSlow"]').count(), 0);
  await page.close();
  assert.deepEqual(errors, []);
});

test('acknowledging, silencing, expiring and un-acknowledging from the page change the server state', async () => {
  const { page, errors } = await newPage(context);
  await page.goto(`${server.base}/alerts`);
  const row = firingRow(page, 'CheckoutSlow');
  await row.getByRole('button', { name: 'Acknowledge CheckoutSlow', exact: true }).click({ timeout: 15000 });
  const ackDialog = page.getByRole('dialog', { name: 'Acknowledge CheckoutSlow' });
  await ackDialog.getByLabel('Comment').fill('looking into it');
  await ackDialog.getByRole('button', { name: 'Acknowledge', exact: true }).click();
  const acked = await until('the acknowledgement on the server', async () =>
    (await json('/api/v2/alerts')).find((a) => a.labels.alertname === 'CheckoutSlow' && a.status.acknowledgement));
  assert.equal(acked.status.acknowledgement.comment, 'looking into it');
  assert.equal(acked.status.acknowledgement.until, null);
  await row.getByText('acknowledged by anonymous').waitFor({ timeout: 10000 });
  // Keyboard users keep their place: focus moves to the button that replaced the one used.
  await page.waitForFunction(() => document.activeElement?.getAttribute('aria-label') === 'Unacknowledge CheckoutSlow', null, { timeout: 10000 });
  assert.match(await row.locator('.ack').textContent(), /“looking into it”/);

  // Silence: the matchers come prefilled from the alert's labels.
  await row.getByRole('button', { name: 'Silence CheckoutSlow' }).click();
  const silDialog = page.getByRole('dialog', { name: 'Silence CheckoutSlow' });
  const prefilled = await silDialog.locator('.matcher').evaluateAll((els) => els.map((el) => {
    const [n, v] = el.querySelectorAll('input');
    return `${n.value}${el.querySelector('select').value}${v.value}`;
  }));
  assert.deepEqual(prefilled, ['alertname=CheckoutSlow', 'route=/checkout', 'severity=page']);
  assert.match(await silDialog.locator('[aria-live]').textContent(), /^Matches 1 of the alerts shown now: CheckoutSlow\.$/);
  assert.deepEqual(await seriousA11yViolations(page), [], 'the silence dialog is accessible');
  await silDialog.getByLabel('Duration', { exact: true }).selectOption('1h');
  await silDialog.getByLabel('Comment').fill('deploy in progress');
  await silDialog.getByRole('button', { name: 'Create silence' }).click();
  const silence = await until('the silence on the server', async () =>
    (await json('/api/v2/silences')).find((s) => s.status.state === 'active'));
  assert.equal(silence.comment, 'deploy in progress');
  assert.equal(silence.createdBy, 'dashboard');
  assert.deepEqual(silence.matchers.map((m) => [m.name, m.value, m.isRegex, m.isEqual]).sort(),
    [['alertname', 'CheckoutSlow', false, true], ['route', '/checkout', false, true], ['severity', 'page', false, true]]);
  const endsIn = Date.parse(silence.endsAt) - Date.parse(silence.startsAt);
  assert.ok(endsIn > 3590e3 && endsIn <= 3601e3, `lasts ${endsIn} ms`);
  const silRow = page.locator(`#silences tbody tr[data-silence="${silence.id}"]`);
  await silRow.waitFor({ timeout: 10000 });
  const scells = await cellTexts(silRow);
  assert.equal(scells[0], 'alertname="CheckoutSlow"route="/checkout"severity="page"');
  assert.deepEqual(scells.slice(1, 5), ['active', '1', 'dashboard', 'deploy in progress']);
  await row.locator('.silenced').waitFor({ timeout: 10000 });
  const v2 = (await json('/api/v2/alerts')).find((a) => a.labels.alertname === 'CheckoutSlow');
  assert.deepEqual(v2.status.silencedBy, [silence.id]);

  // Expire it from the page.
  await silRow.getByRole('button', { name: /^Expire silence/ }).click();
  await until('the silence to expire', async () =>
    (await json('/api/v2/silences')).every((s) => s.status.state === 'expired'));
  await silRow.waitFor({ state: 'detached', timeout: 10000 });
  await row.locator('.silenced').waitFor({ state: 'detached', timeout: 10000 });
  await page.getByLabel('show expired').check();
  await page.waitForURL(/[?&]expired=1/);
  await silRow.waitFor({ timeout: 10000 });
  assert.equal((await cellTexts(silRow))[1], 'expired');
  assert.equal(await silRow.getByRole('button').count(), 0, 'an expired silence has no Expire button');

  // Un-acknowledge.
  await row.getByRole('button', { name: 'Unacknowledge CheckoutSlow' }).click();
  await until('the acknowledgement to go', async () =>
    (await json('/api/v2/alerts')).every((a) => !a.status.acknowledgement));
  await row.getByRole('button', { name: 'Acknowledge CheckoutSlow', exact: true }).waitFor({ timeout: 10000 });
  await page.close();
  assert.deepEqual(errors, []);
});

test('an alert that starts firing while the page is open appears without a reload', async () => {
  const { page, errors } = await newPage(context);
  await page.goto(`${server.base}/alerts`);
  await firingRow(page, 'CheckoutSlow').waitFor({ timeout: 15000 });
  await page.locator('#history tbody tr[data-alertname="CheckoutSlow"]').waitFor({ timeout: 15000 });
  writeFileSync(join(server.dir, 'rules.yml'), RULES + NEW_RULE);
  const res = await fetch(`${server.base}/-/reload`, { method: 'POST' });
  assert.equal(res.status, 200, await res.text());
  // The page's backstop timer runs every 30 s: within 10 s it can only be the stream.
  const row = firingRow(page, 'LateComer');
  await row.waitFor({ timeout: 10000 });
  const cells = await cellTexts(row);
  assert.match(cells[1], /^firing/);
  assert.equal(cells[4], '3');
  assert.equal(cells[6], 'late comer 3');
  await page.locator('#history tbody tr[data-alertname="LateComer"]').waitFor({ timeout: 10000 });
  await page.close();
  assert.deepEqual(errors, []);
});

test('screenshots and accessibility of the Alerts page', async () => {
  const problems = await screenshotsAndA11y(context, `${server.base}/alerts`, 'alerts', async (page) => {
    await page.locator('#alert-groups tr[data-alertname="CheckoutSlow"]').waitFor({ timeout: 15000 });
    await page.locator('#history tbody tr').first().waitFor({ timeout: 15000 });
  });
  assert.deepEqual(problems, []);
});

test('without rules the page says alerting is not configured and how to configure it', async () => {
  const bare = await startServer({ name: 'alerts-bare', files: { 'perfwatch.yml': 'alerts: {defaults: false}\n' } });
  try {
    const { page, errors } = await newPage(context);
    await page.goto(`${bare.base}/alerts`);
    const box = page.locator('#not-configured');
    await box.getByText('Alerting is not configured').waitFor({ timeout: 15000 });
    assert.match(await box.textContent(), /rule_files:/);
    assert.match(await box.textContent(), /docs\/alerting\.md/);
    await page.locator('#history', { hasText: 'No alert fired in the last 7 days' }).waitFor();
    await page.locator('#silences', { hasText: 'No active or pending silences' }).waitFor();
    await page.close();
    assert.deepEqual(errors, []);
  } finally {
    await bare.stop();
  }
});
