// The dashboard's frame: header (navigation, app picker, time-window picker, live status)
// and the page for the current path. State lives in the URL (state.ts).
import './style.css';

import { get } from './api';
import { h, replace, uid } from './dom';
import { on, onStatus } from './live';
import type { PageDef, PageInstance } from './page';
import { ROUTES } from './routes';
import { DEFAULT_WINDOW, linkTo, navigate, onChange, param, setParams, WINDOWS } from './state';

const main = h('main', { id: 'main', tabindex: '-1' });
const nav = h('nav', { 'aria-label': 'Pages' });
const appSelect = h('select', { id: 'app-picker', name: 'app' });
const windowSelect = h('select', { id: 'window-picker', name: 'window' });
const customBox = h('span', { class: 'custom-range', hidden: true });
const liveBadge = h('span', { class: 'live', role: 'status', 'aria-live': 'polite' }, 'connecting…');

let current: { def: PageDef; inst: PageInstance } | null = null;
let knownApps: string[] = [];

function pageFor(path: string): PageDef | undefined {
  return ROUTES.find((r) => r.path === path) ?? (path === '/' ? ROUTES[0] : undefined);
}

function renderNav(): void {
  const here = location.pathname === '/' ? ROUTES[0].path : location.pathname;
  const path = pageFor(here)?.parent ?? here;
  replace(nav, h('ul', null, ROUTES.filter((r) => !r.parent).map((r) => h('li', null, h('a', {
    href: linkTo(r.path),
    'aria-current': r.path === path ? 'page' : undefined,
    onclick: (e: MouseEvent) => {
      if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return;
      e.preventDefault();
      navigate(r.path);
    },
  }, r.title)))));
}

function toLocalInput(unix: number): string {
  const d = new Date(unix * 1000 - new Date().getTimezoneOffset() * 60000);
  return d.toISOString().slice(0, 16);
}

function renderPickers(): void {
  const app = param('app') ?? '';
  const apps = [...new Set([...knownApps, ...(app ? [app] : [])])].sort();
  replace(appSelect, h('option', { value: '' }, 'all apps'), apps.map((a) => h('option', { value: a, selected: a === app }, a)));
  appSelect.value = app;

  const custom = !!(param('from') && param('to'));
  const w = param('window') || DEFAULT_WINDOW;
  const options = [...WINDOWS];
  if (!custom && !options.some(([k]) => k === w)) options.push([w, `last ${w}`]);
  replace(windowSelect, options.map(([k, t]) => h('option', { value: k }, t)), h('option', { value: 'custom' }, 'custom range…'));
  windowSelect.value = custom ? 'custom' : w;
  customBox.hidden = !custom;
  if (custom) fillCustom(Number(param('from')), Number(param('to')));
}

function fillCustom(from: number, to: number): void {
  const fromId = uid('from');
  const toId = uid('to');
  const fromIn = h('input', { id: fromId, type: 'datetime-local', value: toLocalInput(from) });
  const toIn = h('input', { id: toId, type: 'datetime-local', value: toLocalInput(to) });
  const msg = h('span', { class: 'field-error', role: 'alert' });
  replace(customBox,
    h('span', { class: 'field' }, h('label', { for: fromId }, 'from'), fromIn),
    h('span', { class: 'field' }, h('label', { for: toId }, 'to'), toIn),
    h('button', { type: 'button', onclick: () => {
      const f = new Date(fromIn.value).getTime() / 1000;
      const t = new Date(toIn.value).getTime() / 1000;
      if (!Number.isFinite(f) || !Number.isFinite(t) || t <= f) {
        msg.textContent = '“to” must be after “from”.';
        return;
      }
      msg.textContent = '';
      setParams({ from: String(Math.round(f)), to: String(Math.round(t)), window: null });
    } }, 'Apply'),
    msg);
}

async function loadApps(): Promise<void> {
  try {
    knownApps = await get<string[]>('/api/v1/label/app/values', { 'match[]': ['{__name__=~"rum_.+"}'] });
  } catch {
    knownApps = [];
  }
  renderPickers();
}

function route(): void {
  renderNav();
  renderPickers();
  const def = pageFor(location.pathname);
  if (current && current.def === def && current.inst.update) {
    current.inst.update();
    return;
  }
  current?.inst.destroy?.();
  current = null;
  main.replaceChildren();
  if (!def) {
    main.append(h('h1', null, 'Page not found'), h('p', null, h('a', { href: '/' }, 'Go to the overview')));
    document.title = 'perfwatch';
    return;
  }
  document.title = `${def.title} · perfwatch`;
  current = { def, inst: def.mount(main) };
}

function init(): void {
  appSelect.addEventListener('change', () => setParams({ app: appSelect.value || null }));
  windowSelect.addEventListener('change', () => {
    if (windowSelect.value === 'custom') {
      const now = Math.round(Date.now() / 1000);
      customBox.hidden = false;
      fillCustom(now - 86400, now);
      (customBox.querySelector('input') as HTMLInputElement | null)?.focus();
      return;
    }
    setParams({ window: windowSelect.value === DEFAULT_WINDOW ? null : windowSelect.value, from: null, to: null });
  });
  const header = h('header', { class: 'top' },
    h('a', { class: 'skip', href: '#main' }, 'Skip to content'),
    h('a', { class: 'brand', href: '/' }, 'perfwatch'),
    nav,
    h('div', { class: 'pickers' },
      h('span', { class: 'field' }, h('label', { for: 'app-picker' }, 'App'), appSelect),
      h('span', { class: 'field' }, h('label', { for: 'window-picker' }, 'Time'), windowSelect),
      customBox,
      liveBadge));
  document.body.replaceChildren(header, main);
  onStatus((ok) => {
    liveBadge.textContent = ok ? '● live' : '○ reconnecting…';
    liveBadge.className = ok ? 'live on' : 'live off';
    liveBadge.title = ok ? 'Updates arrive as they happen (server-sent events)' : 'The live stream is reconnecting; pages update when it is back';
  });
  // The app list learns apps that appear while the dashboard is open.
  on('vitals', (d) => {
    const app = typeof d.app === 'string' ? d.app : '';
    if (app && !knownApps.includes(app)) {
      knownApps.push(app);
      renderPickers();
    }
  });
  onChange(route);
  route();
  void loadApps();
}

init();
