import { useEffect, useState } from 'react';
import { useInteractionTracking, usePerformanceMonitor, useRenderTracking, useUserJourney } from '@perfwatch/react';
import { getJSON, OFFLINE, postJSON, type Product } from '../api';

function ProductGrid({ products, onAdd }: { products: Product[]; onAdd: (id: number) => void }) {
  useRenderTracking('ProductGrid');
  return (
    <ul className="grid">
      {products.map((p) => (
        <li key={p.id}>
          <a href={'/product/' + p.id}>{p.name}</a>
          <span>{p.price} €</span>
          <button type="button" id={'add-' + p.id} onClick={() => onAdd(p.id)}>
            Add to cart
          </button>
        </li>
      ))}
    </ul>
  );
}

/** The catalogue from the API (`?q=` searches), or the built-in one when the API is not there. */
function useProducts(q: string): [Product[] | null, boolean] {
  const [state, setState] = useState<[Product[] | null, boolean]>([null, false]);
  useEffect(() => {
    let live = true;
    getJSON<Product[]>('/products' + (q ? '?q=' + encodeURIComponent(q) : '')).then(
      (p) => live && setState([p, false]),
      () => live && setState([OFFLINE.filter((p) => p.name.toLowerCase().includes(q.toLowerCase())), true]),
    );
    return () => void (live = false);
  }, [q]);
  return state;
}

export function Catalogue() {
  const [q, setQ] = useState(() => new URLSearchParams(location.search).get('q') ?? '');
  const [products, offline] = useProducts(q);
  const [cart, setCart] = useState<number[]>([]);
  const [status, setStatus] = useState('');
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
  const items = () => cart.map((product) => ({ product, qty: 1 }));
  // On invoice: POST /orders. Offline (no API) it only waits, as before.
  const pay = () =>
    measure('api-response-time', () => (offline ? new Promise((r) => setTimeout(r, 120)) : postJSON<{ id: number }>('/orders', { items: items() }))).then(
      (order) => {
        checkout.step('paid');
        checkout.complete();
        setCart([]);
        setStatus(order ? `Order ${order.id} placed.` : 'Paid.');
      },
      (e) => {
        checkout.fail(String(e.message));
        setStatus(String(e.message));
      },
    );
  // By card: POST /checkout, which fails (the API's payment provider is down). The journey
  // fails, and the error is left unhandled as in many real apps, so the SDK reports it.
  const payByCard = async () => {
    checkout.step('card');
    try {
      await measure('api-response-time', () => postJSON('/checkout', { items: items(), payment: 'card' }));
    } catch (e) {
      checkout.fail('card payment failed');
      setStatus('Card payment failed, please pay on invoice.');
      throw e;
    }
  };
  return (
    <>
      <p className="hero">Fresh things, delivered fast. Everything on this page is measured by @perfwatch/react.</p>
      <p>
        <input id="search" type="search" placeholder="Search" defaultValue={q} onChange={(e) => setQ(e.target.value.trim())} />{' '}
        {offline && <em>(offline catalogue: the shop API is not reachable)</em>}
      </p>
      {products ? <ProductGrid products={products} onAdd={add} /> : <p>Loading…</p>}
      <p id="cart" data-status={status}>
        Cart: {cart.length} item{cart.length == 1 ? '' : 's'}{' '}
        <button type="button" id="pay" disabled={!cart.length} onClick={pay}>
          Pay
        </button>{' '}
        <button type="button" id="pay-card" disabled={!cart.length || offline} onClick={payByCard}>
          Pay by card
        </button>{' '}
        {status}
      </p>
    </>
  );
}
