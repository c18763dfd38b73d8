// The example's "shopper": headless Chromium browsing the React shop like a customer, so
// every page of perfwatch's dashboard fills from real use (vitals and network of each page
// view, INP from real clicks, the checkout journey, backend RED metrics and traces of the
// API calls, a failing card payment now and then, the leaky list's heap growth).
// Used by run.mjs; exports shopperLoop() and leakyTab().

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pick = (a) => a[Math.floor(Math.random() * a.length)];
const between = (lo, hi) => lo + Math.random() * (hi - lo);
const WORDS = ['bean', 'cup', 'kettle', 'mug', 'filter', 'grinder', 'jug'];

/** What the shoppers did, for run.mjs' progress lines. */
export const stats = { visits: 0, pageViews: 0, orders: 0, cardFailures: 0, searches: 0, leakyViews: 0, errors: 0 };

/** Stays on the page a while (reading); the page view ends at the next navigation. */
const dwell = (page, ms) => sleep(ms);

async function open(page, url) {
  await page.goto(url, { waitUntil: 'load' });
  stats.pageViews++;
}

async function click(page, selector) {
  await page.click(selector, { timeout: 10_000 });
}

/** Catalogue: wait for the products (from the API), maybe search. */
async function catalogue(page, origin) {
  await open(page, origin + '/');
  await page.waitForSelector('.grid li', { timeout: 10_000 });
  if (Math.random() < 0.3) {
    await page.fill('#search', pick(WORDS));
    stats.searches++;
    await sleep(800);
    await page.fill('#search', '');
    await page.waitForSelector('.grid li', { timeout: 10_000 });
  }
}

/** Visit kinds, by weight. Each is one tab session of a few page views. */
const VISITS = [
  [35, 'browse', async (page, origin) => {
    await catalogue(page, origin);
    await dwell(page, between(800, 2000));
    for (let i = 0, n = 1 + Math.floor(Math.random() * 3); i < n; i++) {
      const links = await page.$$('.grid li a');
      if (!links.length) break;
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), pick(links).click()]);
      stats.pageViews++;
      await page.waitForSelector('#product, [role=alert]', { timeout: 10_000 });
      await dwell(page, between(800, 2000));
      if (!(await page.$('#product a'))) break;  // an unknown product: leave
      await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), click(page, '#product a')]);
      stats.pageViews++;
      await page.waitForSelector('.grid li', { timeout: 10_000 });
    }
  }],
  [30, 'buy', async (page, origin) => {
    await catalogue(page, origin);
    const ids = await page.$$eval('.grid button[id^=add-]', (b) => b.map((x) => x.id));
    for (let i = 0, n = 1 + Math.floor(Math.random() * 3); i < n && ids.length; i++) {
      await click(page, '#' + pick(ids));
      await sleep(between(300, 900));
    }
    await click(page, '#pay');
    await page.waitForFunction(() => /Order \d+ placed|Paid|POST/.test(document.querySelector('#cart')?.dataset.status || ''), null, { timeout: 10_000 });
    if (/Order/.test(await page.$eval('#cart', (e) => e.dataset.status))) stats.orders++;
    await dwell(page, between(500, 1500));
    await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), click(page, 'nav a[href="/orders"]')]);
    stats.pageViews++;
    await page.waitForSelector('#orders[data-count]:not([data-count=""]), #orders p[role=alert]', { timeout: 10_000 });
    await page.waitForSelector('#report:not(:has-text("Loading"))', { timeout: 10_000 }).catch(() => {});
  }],
  [10, 'card', async (page, origin) => {
    await catalogue(page, origin);
    await click(page, '.grid button[id^=add-]');
    await sleep(between(300, 900));
    await click(page, '#pay-card');
    await page.waitForFunction(() => /Card payment failed/.test(document.querySelector('#cart')?.dataset.status || ''), null, { timeout: 10_000 });
    stats.cardFailures++;
    await dwell(page, between(1000, 2000));
  }],
  [15, 'orders', async (page, origin) => {
    await open(page, origin + '/orders');
    await page.waitForSelector('#report:not(:has-text("Loading"))', { timeout: 10_000 }).catch(() => {});
    await dwell(page, between(1000, 2500));
  }],
  [10, 'steady', async (page, origin) => {
    await open(page, origin + pick(['/steady', '/alerts']));
    await dwell(page, between(3000, 8000));
  }],
];
const TOTAL = VISITS.reduce((s, [w]) => s + w, 0);

function pickVisit() {
  let r = Math.random() * TOTAL;
  for (const v of VISITS) if ((r -= v[0]) < 0) return v;
  return VISITS[0];
}

/**
 * One shopper: visit after visit (a fresh tab each, so a new tab session) until
 * `signal` aborts. The first visit is a purchase and the second a failing card payment,
 * so a short run already has orders, a journey of each outcome and an error.
 * `log(line)` gets failures (a visit that fails is logged and the next one starts).
 */
export async function shopperLoop(context, origin, signal, log, first = ['buy', 'card']) {
  for (let n = 0; !signal.aborted; n++) {
    const [, kind, visit] = n < first.length ? VISITS.find((v) => v[1] == first[n]) : pickVisit();
    const page = await context.newPage();
    page.on('pageerror', () => stats.errors++);
    try {
      await visit(page, origin);
      stats.visits++;
      // End the last page view the way a customer leaves: its final beacons are sent on pagehide.
      await page.goto('about:blank');
    } catch (e) {
      if (!signal.aborted) log(`shopper: a "${kind}" visit failed: ${String(e.message).split('\n')[0]}`);
    } finally {
      await page.close().catch(() => {});
    }
    await sleep(between(500, 1500));
  }
}

/**
 * A tab left open on /leaky for `stayMs`, then reloaded (a new page view), until `signal`
 * aborts: its heap grows by the rows it keeps, which the memory beacons show on the
 * dashboard's Memory page (and, after the server's warm-up, its leak verdict).
 */
export async function leakyTab(context, origin, signal, stayMs, log) {
  const page = await context.newPage();
  try {
    while (!signal.aborted) {
      await open(page, origin + '/leaky');
      stats.leakyViews++;
      await new Promise((r) => {
        if (signal.aborted) return r();  // aborted while the page opened: an abort event will not come again
        const t = setTimeout(r, stayMs);
        signal.addEventListener('abort', () => (clearTimeout(t), r()), { once: true });
      });
    }
    await page.goto('about:blank');
  } catch (e) {
    if (!signal.aborted) log(`shopper: the leaky tab failed: ${String(e.message).split('\n')[0]}`);
  } finally {
    await page.close().catch(() => {});
  }
}
