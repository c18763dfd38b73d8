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

/** Launches headless Chromium with a fresh profile in `userDataDir` (playwright-core). */
export async function launchChromium(chromium, userDataDir, viewport) {
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
           '--disable-background-networking', '--disable-component-update', '--disable-sync'],
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
