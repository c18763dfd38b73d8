// A small shop API reporting to perfwatch with one line (@perfwatch/node).
//
//   (cd sdk/node && npm ci) && cd examples/express-api && npm ci && node server.js
//   curl http://127.0.0.1:3000/products
//
// The React shop (../react-shop) calls it under /shop-api (its proxy strips the prefix);
// ../run.mjs starts both with perfwatch and a headless shopper (docs/integrations.md).
//
// Env: PERFWATCH_ENDPOINT (default http://127.0.0.1:9797, perfwatch's own listener),
// PERFWATCH_TOKEN (a token with the ingest scope, when perfwatch has auth.tokens),
// PORT (default 3000; 0 picks a free one), HOST (default 127.0.0.1).
// Open the dashboard's Services, Route and Trace pages (and Memory for the heap) to see it.
'use strict';

// First, before express is required, so its routes are instrumented.
const perfwatch = require('@perfwatch/node').start({ service: 'shop-api' });

const express = require('express');

const products = [
  { id: 1, name: 'Espresso cup', price: 9.5, stock: 40 },
  { id: 2, name: 'Pour-over kettle', price: 54, stock: 7 },
  { id: 3, name: 'Burr grinder', price: 129, stock: 3 },
  { id: 4, name: 'Paper filters (100)', price: 6, stock: 120 },
  { id: 5, name: 'Scale with timer', price: 39, stock: 0 },
  { id: 6, name: 'Milk jug', price: 18, stock: 22 },
  { id: 7, name: 'Tamper', price: 27, stock: 9 },
  { id: 8, name: 'Cold brew bottle', price: 24, stock: 15 },
  { id: 9, name: 'Beans, house blend (1 kg)', price: 31, stock: 60 },
  { id: 10, name: 'Beans, single origin (250 g)', price: 14, stock: 35 },
  { id: 11, name: 'Descaler', price: 11, stock: 80 },
  { id: 12, name: 'Travel mug', price: 21, stock: 12 },
];
const orders = [];  // the latest 1000 (a long demo run must not grow the heap)
let placed = 0;

const app = express();
app.use(express.json());

app.get('/products', (req, res) => {
  const q = String(req.query.q ?? '').toLowerCase();
  res.json(products.filter((p) => p.name.toLowerCase().includes(q)));
});

// A route parameter: perfwatch groups these under the route template "/products/:id".
app.get('/products/:id', (req, res) => {
  const product = products.find((p) => p.id === Number(req.params.id));
  if (!product) return res.status(404).json({ error: `no product ${req.params.id}` });
  res.json(product);
});

app.get('/orders', (req, res) => {
  res.json(orders.slice(-20).reverse());
});

app.post('/orders', (req, res) => {
  const items = Array.isArray(req.body?.items) ? req.body.items : [];
  if (items.length === 0) return res.status(400).json({ error: 'an order needs items' });
  const order = { id: ++placed, items, at: new Date().toISOString() };
  if (orders.push(order) > 1000) orders.shift();
  res.status(201).json(order);
});

// Card payment. Fails: the payment provider is "down". The error becomes a 500, a span with status
// ERROR and an exception event, which perfwatch shows on its Errors page.
app.post('/checkout', async () => {
  throw new Error('payment provider unavailable');
});

// Slow: a report that takes 150-250 ms to build (shows up in the route's p95 / Trace page).
app.get('/reports/sales', async (req, res) => {
  await new Promise((r) => setTimeout(r, 150 + Math.random() * 100));
  res.json({ orders: placed, revenue: placed * 42 });
});

app.use((err, req, res, next) => {
  res.status(500).json({ error: err.message });
});

const port = Number(process.env.PORT ?? 3000);
const server = app.listen(port, process.env.HOST || '127.0.0.1', () => {
  const { address, port: bound } = server.address();
  console.log(`shop-api listening on http://${address}:${bound} (reporting to ${perfwatch.endpoint})`);
});

// Graceful stop: finish the open requests, then flush what is buffered to perfwatch.
async function stop() {
  await new Promise((r) => server.close(r));
  await perfwatch.shutdown();
  process.exit(0);
}
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
