// Compile-time constants (scripts/build.mjs `define`).

/** false in dist/rum.js, true in dist/rum-trace.js, dist/rum.full.js, dist/index.js and the unit tests. */
declare const __TRACE__: boolean;

/** true in dist/rum.full.js, dist/index.js and the unit tests: resource summary, subparts, journeys. */
declare const __FULL__: boolean;
