import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inpParts, lcpParts, loafScripts, MAX_SCRIPTS } from '../src/attribution';

const sum = (p: Record<string, number>) => p.ttfb + p.loadDelay + p.loadDuration + p.renderDelay;

test('LCP subparts add up to LCP (image, text, prerendered)', () => {
  const nav = { responseStart: 200, activationStart: 0 };
  const img = lcpParts(1500, nav, { startTime: 400, requestStart: 450, responseEnd: 1100 });
  assert.deepEqual(img, { ttfb: 200, loadDelay: 250, loadDuration: 650, renderDelay: 400 });
  assert.equal(sum(img), 1500);
  const text = lcpParts(700.26, nav, undefined);
  assert.deepEqual(text, { ttfb: 200, loadDelay: 0, loadDuration: 0, renderDelay: 500.3 });
  // Cross-origin image without Timing-Allow-Origin: requestStart 0, startTime used.
  const opaque = lcpParts(900, nav, { startTime: 300, requestStart: 0, responseEnd: 800 });
  assert.equal(opaque.loadDelay, 100);
  assert.equal(sum(opaque), 900);
  // Response ends after the LCP time (the image rendered from an earlier frame): clamped.
  assert.equal(sum(lcpParts(600, nav, { startTime: 300, requestStart: 310, responseEnd: 900 })), 600);
  const pre = lcpParts(1000, { responseStart: 150, activationStart: 400 }, undefined);
  assert.deepEqual(pre, { ttfb: 0, loadDelay: 0, loadDuration: 0, renderDelay: 1000 });
  assert.equal(sum(lcpParts(321, undefined, undefined)), 321);
});

test('INP subparts: input delay, processing, presentation of the interaction entries', () => {
  const p = inpParts([
    { startTime: 1000, processingStart: 1030, processingEnd: 1150, duration: 184 },
    { startTime: 1002, processingStart: 1150, processingEnd: 1160, duration: 182 },
  ]);
  assert.deepEqual(p, { inputDelay: 30, processing: 130, presentation: 24, start: 1000, paint: 1184 });
  assert.equal(p.inputDelay + p.processing + p.presentation, 184);
});

test('INP scripts: from overlapping long animation frames, longest first, at most 5', () => {
  const script = (src: string, duration: number, fn = 'f') => ({
    sourceURL: src, sourceFunctionName: fn, invoker: 'BUTTON#buy.onclick', duration,
  });
  const frames = [
    { startTime: 0, duration: 100, scripts: [script('https://a/early.js', 90)] },  // before
    { startTime: 950, duration: 120, scripts: [script('https://a/app.js?v=2', 80, 'onBuy'), script('https://a/x.js', 5)] },
    { startTime: 1100, duration: 60, scripts: [1, 2, 3, 4].map((i) => script('https://a/s' + i + '.js', 10 + i)) },
    { startTime: 1300, duration: 60 },  // no scripts field (other browsers)
  ];
  const s = loafScripts(frames, 1000, 1184, (u) => u.split('?')[0]);
  assert.equal(s.length, MAX_SCRIPTS);
  assert.deepEqual(s[0], { src: 'https://a/app.js', fn: 'onBuy', invoker: 'BUTTON#buy.onclick', dur: 80 });
  assert.deepEqual(s.map((x) => x.dur), [80, 14, 13, 12, 11]);
  assert.deepEqual(loafScripts([], 0, 1, String), []);
});
