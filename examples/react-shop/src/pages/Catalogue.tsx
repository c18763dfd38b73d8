import { useState } from 'react';
import { useInteractionTracking, usePerformanceMonitor, useRenderTracking, useUserJourney } from '@perfwatch/react';

const PRODUCTS = Array.from({ length: 12 }, (_, i) => ({ id: i + 1, name: `Product ${i + 1}`, price: 5 + ((i * 7) % 40) }));

function ProductGrid({ onAdd }: { onAdd: (id: number) => void }) {
  useRenderTracking('ProductGrid');
  return (
    <ul className="grid">
      {PRODUCTS.map((p) => (
        <li key={p.id}>
          <span>{p.name}</span>
          <span>{p.price} €</span>
          <button type="button" id={'add-' + p.id} onClick={() => onAdd(p.id)}>
            Add to cart
          </button>
        </li>
      ))}
    </ul>
  );
}

export function Catalogue() {
  const [cart, setCart] = useState<number[]>([]);
  const { track } = useInteractionTracking('add-to-cart');
  const { measure } = usePerformanceMonitor();
  const checkout = useUserJourney('checkout');
  const add = track((id: number) => {
    if (!cart.length) checkout.start({ target: 60_000 });
    // Some work in the handler (pricing, analytics): an interaction worth measuring.
    const end = performance.now() + 60;
    while (performance.now() < end) {}
    setCart((c) => [...c, id]);
  });
  const pay = () =>
    measure('api-response-time', () => new Promise((r) => setTimeout(r, 120))).then(() => {
      checkout.step('paid');
      checkout.complete();
      setCart([]);
    });
  return (
    <>
      <p className="hero">Fresh things, delivered fast. Everything on this page is measured by @perfwatch/react.</p>
      <ProductGrid onAdd={add} />
      <p id="cart">
        Cart: {cart.length} item{cart.length == 1 ? '' : 's'}{' '}
        <button type="button" disabled={!cart.length} onClick={pay}>
          Pay
        </button>
      </p>
    </>
  );
}
