// Small DOM helpers. All text goes in through textContent/append, never innerHTML, so nothing
// the API returns (names, labels, error details) can inject markup.

export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = value;
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'value' && (tag === 'input' || tag === 'textarea' || tag === 'select')) el.value = value;
    else if (value === true) el.setAttribute(key, '');
    else el.setAttribute(key, String(value));
  }
  append(el, children);
  if (tag === 'textarea' && attrs && attrs.value !== undefined) el.value = attrs.value;
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

export function clear(el) {
  el.replaceChildren();
  return el;
}

// -- formatting -------------------------------------------------------------------------------
// Local time as YYYY-MM-DD HH:MM:SS: compact, sortable, unambiguous; the ISO value is the title.
export function fmtTime(iso) {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

export function timeEl(iso) {
  return iso ? h('time', { datetime: iso, title: iso }, fmtTime(iso)) : '—';
}

export function fmtDuration(ms) {
  if (!Number.isFinite(ms)) return '';
  const neg = ms < 0;
  let s = Math.round(Math.abs(ms) / 1000);
  const hours = Math.floor(s / 3600);
  s -= hours * 3600;
  const minutes = Math.floor(s / 60);
  s -= minutes * 60;
  const text = hours ? `${hours}h ${minutes}m` : minutes ? `${minutes}m ${s}s` : `${s}s`;
  return neg ? `-${text}` : text;
}

export function dash(value) {
  if (value === null || value === undefined || value === '') return '—';
  if (typeof value === 'boolean') return value ? 'Yes' : 'No';
  return String(value);
}

export function shortId(uuid) {
  return uuid ? uuid.slice(0, 8) : '';
}

// Status as text plus colour, never colour alone.
// live: false for a status in history (a timeline entry), which gets no spinner.
// kind: good, bad, busy, info or neutral, for resources whose statuses are not Magnum's.
export function statusBadge(status, { live = true, kind: given = null } = {}) {
  const s = status || 'UNKNOWN';
  let kind = given || 'neutral';
  if (!given) {
    if (s.endsWith('_IN_PROGRESS') || s === 'PENDING' || s === 'RUNNING') kind = 'busy';
    else if (s.endsWith('_FAILED') || s === 'FAILED') kind = 'bad';
    else if (s.endsWith('_COMPLETE') || s === 'COMPLETE') kind = 'good';
  }
  return h('span', { class: `badge ${kind}`, 'data-status': s }, kind === 'busy' && live ? h('span', { class: 'spinner', 'aria-hidden': 'true' }) : null, s);
}

export function healthBadge(health) {
  const s = health || 'UNKNOWN';
  const kind = s === 'HEALTHY' ? 'good' : s === 'UNHEALTHY' ? 'bad' : 'neutral';
  return h('span', { class: `badge ${kind}`, 'data-health': s }, s);
}

export const isBusy = (status) => Boolean(status && status.endsWith('_IN_PROGRESS'));

// -- building blocks --------------------------------------------------------------------------
export function errorBox(err, { context } = {}) {
  const status = err && err.status ? `HTTP ${err.status}` : null;
  return h('div', { class: 'error-box', role: 'alert' },
    h('p', { class: 'error-head' }, context || 'The request failed', status ? ` (${status})` : '', ':'),
    h('p', { class: 'error-detail' }, err && (err.detail || err.message) ? (err.detail || err.message) : String(err)),
    err && err.requestId ? h('p', { class: 'error-meta' }, 'Request ID: ', h('code', {}, err.requestId)) : null);
}

// An error box in `slot`, focused so that keyboard and screen-reader users land on it.
export function showError(slot, err, options) {
  const box = errorBox(err, options);
  box.setAttribute('tabindex', '-1');
  slot.replaceChildren(box);
  box.focus();
}

export function table({ caption, captionClass, columns, rows, empty = 'Nothing here yet.', rowAttrs }) {
  const thead = h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col', class: c.class ? c.class.replace('mono', '').trim() || null : null }, c.label))));
  const body = rows.length
    ? rows.map((row) => h('tr', rowAttrs ? rowAttrs(row) : {}, columns.map((c, i) => {
      const value = c.render ? c.render(row) : dash(row[c.key]);
      return i === 0 ? h('th', { scope: 'row', class: c.class }, value) : h('td', { class: c.class }, value);
    })))
    : [h('tr', {}, h('td', { colspan: columns.length, class: 'empty' }, empty))];
  return h('table', { class: 'data' }, caption ? h('caption', { class: captionClass }, caption) : null, thead, h('tbody', {}, body));
}

export function dl(pairs) {
  return h('dl', { class: 'props' }, pairs.filter(Boolean).map(([k, v]) => [h('dt', {}, k), h('dd', {}, v instanceof Node ? v : dash(v))]));
}

export function labelsTable(labels, caption = 'Labels') {
  const entries = Object.entries(labels || {});
  return table({
    caption,
    columns: [{ label: 'Key', key: 'k', class: 'mono' }, { label: 'Value', key: 'v', class: 'mono' }],
    rows: entries.map(([k, v]) => ({ k, v })),
    empty: 'No labels.',
  });
}

export function pageHeader(title, ...actions) {
  return h('div', { class: 'page-head' },
    h('h1', { tabindex: '-1', id: 'page-title' }, title),
    actions.length ? h('div', { class: 'actions' }, actions) : null);
}

export function button(label, onclick, { kind = 'secondary', ...attrs } = {}) {
  return h('button', { type: 'button', class: kind, onclick, ...attrs }, label);
}

// -- toasts -----------------------------------------------------------------------------------
export function toast(message, kind = 'info') {
  const box = document.getElementById('toasts');
  const item = h('div', { class: `toast ${kind}` }, message);
  box.append(item);
  setTimeout(() => item.remove(), 6000);
}

// -- dialogs (native <dialog>: focus is kept inside, Escape closes, focus returns after) -----
export function openDialog({ title, body, wide = false, onClose }) {
  const opener = document.activeElement;
  const id = `dlg-${Math.random().toString(36).slice(2, 8)}`;
  const dialog = h('dialog', { class: wide ? 'wide' : '', 'aria-labelledby': `${id}-title` });
  const close = () => dialog.close();
  const head = h('div', { class: 'dialog-head' },
    h('h2', { id: `${id}-title` }, title),
    h('button', { type: 'button', class: 'icon', 'aria-label': 'Close', onclick: close }, '×'));
  dialog.append(head, body);
  dialog.addEventListener('close', () => {
    dialog.remove();
    if (onClose) onClose();
    if (opener && opener.isConnected && typeof opener.focus === 'function') opener.focus();
  });
  document.body.append(dialog);
  dialog.showModal();
  const first = dialog.querySelector('[autofocus], input:not([type=hidden]), select, textarea');
  if (first) first.focus();
  return { dialog, close };
}

export function confirmDialog({ title, message, confirmLabel = 'Confirm', danger = false }) {
  return new Promise((resolve) => {
    let answer = false;
    const yes = h('button', { type: 'submit', class: danger ? 'danger' : 'primary', autofocus: true }, confirmLabel);
    const form = h('form', { method: 'dialog', class: 'form' },
      h('p', {}, message),
      h('div', { class: 'actions' }, yes, h('button', { type: 'button', class: 'secondary', onclick: () => d.close() }, 'Cancel')));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      answer = true;
      d.close();
    });
    const d = openDialog({ title, body: form, onClose: () => resolve(answer) });
    yes.focus();
  });
}

export function download(filename, data, type = 'application/octet-stream') {
  const blob = data instanceof Blob ? data : new Blob([data], { type });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: filename, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}
