// npm entry point: `import { init, measure } from '@perfwatch/rum'`, then call init()
// once with at least `endpoint` when the page is not served by perfwatch itself.
export { flush, init, isSampledIn, journey, measure, pageViewId, subscribe, type Options } from './sdk';
// Pure helpers of the resource summary, for in-page views of it (@perfwatch/react).
export { kind, pick, record, summarize, type Res, type Summary, type Totals } from './resources';
export { stripUrl } from './url';
