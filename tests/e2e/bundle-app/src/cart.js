export function formatPrice(cents) {
  return new Intl.NumberFormat('en', { style: 'currency', currency: 'EUR' }).format(cents / 100);
}

export const cart = {
  items: [],
  add(product) {
    this.items.push(product);
    document.dispatchEvent(new CustomEvent('cart', { detail: this.items.length }));
  },
  total() {
    return this.items.reduce((sum, p) => sum + p.price, 0);
  },
};
