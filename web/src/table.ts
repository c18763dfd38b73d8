// Tables with CSV / JSON export of exactly what they show (issue 13 item 4): the CSV holds
// each cell's text as displayed; the JSON the same rows with each column's value as a
// number or string (units in the column's label), for scripts.
import { h, uid, type Child } from './dom';

export interface Column<R> {
  label: string; // the header, with the unit when there is one: "p75 (ms)"
  value: (r: R) => string | number | null; // what JSON export writes
  cell?: (r: R) => Child; // what is shown; default: value() as text
  numeric?: boolean; // right-aligned
  sort?: (r: R) => number | string; // sortable by clicking the header
  title?: string;
}

export interface TableOptions<R> {
  name: string; // file name stem of the exports
  caption: string; // accessible name
  columns: Column<R>[];
  rows: R[];
  rowAttrs?: (r: R) => Record<string, unknown>;
  empty?: Child;
}

export function download(filename: string, mime: string, body: string): void {
  const url = URL.createObjectURL(new Blob([body], { type: mime }));
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function csvEscape(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function toCsv(header: string[], rows: string[][]): string {
  return [header, ...rows].map((r) => r.map(csvEscape).join(',')).join('\r\n') + '\r\n';
}

/** CSV and JSON buttons; `data()` is called at click time. */
export function exportButtons(name: string, data: () => { header: string[]; rows: string[][]; json: unknown }): HTMLElement {
  return h('span', { class: 'export' },
    h('button', { type: 'button', class: 'small', 'aria-label': `Export ${name} as CSV`, onclick: () => {
      const d = data();
      download(`${name}.csv`, 'text/csv', toCsv(d.header, d.rows));
    } }, 'CSV'),
    h('button', { type: 'button', class: 'small', 'aria-label': `Export ${name} as JSON`, onclick: () => {
      download(`${name}.json`, 'application/json', JSON.stringify(data().json, null, 1));
    } }, 'JSON'));
}

/** A table (sortable headers where `sort` is given) with its export buttons above it. */
export function table<R>(o: TableOptions<R>): HTMLElement {
  let rows = o.rows.slice();
  let sortCol = -1;
  let sortDir = 1;
  const tbody = h('tbody');
  const id = uid('tbl');
  const headCells = o.columns.map((c, i) => {
    const th = h('th', { scope: 'col', class: c.numeric ? 'num' : undefined, title: c.title });
    if (c.sort) {
      th.setAttribute('aria-sort', 'none');
      th.appendChild(h('button', { type: 'button', class: 'sort', onclick: () => {
        sortDir = sortCol === i ? -sortDir : 1;
        sortCol = i;
        const key = c.sort!;
        rows.sort((a, b) => {
          const x = key(a), y = key(b);
          return (x < y ? -1 : x > y ? 1 : 0) * sortDir;
        });
        headCells.forEach((t, j) => o.columns[j].sort && t.setAttribute('aria-sort', j === i ? (sortDir > 0 ? 'ascending' : 'descending') : 'none'));
        fill();
      } }, c.label));
    } else {
      th.textContent = c.label;
    }
    return th;
  });
  const text = (c: Column<R>, r: R): Child => (c.cell ? c.cell(r) : fmt(c.value(r)));
  function fill(): void {
    tbody.replaceChildren(...rows.map((r) => h('tr', o.rowAttrs?.(r) ?? null,
      o.columns.map((c, j) => (j === 0 ? h('th', { scope: 'row', class: c.numeric ? 'num' : undefined }, text(c, r))
                                       : h('td', { class: c.numeric ? 'num' : undefined }, text(c, r)))))));
  }
  fill();
  const tbl = h('table', { id, class: 'data' }, h('caption', { class: 'sr-only' }, o.caption), h('thead', null, h('tr', null, headCells)), tbody);
  if (!rows.length && o.empty) return h('div', null, o.empty);
  const exp = exportButtons(o.name, () => {
    const shown = [...tbody.rows].map((tr) => [...tr.cells].map((td) => (td.textContent ?? '').trim()));
    return {
      header: o.columns.map((c) => c.label),
      rows: shown,
      json: rows.map((r) => Object.fromEntries(o.columns.map((c) => [c.label, c.value(r)]))),
    };
  });
  return h('div', { class: 'table-wrap' }, h('div', { class: 'table-tools' }, exp), h('div', { class: 'scroll-x' }, tbl));
}

function fmt(v: string | number | null): string {
  if (v === null || v === undefined) return '–';
  return typeof v === 'number' ? String(v) : v;
}
