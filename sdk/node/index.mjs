// ESM entry of @perfwatch/node: the same start() as the CommonJS entry (index.js).
//   import { start } from '@perfwatch/node';
// In an ES-module app, imports are hoisted and evaluated before your code runs, and the
// auto-instrumentations need the loader hook to patch ES modules: start perfwatch with
//   node --import @perfwatch/node/register app.mjs
// (configured by environment variables; docs/integrations.md) rather than from app.mjs.
import cjs from './index.js';

export const { start, resolveEndpoint, DEFAULT_ENDPOINT } = cjs;
export default cjs;
