// Helpers shared by the end-to-end tests: ports, polling, and launching Debian's Chromium
// the way this machine needs it (no sandbox as root, no background network traffic).
import { createServer } from 'node:net';

export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

/**
 * Launches headless Chromium with a fresh profile in `userDataDir` (playwright-core);
 * `extraArgs` are added to the command line.
 */
export async function launchChromium(chromium, userDataDir, viewport, extraArgs = []) {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync', ...extraArgs],
    viewport,
  });
}

/** Polls `${base}/readyz` for up to 10 s; throws with `log()` (the server's stderr so far). */
export async function waitReady(base, what, log) {
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`${base}/readyz`)).ok) return;
    } catch {}
    await sleep(50);
  }
  throw new Error(`${what} did not become ready: ` + log());
}

// --- dashboard tests (issue 13)

import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const BIN = process.env.PERFWATCH_BIN || join(REPO, 'build/perfwatch');
/** Screenshots go here (not committed): $SCREENSHOT_DIR or <repo>/build/screenshots. */
export const SCREENSHOT_DIR = process.env.SCREENSHOT_DIR || join(REPO, 'build/screenshots');

/**
 * Starts `perfwatch serve` on a free loopback port with `files` ({name: text}) written to a
 * fresh directory (a `perfwatch.yml` among them is passed as --config) and `args` added.
 * $PERFWATCH_WEB_DIR, when set, serves the dashboard from that folder (--web-dir) so a
 * binary built without the front-end can be tested against a fresh `vite build`.
 * `port` (optional) listens there instead of a free port, so a config can name it.
 * Returns {base, dir, proc, log(), stop()}.
 */
export async function startServer({ files = {}, args = [], name = 'perfwatch', port: wanted } = {}) {
  const dir = mkdtempSync(join(tmpdir(), `perfwatch-${name}-e2e-`));
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  const port = wanted ?? await freePort();
  const base = `http://127.0.0.1:${port}`;
  const all = ['serve', '--listen', `127.0.0.1:${port}`, '--data-dir', join(dir, 'data')];
  if (files['perfwatch.yml'] !== undefined) all.push('--config', join(dir, 'perfwatch.yml'));
  if (process.env.PERFWATCH_WEB_DIR) all.push('--web-dir', process.env.PERFWATCH_WEB_DIR);
  const proc = spawn(BIN, [...all, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; });
  await waitReady(base, name, () => log);
  return {
    base, dir, proc,
    log: () => log,
    async stop() {
      proc.kill('SIGTERM');
      await new Promise((r) => { proc.once('exit', r); setTimeout(r, 3000); });
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * A new page in `context` that records console errors and failed requests of its own
 * origin into the returned `errors` array (a page must log none: issue 13).
 */
export async function newPage(context) {
  const page = await context.newPage();
  const errors = [];
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  return { page, errors };
}

/** Runs axe-core on the page; returns the serious and critical violations (want none). */
export async function seriousA11yViolations(page) {
  const { default: AxeBuilder } = await import('@axe-core/playwright');
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => `${v.id} (${v.impact}): ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join(', ')}`);
}

export const VIEWPORTS = { desktop: { width: 1280, height: 800 }, phone: { width: 390, height: 844 } };

/**
 * Screenshots of the page at `url` light and dark, desktop and phone, into
 * SCREENSHOT_DIR/<name>-<scheme>-<viewport>.png; checks axe in each and returns the
 * serious/critical violations found (prefixed by where).
 */
export async function screenshotsAndA11y(context, url, name, ready) {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const problems = [];
  const page = await context.newPage();
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const [vp, size] of Object.entries(VIEWPORTS)) {
      await page.setViewportSize(size);
      await page.goto(url);
      if (ready) await ready(page);
      await page.screenshot({ path: join(SCREENSHOT_DIR, `${name}-${scheme}-${vp}.png`), fullPage: true });
      for (const v of await seriousA11yViolations(page)) problems.push(`${name} ${scheme} ${vp}: ${v}`);
      // Usable on a phone: nothing wider than the viewport except inside scroll boxes.
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
      if (overflow > 1) problems.push(`${name} ${scheme} ${vp}: the page is ${overflow}px wider than the viewport`);
    }
  }
  await page.close();
  return problems;
}
