// Authentication for the dashboard's API calls, pluggable.
//
// Every API call asks the current provider for its headers. The default provider is a stub:
// the login page (#/login) stores a token that is then sent as X-Auth-Token, and, for noauth
// development servers only, optional X-Project-Id / X-Roles identity headers. A Keystone login
// can replace it with setAuthProvider({headers, renderLogin, logout, describe}) without touching
// the views (docs/dashboard.md). Tokens live in sessionStorage: they end with the browser tab.

import { h } from './dom.js';

const STORE = 'dockyard.auth';

function load() {
  try {
    return JSON.parse(sessionStorage.getItem(STORE) || '{}') || {};
  } catch {
    return {};
  }
}

function save(value) {
  if (value && Object.keys(value).length) sessionStorage.setItem(STORE, JSON.stringify(value));
  else sessionStorage.removeItem(STORE);
}

export const tokenStubProvider = {
  name: 'token',
  headers() {
    const s = load();
    const headers = {};
    if (s.token) headers['X-Auth-Token'] = s.token;
    if (s.projectId) headers['X-Project-Id'] = s.projectId;
    if (s.roles) headers['X-Roles'] = s.roles;
    return headers;
  },
  hasCredentials() {
    return Boolean(load().token);
  },
  describe() {
    const s = load();
    if (s.token) return 'token set';
    if (s.projectId || s.roles) return `project ${s.projectId || 'default'}, roles ${s.roles || 'default'}`;
    return null;
  },
  logout() {
    save({});
  },
  renderLogin(container, { strategy, onDone }) {
    const s = load();
    const token = h('input', { id: 'login-token', name: 'token', type: 'password', autocomplete: 'off', value: s.token || '' });
    const project = h('input', { id: 'login-project', name: 'project', value: s.projectId || '' });
    const roles = h('input', { id: 'login-roles', name: 'roles', value: s.roles || '', placeholder: 'admin,member,reader' });
    const form = h('form', { class: 'card form', novalidate: true },
      h('div', { class: 'field' },
        h('label', { for: 'login-token' }, 'Token'),
        token,
        h('p', { class: 'hint' }, 'Sent as the X-Auth-Token header on every API call. ',
          strategy === 'keystone' ? 'Get one with: openstack token issue -f value -c id'
            : 'This server runs without authentication (noauth), so a token is optional.')),
      strategy === 'noauth' ? h('fieldset', {},
        h('legend', {}, 'noauth identity (development servers only)'),
        h('div', { class: 'field' }, h('label', { for: 'login-project' }, 'Project ID'), project,
          h('p', { class: 'hint' }, 'Sent as X-Project-Id. Empty: the server default.')),
        h('div', { class: 'field' }, h('label', { for: 'login-roles' }, 'Roles'), roles,
          h('p', { class: 'hint' }, 'Comma-separated, sent as X-Roles. Empty: the server default.'))) : null,
      h('div', { class: 'actions' },
        h('button', { type: 'submit', class: 'primary' }, 'Save and continue'),
        h('button', { type: 'button', class: 'secondary', onclick: () => { save({}); onDone(); } }, 'Clear')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      save({
        ...(token.value.trim() ? { token: token.value.trim() } : {}),
        ...(project.value.trim() ? { projectId: project.value.trim() } : {}),
        ...(roles.value.trim() ? { roles: roles.value.trim() } : {}),
      });
      onDone();
    });
    container.append(form);
    token.focus();
  },
};

let provider = tokenStubProvider;

export function setAuthProvider(p) {
  provider = p;
}

export function authProvider() {
  return provider;
}

export function authHeaders() {
  return provider.headers();
}
