// main.js — the dashboard shell: navigation between pages (#/page?from=…&to=…&channel=…, so a
// view can be bookmarked and the back button works), the filter bar every page obeys, the
// language switch (re-renders from the data already loaded, no refetch), sign-in with an API
// key, and the page lifecycle: one request per page view, aborted when the user moves on, a
// progress line while the server computes, the error or empty state when it fails.
import { get, AuthError, apiKey, setApiKey } from './api.js';
import { disposeAll } from './charts.js';
import { h, loading } from './dom.js';
import { t, getLang, setLang, onLangChange } from './i18n.js';
import overview from './pages/overview.js';
import trends from './pages/trends.js';
import segments from './pages/segments.js';
import lifecycle from './pages/lifecycle.js';
import cohorts from './pages/cohorts.js';
import tiers from './pages/tiers.js';
import value from './pages/value.js';
import churn from './pages/churn.js';
import member from './pages/member.js';

const PAGES = [overview, trends, segments, lifecycle, cohorts, tiers, value, churn, member];
const $ = (id) => document.getElementById(id);

const state = { meta: null, page: null, params: {}, data: null, ctl: null };

function parseHash() {
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
  const page = PAGES.find((p) => p.id === path) || overview;
  return { page, params: Object.fromEntries(new URLSearchParams(query || '')) };
}

function go(page, params) {
  const q = new URLSearchParams(Object.entries(params).filter(([, v]) => v !== undefined && v !== ''));
  location.hash = `#/${page.id}${q.toString() ? `?${q}` : ''}`;
}

function renderChrome() {
  document.title = t('title');
  $('app-title').textContent = t('title');
  $('lang-label').textContent = t('language');
  $('lang-select').value = getLang();
  $('api-key-label').textContent = t('apiKey');
  $('login-btn').textContent = t('signIn');
  $('nav').setAttribute('aria-label', t('pages'));
  $('filters').setAttribute('aria-label', t('filters'));
  document.querySelector('.skip').textContent = t('skip');
  const nav = $('nav');
  nav.replaceChildren(...PAGES.map((p) => h('a', {
    href: `#/${p.id}${location.hash.includes('?') ? `?${location.hash.split('?')[1]}` : ''}`,
    id: `nav-${p.id}`,
    'aria-current': state.page === p ? 'page' : null,
  }, t(`nav.${p.id}`))));
  renderFilters();
}

function renderFilters() {
  const f = $('filters');
  const uses = state.page?.filters || [];
  const m = state.meta;
  if (!m || !uses.length) {
    f.replaceChildren();
    f.hidden = true;
    return;
  }
  f.hidden = false;
  const p = { ...defaults(), ...state.params };
  const field = (id, label, input) => h('span', { class: 'field' }, h('label', { for: id }, label), input);
  const kids = [];
  if (uses.includes('from')) kids.push(field('f-from', t('from'), h('input', { id: 'f-from', type: 'date', value: p.from, required: true })));
  if (uses.includes('to')) kids.push(field('f-to', t('to'), h('input', { id: 'f-to', type: 'date', value: p.to, required: true })));
  if (uses.includes('channel')) {
    kids.push(field('f-channel', t('channel'), h('select', { id: 'f-channel' },
      h('option', { value: '' }, t('allChannels')),
      m.channels.map((c) => h('option', { value: c, selected: c === p.channel }, c || '—')))));
  }
  kids.push(h('button', { type: 'submit', id: 'f-apply' }, t('apply')));
  f.replaceChildren(...kids);
}

function defaults() {
  return state.meta ? { from: state.meta.default_from, to: state.meta.default_to } : {};
}

async function load() {
  const { page } = parseHash();
  // a private query (a phone or email search) is used once and never put in the URL, so it
  // stays out of the browser's history
  const params = state.private ? { ...parseHash().params, ...state.private } : parseHash().params;
  state.private = null;
  state.page = page;
  state.params = params;
  state.data = null;
  state.ctl?.abort();
  const ctl = new AbortController();
  state.ctl = ctl;
  disposeAll();
  renderChrome();
  const main = $('page');
  main.replaceChildren(h('h2', { class: 'page-title' }, t(`nav.${page.id}`)), loading());
  main.setAttribute('aria-busy', 'true');
  try {
    if (!apiKey()) throw new AuthError('no key yet'); // ask first rather than collect a 401
    if (!state.meta) {
      state.meta = await get('meta', {}, ctl.signal);
      renderChrome();
    }
    const data = await page.load({ ...defaults(), ...params }, ctl.signal, state.meta);
    if (ctl.signal.aborted) return;
    state.data = data;
    render();
  } catch (e) {
    if (ctl.signal.aborted || e.name === 'AbortError') return;
    main.removeAttribute('aria-busy');
    if (e instanceof AuthError) {
      $('login').hidden = false;
      main.replaceChildren(h('p', { class: 'empty', role: 'status' }, t('needKey')));
      $('api-key').focus();
      return;
    }
    main.replaceChildren(h('p', { class: 'error', role: 'alert' }, t('error'), e.message, ' ',
      h('button', { type: 'button', onclick: load }, t('retry'))));
  }
}

function render() {
  disposeAll();
  const main = $('page');
  main.removeAttribute('aria-busy');
  main.replaceChildren(h('h2', { class: 'page-title' }, t(`nav.${state.page.id}`)));
  const ctx = {
    meta: state.meta,
    params: { ...defaults(), ...state.params },
    go: (params) => go(state.page, { ...state.params, ...params }),
    goPrivate: (params) => {
      state.private = params;
      load();
    },
    reload: load,
  };
  state.page.render(main, state.data, ctx);
  document.body.dataset.ready = state.page.id; // the browser test waits for this
}

$('filters').addEventListener('submit', (e) => {
  e.preventDefault();
  const p = { ...state.params };
  for (const [k, id] of [['from', 'f-from'], ['to', 'f-to'], ['channel', 'f-channel']]) {
    const el = $(id);
    if (el) p[k] = el.value;
  }
  go(state.page, p);
});

$('login').addEventListener('submit', (e) => {
  e.preventDefault();
  setApiKey($('api-key').value.trim());
  $('login').hidden = true;
  load();
});

$('lang-select').addEventListener('change', (e) => setLang(e.target.value));
onLangChange(() => {
  renderChrome();
  if (state.data) render();
});

addEventListener('hashchange', load);
document.documentElement.lang = getLang();
if (!apiKey()) $('login').hidden = false;
load();
