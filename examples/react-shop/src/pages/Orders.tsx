import { useEffect, useState } from 'react';
import { getJSON } from '../api';

interface Order {
  id: number;
  items: { product: number; qty: number }[];
  at: string;
}

/** /orders: the latest orders (GET /shop-api/orders) and the sales report (a slow route). */
export function Orders() {
  const [orders, setOrders] = useState<Order[] | null>(null);
  const [report, setReport] = useState<{ orders: number; revenue: number } | null>(null);
  const [error, setError] = useState('');
  useEffect(() => {
    getJSON<Order[]>('/orders').then(setOrders, (e) => setError(String(e.message)));
    getJSON<{ orders: number; revenue: number }>('/reports/sales').then(setReport, () => {});
  }, []);
  if (error) return <p role="alert">{error}</p>;
  return (
    <section id="orders" data-count={orders?.length ?? ''}>
      <p id="report">{report ? `${report.orders} orders, ${report.revenue} € revenue` : 'Loading the sales report…'}</p>
      {orders == null ? (
        <p>Loading…</p>
      ) : orders.length == 0 ? (
        <p>No orders yet.</p>
      ) : (
        <ul>
          {orders.map((o) => (
            <li key={o.id}>
              Order {o.id}: {o.items.length} item{o.items.length == 1 ? '' : 's'}, {new Date(o.at).toLocaleTimeString()}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
