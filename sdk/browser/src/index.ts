// npm entry point: `import { init, measure } from '@perfwatch/rum'`, then call init()
// once with at least `endpoint` when the page is not served by perfwatch itself.
export { flush, init, journey, measure, type Options } from './sdk';
export { stripUrl } from './url';
