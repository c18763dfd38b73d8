import assert from 'node:assert/strict';
import { test } from 'node:test';
import { JOURNEY_KEY, JOURNEY_TIMEOUT, Journeys, journeyBeacon, loadJourneys } from '../src/journey';

function memoryStorage() {
  const m = new Map<string, string>();
  return { m, getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
}

/** A page: its journeys, the beacons it sent, and a clock the test moves. */
function page(store: ReturnType<typeof memoryStorage>, clock: { t: number }) {
  const sent: any[] = [];
  let n = 0;
  const j = new Journeys(store, (b) => sent.push(b), () => 'id' + ++n, () => clock.t);
  return { j, sent };
}

test('start, steps, complete: one final beacon with the contract shape', () => {
  const store = memoryStorage();
  const clock = { t: 1_000_000 };
  const { j, sent } = page(store, clock);
  const h = j.start('checkout', { target: 30000 });
  clock.t += 100;
  h.step('cart');
  clock.t += 400;
  h.step('payment');
  clock.t += 250;
  h.complete();
  assert.deepEqual(sent, [{
    type: 'journey', name: 'checkout', value: 750, id: 'j-id1', journeyId: 'id1', outcome: 'completed',
    target: 30000, reason: undefined,
    steps: [{ name: 'cart', t: 100, d: 400 }, { name: 'payment', t: 500, d: 250 }],
    startedAt: 1_000_000,
  }]);
  assert.deepEqual(JSON.parse(store.m.get(JOURNEY_KEY)!), [], 'a finished journey leaves the store');
  h.complete();
  h.step('late');
  assert.equal(sent.length, 1, 'a finished journey ignores further calls');
});

test('survives navigation: abandoned on pagehide, replaced by the final beacon on the next page', () => {
  const store = memoryStorage();
  const clock = { t: 5000 };
  const a = page(store, clock);
  a.j.start('signup');
  clock.t += 10;
  a.j.step('form');
  clock.t += 90;
  a.j.abandon();  // pagehide
  assert.equal(a.sent.length, 1);
  assert.equal(a.sent[0].outcome, 'abandoned');
  assert.equal(a.sent[0].id, 'j-id1');
  assert.deepEqual(a.sent[0].steps, [{ name: 'form', t: 10, d: 90 }]);
  clock.t += 1000;
  const b = page(store, clock);  // next page of the tab session
  assert.equal(b.j.list.length, 1);
  b.j.step('confirm');  // the current journey
  clock.t += 50;
  b.j.end('failed', undefined, 'card declined');
  const f = b.sent[0];
  assert.equal(f.id, 'j-id1', 'same id: the server replaces the abandoned beacon');
  assert.equal(f.outcome, 'failed');
  assert.equal(f.reason, 'card declined');
  assert.equal(f.value, 1150);
  assert.deepEqual(f.steps, [{ name: 'form', t: 10, d: 1090 }, { name: 'confirm', t: 1100, d: 50 }]);
  b.j.abandon();
  assert.equal(b.sent.length, 1, 'nothing open, nothing abandoned');
});

test('the current journey is the latest started; handles act on their own', () => {
  const store = memoryStorage();
  const clock = { t: 0 };
  const { j, sent } = page(store, clock);
  const a = j.start('a');
  j.start('b', { target: -5 });
  j.step('in-b');
  a.complete();
  j.end('completed');
  assert.deepEqual(sent.map((b) => [b.name, b.steps.length, b.target]), [['a', 0, undefined], ['b', 1, undefined]]);
  j.end('completed');  // none open
  j.step('x');
  assert.equal(sent.length, 2);
});

test('storage: malformed, stale and unavailable', () => {
  const store = memoryStorage();
  store.setItem(JOURNEY_KEY, '{not json');
  assert.deepEqual(loadJourneys(store, 0), []);
  store.setItem(JOURNEY_KEY, JSON.stringify([
    { id: 'old', name: 'x', at: 0, steps: [] },
    { id: 'live', name: 'y', at: 0, steps: [{ name: 's', t: JOURNEY_TIMEOUT }] },
    { name: 'no id', at: 0, steps: [] },
  ]));
  assert.deepEqual(loadJourneys(store, JOURNEY_TIMEOUT + 1).map((j) => j.id), ['live']);
  // No sessionStorage (sandboxed frame) or one that throws: journeys still work in the page.
  const sent: any[] = [];
  const broken = { getItem: () => { throw new Error('denied'); }, setItem: () => { throw new Error('denied'); } };
  const j = new Journeys(broken, (b) => sent.push(b), () => 'z', () => 7);
  j.start('q').complete();
  assert.equal(sent[0].outcome, 'completed');
  assert.equal(journeyBeacon({ id: 'k', name: 'n', at: 1, steps: [] }, 'abandoned', 3).value, 2);
});
