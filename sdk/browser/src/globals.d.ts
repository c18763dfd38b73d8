// Compile-time constants (scripts/build.mjs `define`).

/** false in dist/rum.js, true in dist/rum-trace.js, dist/index.js and the unit tests. */
declare const __TRACE__: boolean;
