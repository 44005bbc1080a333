// Boot and routing. Routes are hashes (#/clusters/<id>), so the server serves one page and the
// browser history works. Each view renders into <main> and returns a cleanup function (it
// stops that view's polling); focus moves to the new page's heading.

import { onUnauthorized } from './api.js';
import { authProvider } from './auth.js';
import { clear, errorBox, h } from './dom.js';
import { renderQuotas, renderServices, renderStats } from './views/admin.js';
import { renderCluster } from './views/cluster.js';
import { renderClusters } from './views/clusters.js';
import { renderContainer, renderContainers } from './views/containers.js';
import { renderLogin } from './views/login.js';
import { renderOverview } from './views/overview.js';
import { can, loadCapabilities } from './session.js';
import { renderTemplate, renderTemplates } from './views/templates.js';
import { renderVolume, renderVolumes } from './views/volumes.js';

export const app = { config: { auth_strategy: 'noauth' } };

const ROUTES = [
  [/^\/overview\/?$/, 'overview', () => renderOverview],
  [/^\/clusters\/?$/, 'clusters', () => renderClusters],
  [/^\/clusters\/([^/]+)$/, 'clusters', () => renderCluster],
  [/^\/templates\/?$/, 'templates', () => renderTemplates],
  [/^\/templates\/([^/]+)$/, 'templates', () => renderTemplate],
  [/^\/volumes\/?$/, 'volumes', () => renderVolumes],
  [/^\/volumes\/([^/]+)$/, 'volumes', () => renderVolume],
  [/^\/containers\/?$/, 'containers', () => renderContainers],
  [/^\/containers\/([^/]+)$/, 'containers', () => renderContainer],
  [/^\/admin\/quotas$/, 'quotas', () => renderQuotas],
  [/^\/admin\/stats$/, 'stats', () => renderStats],
  [/^\/admin\/services$/, 'services', () => renderServices],
  [/^\/login$/, 'login', () => renderLogin],
];

let cleanup = null;
// The caller's capabilities (session.js), reloaded when the identity changes; pages wait for it.
let capabilitiesReady = Promise.resolve(null);

function parseHash() {
  const raw = location.hash.replace(/^#/, '') || '/overview';
  const [path, query = ''] = raw.split('?');
  return { path, query: new URLSearchParams(query) };
}

// Reload what the caller may do, then redraw the top bar (the Admin menu is for admins).
function refreshSession() {
  const provider = authProvider();
  capabilitiesReady = app.config.auth_strategy === 'noauth' || provider.hasCredentials()
    ? loadCapabilities()
    : Promise.resolve(null);
  renderSession();
  capabilitiesReady.then(renderSession);
  return capabilitiesReady;
}

function renderSession() {
  const slot = document.getElementById('session');
  const provider = authProvider();
  const who = provider.describe();
  const admin = document.getElementById('nav-admin');
  admin.hidden = !(can('quota:get_all') || can('magnum-service:get_all'));
  clear(slot).append(...[
    h('span', { class: 'muted session-mode' }, app.config.auth_strategy === 'noauth' ? 'No authentication' : 'Keystone'),
    who ? h('span', { class: 'muted session-who', title: who }, who) : null,
    who
      ? h('button', { type: 'button', class: 'link', onclick: () => { provider.logout(); refreshSession().then(() => route()); } }, 'Sign out')
      : h('a', { href: '#/login' }, 'Sign in'),
  ].filter(Boolean));
}

// The Admin menu: a disclosure button; Escape or a click elsewhere closes it.
function setupAdminMenu() {
  const buttonEl = document.getElementById('admin-menu-button');
  const menu = document.getElementById('admin-menu');
  const set = (open) => {
    buttonEl.setAttribute('aria-expanded', String(open));
    menu.hidden = !open;
  };
  buttonEl.addEventListener('click', () => set(menu.hidden));
  menu.addEventListener('click', (ev) => { if (ev.target.closest('a')) set(false); });
  document.addEventListener('click', (ev) => { if (!ev.target.closest('#nav-admin')) set(false); });
  document.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape' && !menu.hidden) {
      set(false);
      buttonEl.focus();
    }
  });
}

// focus: move focus to the new page's heading (after navigation, not on the first load, where
// the browser's own start - the skip link - is the right first stop).
async function route(focus = true) {
  if (cleanup) {
    try { cleanup(); } catch { /* a view's cleanup never blocks navigation */ }
    cleanup = null;
  }
  const { path, query } = parseHash();
  await capabilitiesReady;
  const main = document.getElementById('main');
  clear(main);
  if (app.config.auth_strategy !== 'noauth' && path !== '/login' && !authProvider().hasCredentials()) {
    location.hash = `#/login?next=${encodeURIComponent(`#${path}`)}`;
    return;
  }
  let match = null;
  for (const [re, nav, view] of ROUTES) {
    const m = path.match(re);
    if (m) {
      match = { nav, view: view(), params: m.slice(1).map(decodeURIComponent) };
      break;
    }
  }
  for (const a of document.querySelectorAll('a[data-nav]')) {
    if (match && a.dataset.nav === match.nav) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  const inAdmin = Boolean(match && ['quotas', 'stats', 'services'].includes(match.nav));
  document.getElementById('admin-menu-button').classList.toggle('current', inAdmin);
  if (!match) {
    main.append(h('h1', { tabindex: '-1', id: 'page-title' }, 'Not found'), h('p', {}, 'There is no page at ', h('code', {}, path), '. ', h('a', { href: '#/clusters' }, 'Go to clusters'), '.'));
    focusTitle(focus);
    return;
  }
  const ctx = { query, params: match.params, app, refreshSession };
  try {
    cleanup = (await match.view(main, ctx)) || null;
  } catch (err) {
    main.append(errorBox(err, { context: 'Could not load this page' }));
  }
  focusTitle(focus);
  // Which route has finished rendering: tests (and scripts) wait on it.
  document.documentElement.dataset.route = location.hash;
}

function focusTitle(focus) {
  const title = document.getElementById('page-title');
  if (!title) return;
  document.title = `${title.textContent} · Dockyard`;
  if (focus && !document.querySelector('dialog[open]')) title.focus({ preventScroll: true });
}

async function boot() {
  try {
    const response = await fetch(new URL('config.json', document.baseURI), { cache: 'no-store' });
    if (response.ok) app.config = await response.json();
  } catch {
    // keep defaults: the API calls will report what is wrong
  }
  onUnauthorized(() => {
    if (!location.hash.startsWith('#/login')) {
      location.hash = `#/login?next=${encodeURIComponent(location.hash || '#/clusters')}`;
    }
  });
  setupAdminMenu();
  await refreshSession();
  window.addEventListener('hashchange', () => route(true));
  await route(false);
  document.documentElement.dataset.ready = 'true';
}

boot();
