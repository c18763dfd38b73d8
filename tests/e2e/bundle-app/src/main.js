import './style.css';
import { formatPrice, cart } from './cart.js';
import { products } from './catalog.js';

const app = document.getElementById('app');
for (const p of products) {
  const row = document.createElement('p');
  row.textContent = `${p.name}: ${formatPrice(p.price)}`;
  row.addEventListener('click', () => cart.add(p));
  app.append(row);
}
document.querySelector('title').textContent = `${products.length} products`;
// The checkout is loaded when needed: its own chunk.
app.addEventListener('dblclick', async () => (await import('./checkout.js')).checkout(cart));
