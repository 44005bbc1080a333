// #/login: the pluggable login page. The default provider stores a token (auth.js).

import { authProvider } from '../auth.js';
import { h, pageHeader } from '../dom.js';

export function renderLogin(main, ctx) {
  const next = ctx.query.get('next') || '#/clusters';
  const strategy = ctx.app.config.auth_strategy;
  main.append(
    pageHeader('Sign in'),
    h('p', { class: 'lead' }, strategy === 'noauth'
      ? 'This Dockyard runs without authentication. You can still set a token or a development identity for the API calls the dashboard makes.'
      : 'Paste a Keystone token. The dashboard sends it as X-Auth-Token and keeps it only for this browser tab.'));
  const slot = h('div', {});
  main.append(slot);
  authProvider().renderLogin(slot, {
    strategy,
    onDone: () => {
      ctx.refreshSession();
      location.hash = next.startsWith('#/') && !next.startsWith('#/login') ? next : '#/clusters';
    },
  });
}
