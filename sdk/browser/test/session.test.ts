import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isSampled, loadSession, newPageViewId, newSession, parseSession, STORAGE_KEY } from '../src/session';

function memoryStorage() {
  const m = new Map<string, string>();
  return { m, getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
}

const seq = (...xs: number[]) => () => xs.shift()!;

test('a new session is stored and reused by later page views', () => {
  const store = memoryStorage();
  const a = loadSession(store, 1700000000000, seq(0.123456, 0.7));
  assert.match(a.id, /^1700000000000-[0-9a-z]+$/);
  assert.equal(a.r, 0.7);
  assert.ok(store.m.has(STORAGE_KEY));
  const b = loadSession(store, 1700000099999, seq(0.9, 0.1));
  assert.deepEqual(b, a);
});

test('malformed or missing storage gives a fresh session', () => {
  assert.equal(parseSession(null), null);
  assert.equal(parseSession('garbage'), null);
  assert.equal(parseSession('1-abc 1.5'), null);
  assert.deepEqual(parseSession('1-abc 0.5'), { id: '1-abc', r: 0.5 });
  assert.deepEqual(parseSession('1-abc 1e-7'), { id: '1-abc', r: 1e-7 });
  assert.equal(parseSession('1-abc x'), null);
  const s = loadSession(undefined, 5, seq(0.5, 0.25));
  assert.equal(s.r, 0.25);
});

test('storage that throws (privacy modes) still gives a session', () => {
  const bad = {
    getItem: () => {
      throw new Error('denied');
    },
    setItem: () => {
      throw new Error('denied');
    },
  };
  const s = loadSession(bad, 5, seq(0.5, 0.25));
  assert.equal(s.r, 0.25);
});

test('sampling is decided by the session draw', () => {
  const s = newSession(1, seq(0.5, 0.3));
  assert.equal(isSampled(undefined, s), true, 'default rate 1');
  assert.equal(isSampled(1, s), true);
  assert.equal(isSampled(0.25, s), false);
  assert.equal(isSampled(0.5, s), true);
  assert.equal(isSampled(0, s), false);
  assert.equal(isSampled(0, { id: 'x', r: 0 }), false, 'rate 0 sends nothing at all');
  assert.equal(isSampled(1, { id: 'x', r: 0.999999 }), true);
});

test('sampling rate is honoured across many sessions', () => {
  let x = 42;
  const rnd = () => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  let n = 0;
  for (let i = 0; i < 10000; i++) if (isSampled(0.25, newSession(i, rnd))) n++;
  assert.ok(n > 2200 && n < 2800, `${n} of 10000 sampled`);
});

test('page view ids are the time and eight random base36 characters, distinct per draw', () => {
  const a = newPageViewId(1700000000000, seq(0.123456789));
  assert.equal(a, (1700000000000).toString(36) + (0.123456789).toString(36).slice(2, 10));
  assert.match(a, /^[0-9a-z]{16}$/);
  const ids = new Set<string>();
  for (let i = 0; i < 1000; i++) ids.add(newPageViewId(1700000000000, Math.random));
  assert.equal(ids.size, 1000);
});
