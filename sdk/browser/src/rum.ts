// Entry point of the one-file build served at /rum.js: configures itself from the
// <script> tag and exposes window.perfwatch = { init, measure, flush } (+ journey in
// rum.full.js).

import { fromScript, merge, type Options } from './config';
import { flush, init, journey, measure } from './sdk';

const w = window as any;
const script =
  (document.currentScript as HTMLScriptElement | null) ||
  document.querySelector<HTMLScriptElement>('script[src*="/rum"]');
// A page may define `window.perfwatch = {app: ...}` before loading the script.
const pre: Options | undefined = w.perfwatch && !w.perfwatch.init ? w.perfwatch : undefined;
const opts = merge(fromScript(script), pre);
w.perfwatch = { init: (o?: Options) => init(merge(opts, o)), measure, flush, ...(__FULL__ && { journey }) };
if (!opts.manual) init(opts);
