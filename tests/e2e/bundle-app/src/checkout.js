import { formatPrice } from './cart.js';

export function checkout(cart) {
  const summary = document.createElement('aside');
  summary.textContent = `Total ${formatPrice(cart.total())} for ${cart.items.length} items`;
  document.body.append(summary);
}
