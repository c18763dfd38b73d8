// Zero-code start: `node --require @perfwatch/node/register app.js` (CommonJS) or
// `node --import @perfwatch/node/register app.mjs` (ES modules: also registers the
// OpenTelemetry loader hook so ES-module imports of express, pg, ... are instrumented).
// Configured by environment variables only: PERFWATCH_SERVICE (else OTEL_SERVICE_NAME,
// else the npm package name), PERFWATCH_ENDPOINT, PERFWATCH_TOKEN. Flushes and stops on
// SIGTERM / SIGINT (then exits) and when the process is about to exit normally.
'use strict';

const mod = require('node:module');
const { pathToFileURL } = require('node:url');

if (typeof mod.register === 'function') {
  try {
    mod.register('@opentelemetry/instrumentation/hook.mjs', pathToFileURL(__filename));
  } catch (e) {
    console.warn(`@perfwatch/node: ES-module instrumentation is off (${e && e.message})`);
  }
}

const handle = require('./index.js').start({});

for (const signal of ['SIGTERM', 'SIGINT']) {
  process.once(signal, () => {
    const flushed = handle.shutdown();
    // With no handler of the app's own, exit the way the signal would have, once flushed.
    if (process.listenerCount(signal) === 0) flushed.then(() => process.kill(process.pid, signal));
  });
}
process.once('beforeExit', () => handle.shutdown());
