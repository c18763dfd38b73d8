import assert from 'node:assert/strict';
import { test } from 'node:test';
import { selector, type NodeLike } from '../src/selector';

function el(nodeName: string, parentNode: NodeLike | null, id = '', className = ''): NodeLike {
  return { nodeType: 1, nodeName: nodeName.toUpperCase(), id, className, parentNode };
}

test('selector walks up to an id', () => {
  const main = el('main', el('body', el('html', null)), 'content');
  const img = el('img', el('div', main, '', 'hero  wide big'));
  assert.equal(selector(img), 'main#content>div.hero.wide>img');
});

test('selector stops at body and at the depth limit', () => {
  const body = el('body', el('html', null));
  assert.equal(selector(el('p', el('section', body))), 'body>section>p');
  let n: NodeLike = body;
  for (let i = 0; i < 10; i++) n = el('div', n);
  assert.equal(selector(n, 3), 'div>div>div');
});

test('selector of a text node names its parent; null gives empty', () => {
  const p = el('p', null, 'intro');
  assert.equal(selector({ nodeType: 3, nodeName: '#text', parentNode: p }), 'p#intro');
  assert.equal(selector(null), '');
  // SVG elements have an SVGAnimatedString className
  assert.equal(selector({ ...el('svg', null), className: {} }), 'svg');
});
