// Containers (Dockyard extension, /v1/containers) on the container host: the list, one container
// with its command, environment, mounts (linked to their volumes) and logs, the create dialog
// (a volume by name, created when new, or a list of mounts), start, stop and delete.

import { api, enc, listAll } from '../api.js';
import { button, confirmDialog, dash, dl, errorBox, fmtTime, h, openDialog, pageHeader, showError, statusBadge, table, timeEl, toast } from '../dom.js';
import { dialogForm, field, setError, validate } from '../forms.js';
import { POLL_BUSY_MS, POLL_IDLE_MS, poller } from './clusters.js';
import { checkVolumeName, volumeBadge } from './volumes.js';
import { listView } from '../lib/listview.js';
import { can } from '../session.js';

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const KINDS = { Creating: 'busy', Deleting: 'busy', Running: 'good', Error: 'bad' };
export const containerBadge = (status) => statusBadge(status, { kind: KINDS[status] || 'neutral' });
const transient = (status) => status === 'Creating' || status === 'Deleting';
const DEFAULT_TAIL = '200';

// The command as one line that splits back into the same arguments the way the API splits a
// command string (POSIX shell quoting, Python's shlex: no expansion of $ or `).
export function shellJoin(args) {
  const quote = (a) => {
    if (/^[\w@%+=:,./-]+$/.test(a)) return a;
    if (!a.includes("'")) return `'${a}'`;
    return `"${a.replace(/(["\\])/g, '\\$1')}"`;
  };
  return (args || []).map(quote).join(' ');
}

// KEY=value, one per line (the value may hold "=" and spaces); a key given twice is an error.
export function parseEnvironment(text) {
  const environment = {};
  const errors = [];
  for (const line of String(text || '').split('\n')) {
    if (!line.trim()) continue;
    const eq = line.indexOf('=');
    const key = eq > 0 ? line.slice(0, eq).trim() : '';
    if (!key) errors.push(`Environment lines must be NAME=value, not "${line.trim()}".`);
    else if (key in environment) errors.push(`${key} is given twice.`);
    else environment[key] = line.slice(eq + 1);
  }
  return { environment, error: errors.length ? errors.join(' ') : null };
}

// Mounts as `docker run -v` writes them: source:/destination[:ro], one per line. A source
// starting with "/" is a host directory (bind), anything else a Dockyard volume (name or ID).
export function parseMounts(text) {
  const mounts = [];
  const errors = [];
  for (const raw of String(text || '').split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const parts = line.split(':');
    const [source, destination, mode] = parts;
    if (parts.length < 2 || parts.length > 3 || !source || !destination) errors.push(`Mounts must be source:/destination or source:/destination:ro, not "${line}".`);
    else if (!destination.startsWith('/')) errors.push(`The destination of "${line}" must be an absolute path.`);
    else if (mode !== undefined && mode !== 'ro' && mode !== 'rw') errors.push(`The mode of "${line}" must be ro or rw.`);
    else mounts.push({ source, destination, type: source.startsWith('/') ? 'bind' : 'volume', read_only: mode === 'ro' });
  }
  if (!errors.length && new Set(mounts.map((m) => m.destination)).size !== mounts.length) errors.push('Two mounts share one destination.');
  return { mounts, error: errors.length ? errors.join(' ') : null };
}

const STORAGE = [
  ['none', 'No volume'],
  ['volume', 'One volume, by name (created when it does not exist)'],
  ['mounts', 'Mounts (existing volumes or allowed host directories)'],
];

export async function openCreateContainerDialog({ volumeName = '' } = {}) {
  let volumes = [];
  try {
    volumes = await listAll('/v1/volumes', 'volumes');
  } catch {
    // the list is only a suggestion for the volume name
  }
  const listId = `vol-names-${Math.random().toString(36).slice(2, 8)}`;
  const byName = new Map(volumes.map((v) => [v.name, v]));
  const name = field({ name: 'name', label: 'Name', hint: 'Letters, digits, "_", "." and "-". Empty: a name is generated.',
    validate: (v) => (v.trim() && !NAME_RE.test(v.trim()) ? 'Name must start with a letter or digit and use only letters, digits, "_", "." and "-".' : v.trim().length > 255 ? 'Name must be at most 255 characters.' : null) });
  const image = field({ name: 'image', label: 'Image', placeholder: 'dockyard/busybox:1', hint: 'An image on the container host (nothing is pulled). Empty: the server\'s default image.' });
  const command = field({ name: 'command', label: 'Command', placeholder: "sh -c 'echo hello > /data/hello; sleep 600'", hint: 'Split into arguments as a shell would; no shell runs it. Empty: the image\'s own command.' });
  const environment = field({ name: 'environment', label: 'Environment', type: 'textarea', rows: 3, placeholder: 'NAME=value, one per line',
    hint: 'One NAME=value per line.', validate: (v) => parseEnvironment(v).error });
  const volName = field({ name: 'vol_name', label: 'Volume name', required: true, list: listId, value: volumeName, validate: checkVolumeName,
    hint: 'An existing volume is attached; a new name is created with the size below.' });
  const volSize = field({ name: 'vol_size', label: 'Size of a new volume (GiB)', type: 'number', min: 1,
    validate: (v, values) => (!v && !byName.has(values.vol_name.trim()) ? `Volume ${values.vol_name.trim()} does not exist: give a size to create it.` : null) });
  const volDest = field({ name: 'vol_destination', label: 'Mounted at', value: '/data', required: true,
    validate: (v) => (v.trim().startsWith('/') ? null : 'Mounted at must be an absolute path.') });
  const mounts = field({ name: 'mounts', label: 'Mounts', type: 'textarea', rows: 3, required: true, placeholder: 'volume-name:/data\n/srv/shared/in:/in:ro',
    hint: 'source:/destination[:ro], one per line. A source starting with "/" is a host directory (the operator must allow it).', validate: (v) => parseMounts(v).error });
  const start = field({ name: 'start', label: 'Start it now', type: 'checkbox', value: true });

  const radios = STORAGE.map(([value, label]) => {
    const id = `storage-${value}-${listId}`;
    const input = h('input', { type: 'radio', name: 'storage', id, value, checked: value === (volumeName ? 'volume' : 'none') });
    return { value, input, wrapper: h('div', { class: 'field check' }, input, h('label', { for: id }, label)) };
  });
  const volumeGroup = h('div', { class: 'grid' }, volName.wrapper, volSize.wrapper, volDest.wrapper,
    h('datalist', { id: listId }, volumes.map((v) => h('option', { value: v.name }, `${v.size} GiB, ${v.status}`))));
  const mode = () => radios.find((r) => r.input.checked).value;
  const showStorage = () => {
    volumeGroup.hidden = mode() !== 'volume';
    mounts.wrapper.hidden = mode() !== 'mounts';
  };
  radios.forEach((r) => r.input.addEventListener('change', showStorage));
  showStorage();
  const storage = h('fieldset', {}, h('legend', {}, 'Storage'), radios.map((r) => r.wrapper), volumeGroup, mounts.wrapper);

  let dlg;
  const form = dialogForm({
    fields: [name, image, command, environment, storage, start],
    submitLabel: 'Create container',
    onCancel: () => dlg.close(),
    onSubmit: async () => {
      const chosen = mode();
      const checked = [name, image, command, environment, ...(chosen === 'volume' ? [volName, volSize, volDest] : chosen === 'mounts' ? [mounts] : [])];
      for (const f of [volName, volSize, volDest, mounts]) setError(f, null);
      const { ok, values } = validate(checked);
      if (!ok) return;
      const body = { start: start.input.checked };
      for (const key of ['name', 'image', 'command']) if (values[key].trim()) body[key] = values[key].trim();
      const env = parseEnvironment(values.environment).environment;
      if (Object.keys(env).length) body.environment = env;
      if (chosen === 'volume') {
        body.vol_name = values.vol_name.trim();
        if (values.vol_size) body.vol_size = Number(values.vol_size);
        body.vol_destination = values.vol_destination.trim();
      } else if (chosen === 'mounts') {
        body.mounts = parseMounts(values.mounts).mounts;
      }
      const created = await api.post('/v1/containers', body);
      dlg.close();
      if (created.status === 'Error') toast(`Container ${created.name} is in status Error: ${created.status_reason || 'no reason given'}`);
      else toast(`Container ${created.name} created: ${created.status}.`, 'good');
      location.hash = `#/containers/${enc(created.uuid)}`;
    },
  });
  dlg = openDialog({ title: 'Create container', body: form, wide: true });
  return dlg;
}

export async function renderContainers(main) {
  const errorSlot = h('div', { id: 'page-error' });
  const listError = h('div', {});
  const updated = h('p', { class: 'muted small', 'aria-live': 'off' });
  let stop = null;
  const poke = () => stop && stop.poke();
  const canDelete = can('container:delete');
  const running = (c) => (c.status === 'Running' ? 'Running: stop it first, or delete it from its page (force)' : null);
  const remove = (c) => api.delete(`/v1/containers/${enc(c.uuid)}`);
  const list = listView({
    noun: 'containers',
    rowKey: (c) => c.uuid,
    rowAttrs: (c) => ({ 'data-container': c.name }),
    empty: 'No containers yet.',
    search: (c) => [c.name, c.uuid, c.image, c.status, c.host, c.cluster_id].join(' '),
    filter: { label: 'Status', value: (c) => c.status },
    initialSort: { index: 0, dir: 'asc' },
    bulkDelete: canDelete ? { name: (c) => c.name, run: remove, disabled: running, onDone: poke } : null,
    columns: [
      { label: 'Name', sort: (c) => c.name, render: (c) => h('a', { href: `#/containers/${enc(c.uuid)}`, 'data-focus-key': `link-${c.uuid}` }, c.name) },
      { label: 'Image', key: 'image', class: 'mono' },
      { label: 'Status', sort: (c) => c.status, render: (c) => h('div', {}, containerBadge(c.status), c.status_reason && c.status_reason.toLowerCase() !== c.status.toLowerCase() ? h('div', { class: 'reason' }, c.status_reason) : null) },
      { label: 'Host / cluster', sort: (c) => c.cluster_id || c.host, render: (c) => (c.cluster_id ? h('a', { href: `#/clusters/${enc(c.cluster_id)}` }, c.cluster_id) : dash(c.host)) },
      { label: 'Created', key: 'created_at', render: (c) => timeEl(c.created_at) },
      ...(canDelete ? [{ label: 'Actions', class: 'row-actions', render: (c) => h('div', { class: 'actions' }, button('Delete', async () => {
        if (!(await confirmDialog({ title: 'Delete container', message: `Delete container ${c.name}? Its volumes stay.`, confirmLabel: 'Delete container', danger: true }))) return;
        try {
          await remove(c);
          toast(`Container ${c.name} deleted.`, 'good');
          poke();
        } catch (err) {
          errorSlot.replaceChildren(errorBox(err, { context: `Could not delete container ${c.name}` }));
        }
      }, { kind: 'danger', 'aria-label': `Delete container ${c.name}`, disabled: Boolean(running(c)), title: running(c) })) }] : []),
    ],
  });
  main.append(
    pageHeader('Containers', can('container:create') ? button('Create container', () => openCreateContainerDialog(), { kind: 'primary' }) : null),
    h('p', { class: 'lead' }, 'Single containers on Dockyard\'s container host.'),
    errorSlot, listError, list.element, updated);
  let lastSignature = null;
  const tick = async () => {
    let containers;
    try {
      containers = await listAll('/v1/containers', 'containers');
      listError.replaceChildren();
    } catch (err) {
      listError.replaceChildren(errorBox(err, { context: 'Could not list containers' }));
      return true;
    }
    const signature = JSON.stringify(containers);
    if (signature !== lastSignature) list.update(containers);
    lastSignature = signature;
    const busy = containers.some((c) => transient(c.status));
    updated.textContent = `Updated ${fmtTime(new Date().toISOString())}; refreshes every ${(busy ? POLL_BUSY_MS : POLL_IDLE_MS) / 1000} s.`;
    return busy;
  };
  await tick();
  stop = poller(tick);
  return stop;
}

// The logs panel: the last N lines (empty: all), refreshed on demand and, while the container
// runs and "Follow" is on, with every poll.
function logsPanel(uuid) {
  const out = h('pre', { class: 'code logs', id: 'container-logs', tabindex: '0', 'aria-label': 'Container output' });
  const status = h('div', {});
  const tail = field({ name: 'tail', label: 'Last lines', type: 'number', min: 0, value: DEFAULT_TAIL, hint: 'Empty: every line.' });
  const follow = field({ name: 'follow', label: 'Follow while running', type: 'checkbox', value: true });
  let loading = false;
  const load = async () => {
    if (loading) return;
    const { ok, values } = validate([tail]);
    if (!ok) return;
    loading = true;
    try {
      const query = values.tail === '' ? '' : `?tail=${enc(values.tail)}`;
      const body = await api.get(`/v1/containers/${enc(uuid)}/logs${query}`);
      out.textContent = body.logs || '';
      out.dataset.empty = String(!body.logs);
      status.replaceChildren(h('p', { class: 'muted small' }, body.logs ? `Read ${fmtTime(new Date().toISOString())}.` : `No output yet (read ${fmtTime(new Date().toISOString())}).`));
      out.scrollTop = out.scrollHeight;
    } catch (err) {
      status.replaceChildren(errorBox(err, { context: 'Could not read the logs' }));
    } finally {
      loading = false;
    }
  };
  const form = h('form', { class: 'inline-form', novalidate: true }, tail.wrapper, follow.wrapper, h('button', { type: 'submit', class: 'secondary' }, 'Refresh logs'));
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  const section = h('section', { class: 'card', 'aria-labelledby': 'logs-h' }, h('h2', { id: 'logs-h' }, 'Logs'), form, status, out);
  return { section, load, following: () => follow.input.checked };
}

export async function renderContainer(main, ctx) {
  const [ident] = ctx.params;
  let container = await api.get(`/v1/containers/${enc(ident)}`);
  const uuid = container.uuid;
  const volumes = new Map();
  const title = h('h1', { tabindex: '-1', id: 'page-title' }, `Container ${container.name}`);
  const pageError = h('div', { id: 'page-error' });
  const refreshError = h('div', {});
  const statusPanel = h('section', { class: 'card status-panel', 'aria-label': 'Status' });
  const body = h('div', {});
  const logs = logsPanel(uuid);
  let stop = null;
  const act = (action, call) => async () => {
    pageError.replaceChildren();
    try {
      container = await call();
      toast(`Container ${container.name}: ${container.status}.`, 'good');
      renderStatus();
      logs.load();
      if (stop) stop.poke();
    } catch (err) {
      showError(pageError, err, { context: `Could not ${action} container ${container.name}` });
    }
  };
  const startBtn = button('Start', act('start', () => api.post(`/v1/containers/${enc(uuid)}/start`)));
  const stopBtn = button('Stop', act('stop', () => api.post(`/v1/containers/${enc(uuid)}/stop`)));
  const deleteBtn = button('Delete', async () => {
    const running = container.status === 'Running';
    const ok = await confirmDialog({
      title: 'Delete container',
      message: running
        ? `Container ${container.name} is running. Delete it anyway? It is stopped and removed (force). Its volumes stay.`
        : `Delete container ${container.name}? Its volumes stay.`,
      confirmLabel: running ? 'Stop and delete' : 'Delete container',
      danger: true,
    });
    if (!ok) return;
    try {
      const query = running ? '?force=true' : '';
      await api.delete(`/v1/containers/${enc(uuid)}${query}`);
      toast(`Container ${container.name} deleted.`, 'good');
      location.hash = '#/containers';
    } catch (err) {
      showError(pageError, err, { context: `Could not delete container ${container.name}` });
    }
  }, { kind: 'danger' });
  main.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/containers' }, 'Containers'), ' / ', container.name),
    h('div', { class: 'page-head' }, title, h('div', { class: 'actions' }, startBtn, stopBtn, deleteBtn)),
    pageError, refreshError, statusPanel, body, logs.section);

  function renderStatus() {
    statusPanel.replaceChildren(...[
      h('div', { class: 'status-line' }, h('span', { class: 'label' }, 'Status'), containerBadge(container.status)),
      container.status_reason && container.status_reason.toLowerCase() !== container.status.toLowerCase()
        ? h('p', { class: 'reason' }, container.status_reason) : null,
    ].filter(Boolean));
    startBtn.disabled = !['Created', 'Stopped', 'Error'].includes(container.status);
    stopBtn.disabled = container.status !== 'Running';
    deleteBtn.disabled = container.status === 'Creating' || container.status === 'Deleting';
  }

  function mountSource(m) {
    if (m.type !== 'volume') return h('code', {}, m.source);
    const v = volumes.get(m.source);
    if (v === null) return h('span', {}, h('code', {}, m.source), ' (deleted)');
    return h('span', {}, h('a', { href: `#/volumes/${enc(m.source)}`, 'data-focus-key': `vol-${m.source}` }, v ? v.name : m.source), v ? [' ', volumeBadge(v.status)] : null);
  }

  function renderBody() {
    const keep = body.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;
    const env = Object.entries(container.environment || {}).map(([k, v]) => ({ k, v }));
    body.replaceChildren(
      h('div', { class: 'columns' },
        h('section', { class: 'card', 'aria-labelledby': 'c-ov' }, h('h2', { id: 'c-ov' }, 'Overview'), dl([
          ['ID', h('code', {}, uuid)], ['Name', container.name], ['Image', h('code', {}, container.image)],
          ['Command', container.command && container.command.length ? h('code', { 'data-command': '' }, shellJoin(container.command)) : 'The image\'s own'],
          ['Host', container.host], ['Cluster', container.cluster_id],
          ['Project', container.project_id], ['User', container.user_id],
          ['Created', timeEl(container.created_at)], ['Updated', timeEl(container.updated_at)],
        ])),
        h('div', {},
          h('section', { class: 'card', 'aria-labelledby': 'c-env' }, h('h2', { id: 'c-env' }, 'Environment'), table({
            columns: [{ label: 'Name', key: 'k', class: 'mono' }, { label: 'Value', key: 'v', class: 'mono' }],
            rows: env,
            empty: 'No environment variables.',
          })),
          h('section', { class: 'card', 'aria-labelledby': 'c-mounts' }, h('h2', { id: 'c-mounts' }, 'Mounts'), table({
            columns: [
              { label: 'Destination', render: (m) => h('code', {}, m.destination) },
              { label: 'Type', key: 'type' },
              { label: 'Source', render: mountSource },
              { label: 'Read-only', render: (m) => dash(Boolean(m.read_only)) },
            ],
            rows: container.mounts || [],
            rowAttrs: (m) => ({ 'data-mount': m.destination }),
            empty: 'No mounts.',
          })))));
    if (keep) body.querySelector(`[data-focus-key="${CSS.escape(keep)}"]`)?.focus();
  }

  // Each mounted volume's name and status; null for one that is gone.
  async function loadVolumes() {
    const ids = (container.mounts || []).filter((m) => m.type === 'volume').map((m) => m.source);
    await Promise.all(ids.map(async (id) => {
      try {
        const v = await api.get(`/v1/volumes/${enc(id)}`);
        volumes.set(id, { name: v.name, status: v.status });
      } catch (err) {
        if (err.status === 404) volumes.set(id, null);
      }
    }));
  }

  let gone = false;
  let lastSignature = null;
  const tick = async () => {
    if (gone) return false;
    const before = container.status;
    try {
      container = await api.get(`/v1/containers/${enc(uuid)}`);
      await loadVolumes();
      refreshError.replaceChildren();
    } catch (err) {
      if (err.status === 404) {
        gone = true;
        statusPanel.replaceChildren(h('p', { role: 'status' }, 'This container no longer exists. ', h('a', { href: '#/containers' }, 'Back to containers'), '.'));
        [startBtn, stopBtn, deleteBtn].forEach((b) => { b.disabled = true; });
        return false;
      }
      refreshError.replaceChildren(errorBox(err, { context: 'Could not refresh this container' }));
      return true;
    }
    renderStatus();
    const signature = JSON.stringify([container, [...volumes]]);
    if (signature !== lastSignature) renderBody();
    lastSignature = signature;
    if (container.status !== before || (container.status === 'Running' && logs.following())) logs.load();
    // A running container can exit at any moment, and its logs grow: poll it quickly.
    return transient(container.status) || container.status === 'Running';
  };
  await loadVolumes();
  renderStatus();
  renderBody();
  lastSignature = JSON.stringify([container, [...volumes]]);
  await logs.load();
  stop = poller(tick);
  return stop;
}
