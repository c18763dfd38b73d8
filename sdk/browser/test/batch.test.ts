import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Batcher, MAX_BODY, split, utf8Length } from '../src/batch';

test('utf8Length counts bytes, not UTF-16 units', () => {
  assert.equal(utf8Length('abc'), 3);
  assert.equal(utf8Length('é'), 2);
  assert.equal(utf8Length('€'), 3);
  assert.equal(utf8Length('😀'), 4);
});

test('split puts small batches in one JSON array', () => {
  const items = [{ a: 1 }, { b: 'x' }, { c: [1, 2] }];
  const bodies = split(items);
  assert.equal(bodies.length, 1);
  assert.deepEqual(JSON.parse(bodies[0]), items);
});

test('split of nothing sends nothing', () => {
  assert.deepEqual(split([]), []);
});

test('split keeps every body within 60 KiB and keeps order', () => {
  const items = Array.from({ length: 400 }, (_, i) => ({ i, pad: 'é'.repeat(200 + (i % 37)) }));
  const bodies = split(items);
  assert.ok(bodies.length > 1, 'needs several bodies');
  const back = [];
  for (const b of bodies) {
    assert.ok(utf8Length(b) <= MAX_BODY, `body of ${utf8Length(b)} bytes`);
    back.push(...JSON.parse(b));
  }
  assert.deepEqual(back, items);
});

test('split fills bodies up to exactly the limit', () => {
  // Each item serialises to 10 bytes: {"s":"ab"} ; 3 items + 2 commas + brackets = 34.
  const items = [{ s: 'ab' }, { s: 'cd' }, { s: 'ef' }, { s: 'gh' }];
  const bodies = split(items, 34);
  assert.deepEqual(bodies.map((b) => utf8Length(b)), [34, 12]);
  assert.deepEqual(bodies.map((b) => JSON.parse(b).length), [3, 1]);
});

test('split drops an item that cannot fit any body', () => {
  const big = { s: 'x'.repeat(MAX_BODY) };
  const bodies = split([{ a: 1 }, big, { b: 2 }]);
  assert.deepEqual(bodies.map((b) => JSON.parse(b)), [[{ a: 1 }, { b: 2 }]]);
});

function fakeTimers() {
  const pending: Array<{ cb: () => void; ms: number }> = [];
  return {
    pending,
    set: (cb: () => void, ms: number) => pending.push({ cb, ms }),
    fire() {
      pending.splice(0).forEach((t) => t.cb());
    },
  };
}

test('Batcher sends one array per flush', () => {
  const sent: string[] = [];
  const b = new Batcher((s) => sent.push(s), 50, 0);
  b.add({ n: 1 });
  b.add({ n: 2 });
  assert.equal(sent.length, 0);
  b.flush();
  assert.deepEqual(sent.map((s) => JSON.parse(s)), [[{ n: 1 }, { n: 2 }]]);
  b.flush();
  assert.equal(sent.length, 1, 'an empty flush sends nothing');
  assert.equal(b.size, 0);
});

test('Batcher flushes when the queue reaches maxItems', () => {
  const sent: string[] = [];
  const b = new Batcher((s) => sent.push(s), 3, 0);
  for (let i = 0; i < 7; i++) b.add({ i });
  assert.deepEqual(sent.map((s) => JSON.parse(s).length), [3, 3]);
  assert.equal(b.size, 1);
});

test('Batcher arms one timer per batch', () => {
  const sent: string[] = [];
  const t = fakeTimers();
  const b = new Batcher((s) => sent.push(s), 50, 5000, t.set);
  b.add({ i: 1 });
  b.add({ i: 2 });
  assert.equal(t.pending.length, 1);
  assert.equal(t.pending[0].ms, 5000);
  t.fire();
  assert.deepEqual(sent.map((s) => JSON.parse(s)), [[{ i: 1 }, { i: 2 }]]);
  b.add({ i: 3 });
  assert.equal(t.pending.length, 1, 'a new batch arms a new timer');
});

test('Batcher splits a large flush into several bodies', () => {
  const sent: string[] = [];
  const b = new Batcher((s) => sent.push(s), 1000, 0);
  for (let i = 0; i < 300; i++) b.add({ i, stack: 'at f (x.js:1:1)\n'.repeat(30) });
  b.flush();
  assert.ok(sent.length > 1);
  assert.ok(sent.every((s) => utf8Length(s) <= MAX_BODY));
  assert.equal(sent.reduce((n, s) => n + JSON.parse(s).length, 0), 300);
});
