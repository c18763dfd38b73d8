// The shop: one React app, a page per path (plain links: each page is its own page view).
// Products and orders come from the shop API (examples/express-api, under /shop-api).
import { Alerts } from './pages/Alerts';
import { Catalogue } from './pages/Catalogue';
import { ListPage } from './pages/ListPage';
import { Orders } from './pages/Orders';
import { Product } from './pages/Product';
import { MemoryPanel, NetworkPanel, VitalsPanel } from './panels';

const PAGES: Record<string, [string, () => JSX.Element]> = {
  '/': ['Catalogue', () => <Catalogue />],
  '/orders': ['Orders', () => <Orders />],
  '/leaky': ['Leaky list', () => <ListPage leaks />],
  '/steady': ['Steady list', () => <ListPage leaks={false} />],
  '/alerts': ['Alerts', () => <Alerts />],
};

/** The page of a path: one of PAGES, /product/:id, else the catalogue. */
function route(path: string): [string, string, () => JSX.Element] {
  const m = /^\/product\/([^/]+)$/.exec(path);
  if (m) return [path, 'Product', () => <Product id={m[1]} />];
  return path in PAGES ? [path, ...PAGES[path]] : ['/', ...PAGES['/']];
}

export function App() {
  const [path, title, Page] = route(location.pathname);
  return (
    <div className="shop">
      <header>
        <strong>React shop</strong>
        <nav>
          {Object.entries(PAGES).map(([p, [t]]) => (
            <a key={p} href={p} aria-current={p == path ? 'page' : undefined}>
              {t}
            </a>
          ))}
        </nav>
      </header>
      <main>
        <h1>{title}</h1>
        <Page />
      </main>
      <aside>
        <VitalsPanel />
        {path == '/' && <NetworkPanel />}
        {(path == '/leaky' || path == '/steady') && <MemoryPanel />}
      </aside>
    </div>
  );
}
