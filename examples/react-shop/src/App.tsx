// The shop: one React app, a page per path (plain links: each page is its own page view).
import { Alerts } from './pages/Alerts';
import { Catalogue } from './pages/Catalogue';
import { ListPage } from './pages/ListPage';
import { MemoryPanel, NetworkPanel, VitalsPanel } from './panels';

const PAGES: Record<string, [string, () => JSX.Element]> = {
  '/': ['Catalogue', () => <Catalogue />],
  '/leaky': ['Leaky list', () => <ListPage leaks />],
  '/steady': ['Steady list', () => <ListPage leaks={false} />],
  '/alerts': ['Alerts', () => <Alerts />],
};

export function App() {
  const path = location.pathname in PAGES ? location.pathname : '/';
  const [title, Page] = PAGES[path];
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
        {path != '/' && path != '/alerts' && <MemoryPanel />}
      </aside>
    </div>
  );
}
