// dom.js — the few DOM helpers the pages share: an element builder that never parses HTML
// (text goes in as text, so nothing from the API can inject markup), accessible data tables,
// KPI cards, empty states and sections with a heading.
import { t } from './i18n.js';

/** h('div', {class: 'x', onclick: f}, child, 'text', …) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

/** A table with a caption, column headers and rows of cells (strings or nodes). */
export function table(caption, headers, rows, id) {
  return h('div', { class: 'table-wrap' },
    h('table', { id },
      h('caption', {}, caption),
      h('thead', {}, h('tr', {}, headers.map((x) => h('th', { scope: 'col' }, x)))),
      h('tbody', {}, rows.map((r) => h('tr', {}, r.map((c, i) => (i === 0 ? h('th', { scope: 'row' }, c) : h('td', {}, c))))))));
}

export function section(title, ...body) {
  const id = `s-${Math.random().toString(36).slice(2, 9)}`;
  return h('section', { class: 'panel', 'aria-labelledby': id }, h('h2', { id }, title), ...body);
}

/** A chart container; the page calls chart() on it once it is in the document. */
export function chartBox(id, tall = false) {
  return h('div', { id, class: tall ? 'chart tall' : 'chart' });
}

export function empty(message) {
  return h('p', { class: 'empty', role: 'status' }, message);
}

export function loading() {
  return h('p', { class: 'loading', role: 'status' }, h('span', { class: 'spinner', 'aria-hidden': 'true' }), t('loading'));
}
