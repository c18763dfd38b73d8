// Tiny DOM helpers: h() builds elements, and the loading / empty / error states every
// section shows (issue 13: states that say what to do). No framework: the pages are few
// and mostly tables and charts.

export type Child = Node | string | number | null | undefined | false | Child[];
type Attrs = Record<string, unknown>;

/** `h('button', {class: 'x', onclick: fn, 'aria-label': '…'}, 'text', child)`. */
export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs | null, ...children: Child[]): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  if (attrs) {
    for (const [k, v] of Object.entries(attrs)) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on') && typeof v === 'function') {
        el.addEventListener(k.slice(2), v as EventListener);
      } else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'disabled') {
        (el as unknown as Record<string, unknown>)[k] = v;
      } else {
        el.setAttribute(k, v === true ? '' : String(v));
      }
    }
  }
  append(el, children);
  return el;
}

export function append(parent: Node, children: Child[]): void {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(parent, c);
    else parent.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  }
}

/** Replaces the children of `el`. */
export function replace(el: Element, ...children: Child[]): void {
  el.replaceChildren();
  append(el, children);
}

let idCounter = 0;
/** A document-unique id for label/control pairs. */
export function uid(prefix: string): string {
  return `${prefix}-${++idCounter}`;
}

/** A labelled <select>; `onchange` gets the chosen value. */
export function select(label: string, options: [value: string, text: string][], value: string, onchange: (v: string) => void, name?: string): HTMLElement {
  const id = uid('sel');
  const sel = h('select', { id, name, onchange: () => onchange(sel.value) },
    options.map(([v, t]) => h('option', { value: v, selected: v === value }, t)));
  return h('span', { class: 'field' }, h('label', { for: id }, label), sel);
}

export function loading(what: string): HTMLElement {
  return h('p', { class: 'state loading', role: 'status' }, `Loading ${what}…`);
}

export function empty(...children: Child[]): HTMLElement {
  return h('div', { class: 'state empty', role: 'status' }, children);
}

export function errorBox(err: unknown): HTMLElement {
  const msg = err instanceof Error ? err.message : String(err);
  return h('div', { class: 'state error', role: 'alert' }, h('strong', null, 'Error: '), msg);
}

/** What an empty RUM section says: how to start sending beacons. */
export function noBeacons(app: string): HTMLElement {
  const tag = `<script src="${location.origin}/rum.js" data-app="${app || 'my-app'}" defer></script>`;
  return empty(
    h('p', null, h('strong', null, 'No beacons yet'), app ? ` for app “${app}” in this window.` : ' in this window.'),
    h('p', null, 'Add this script tag to the pages you want to measure, then load one of them:'),
    h('pre', null, h('code', null, tag)),
    h('p', null, 'Or widen the time window above.'));
}

/** A section with a heading and a body that refreshes replace. */
export function section(title: string, ...children: Child[]): { el: HTMLElement; body: HTMLElement; tools: HTMLElement } {
  const id = uid('sec');
  const tools = h('div', { class: 'tools' });
  const body = h('div', { class: 'section-body' }, children);
  const el = h('section', { class: 'card', 'aria-labelledby': id }, h('div', { class: 'card-head' }, h('h2', { id }, title), tools), body);
  return { el, body, tools };
}
