import { useEffect, useState } from 'react';
import { getJSON, type Product as P } from '../api';

/** /product/:id: one product from GET /shop-api/products/:id (a 404 for an unknown id). */
export function Product({ id }: { id: string }) {
  const [p, setP] = useState<P | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    getJSON<P>('/products/' + encodeURIComponent(id)).then(setP, (e) => setError(String(e.message)));
  }, [id]);
  if (error) return <p role="alert">{error}</p>;
  if (!p) return <p>Loading…</p>;
  return (
    <section id="product" data-id={p.id}>
      <h2>{p.name}</h2>
      <p>
        {p.price} € · {p.stock ? `${p.stock} in stock` : 'out of stock'}
      </p>
      <a href="/">Back to the catalogue</a>
    </section>
  );
}
