// Volumes (Dockyard extension, /v1/volumes): the list, one volume with its attachments and the
// containers that mount it, create, rename, grow (a JSON patch, as the API takes it) and delete.
// Both pages poll, quickly while a volume is being created or deleted.

import { api, enc, listAll } from '../api.js';
import { button, confirmDialog, dash, dl, errorBox, fmtTime, h, openDialog, pageHeader, showError, statusBadge, table, timeEl, toast } from '../dom.js';
import { dialogForm, field, validate } from '../forms.js';
import { POLL_BUSY_MS, POLL_IDLE_MS, poller } from './clusters.js';
import { containerBadge, openCreateContainerDialog } from './containers.js';
import { app } from '../main.js';
import { listView } from '../lib/listview.js';
import { can } from '../session.js';

// Docker's rule for volume names (the API's too), and what the API would take for a uuid.
const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;
const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// The volume drivers the server takes ([volume] enabled_drivers, from /ui/config.json).
const drivers = () => app.config.volume_drivers || ['local'];

const KINDS = { creating: 'busy', deleting: 'busy', available: 'good', 'in-use': 'info', error: 'bad' };
export const volumeBadge = (status) => statusBadge(status, { kind: KINDS[status] || 'neutral' });
export const volumeBusy = (status) => status === 'creating' || status === 'deleting';

export function checkVolumeName(v) {
  const name = v.trim();
  if (!name) return null;
  if (name.length > 255) return 'Name must be at most 255 characters.';
  if (!NAME_RE.test(name)) return 'Name must start with a letter or digit and use only letters, digits, "_", "." and "-".';
  if (UUID_RE.test(name)) return 'Name must not be a UUID.';
  return null;
}

export function fmtBytes(n) {
  if (n === null || n === undefined) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = Number(n);
  let i = 0;
  while (value >= 1024 && i < units.length - 1) {
    value /= 1024;
    i += 1;
  }
  return `${i ? value.toFixed(value < 10 ? 2 : 1) : value} ${units[i]}`;
}

// The containers (of /v1/containers) that mount the volume `uuid`, with where they mount it.
export async function containersMounting(uuid) {
  const containers = await listAll('/v1/containers', 'containers');
  return containers.flatMap((c) => (c.mounts || [])
    .filter((m) => m.type === 'volume' && m.source === uuid)
    .map((m) => ({ container: c, mount: m })));
}

function openCreateVolumeDialog({ onCreated }) {
  const fields = [
    field({ name: 'name', label: 'Name', hint: 'Letters, digits, "_", "." and "-", starting with a letter or digit. Empty: a name is generated.', validate: checkVolumeName }),
    field({ name: 'size', label: 'Size (GiB)', type: 'number', min: 1, required: true, value: '1' }),
    field({ name: 'volume_driver', label: 'Volume driver', type: 'select', value: '',
      options: [['', `(the server's default: ${app.config.default_volume_driver || 'local'})`], ...drivers().map((d) => [d, d])],
      hint: 'local: a sparse ext4 image on this host. cinder: OpenStack Block Storage (cannot be attached to containers yet).' }),
    field({ name: 'fstype', label: 'Filesystem', placeholder: 'ext4', hint: 'Empty: ext4, the one filesystem the local driver makes.' }),
    field({ name: 'multiattach', label: 'Multi-attach (several engines may mount it at once)', type: 'checkbox' }),
  ];
  let dlg;
  const form = dialogForm({
    fields,
    submitLabel: 'Create volume',
    onCancel: () => dlg.close(),
    onSubmit: async () => {
      const { ok, values } = validate(fields);
      if (!ok) return;
      const body = { size: Number(values.size) };
      if (values.name.trim()) body.name = values.name.trim();
      if (values.volume_driver) body.volume_driver = values.volume_driver;
      const options = {};
      if (values.fstype.trim()) options.fstype = values.fstype.trim();
      if (values.multiattach) options.multiattach = true;
      if (Object.keys(options).length) body.options = options;
      const created = await api.post('/v1/volumes', body);
      dlg.close();
      if (created.status === 'error') toast(`Volume ${created.name} was made in status error: ${created.status_reason || 'no reason given'}`);
      else toast(`Volume ${created.name} created.`, 'good');
      if (onCreated) onCreated(created);
    },
  });
  dlg = openDialog({ title: 'Create volume', body: form });
}

// Rename or grow: one field, sent as a one-operation JSON patch of /name or /size.
function openPatchDialog(volume, what, onSaved) {
  const f = what === 'name'
    ? field({ name: 'name', label: 'New name', required: true, value: volume.name, validate: checkVolumeName })
    : field({ name: 'size', label: 'New size (GiB)', type: 'number', min: 1, required: true, value: String(volume.size),
      hint: `Now ${volume.size} GiB. A volume can grow, not shrink.`,
      validate: (v) => (Number(v) < volume.size ? `Size must be at least ${volume.size} GiB: a volume can grow, not shrink.` : null) });
  let dlg;
  const form = dialogForm({
    fields: [f],
    submitLabel: what === 'name' ? 'Rename' : 'Grow',
    onCancel: () => dlg.close(),
    onSubmit: async (errorSlot) => {
      const { ok, values } = validate([f]);
      if (!ok) return;
      const value = what === 'name' ? values.name.trim() : Number(values.size);
      if (value === volume[what]) {
        errorSlot.append(h('p', { class: 'note', role: 'status' }, 'Nothing changed.'));
        return;
      }
      const saved = await api.patch(`/v1/volumes/${enc(volume.uuid)}`, [{ op: 'replace', path: `/${what}`, value }]);
      dlg.close();
      toast(what === 'name' ? `Volume renamed to ${saved.name}.` : `Volume ${saved.name} is now ${saved.size} GiB.`, 'good');
      onSaved(saved);
    },
  });
  dlg = openDialog({ title: what === 'name' ? `Rename volume ${volume.name}` : `Grow volume ${volume.name}`, body: form });
}

export async function renderVolumes(main) {
  const errorSlot = h('div', { id: 'page-error' });
  const updated = h('p', { class: 'muted small', 'aria-live': 'off' });
  let stop = null;
  const poke = () => stop && stop.poke();
  const canDelete = can('volume:delete');
  const attached = (v) => (v.attachment_count ? `Attached ${v.attachment_count} time(s): stop the containers that mount it first` : null);
  const remove = (v) => api.delete(`/v1/volumes/${enc(v.uuid)}`);
  const list = listView({
    noun: 'volumes',
    rowKey: (v) => v.uuid,
    rowAttrs: (v) => ({ 'data-volume': v.name }),
    empty: 'No volumes yet.',
    search: (v) => [v.name, v.uuid, v.status, v.volume_driver].join(' '),
    filter: { label: 'Status', value: (v) => v.status },
    initialSort: { index: 0, dir: 'asc' },
    bulkDelete: canDelete ? { name: (v) => v.name, run: remove, disabled: attached, onDone: poke } : null,
    columns: [
      { label: 'Name', sort: (v) => v.name, render: (v) => h('a', { href: `#/volumes/${enc(v.uuid)}`, 'data-focus-key': `link-${v.uuid}` }, v.name) },
      { label: 'Size (GiB)', key: 'size', class: 'num' },
      { label: 'Driver', key: 'volume_driver' },
      { label: 'Status', sort: (v) => v.status, render: (v) => h('div', {}, volumeBadge(v.status), v.status_reason && v.status !== 'available' ? h('div', { class: 'reason' }, v.status_reason) : null) },
      { label: 'Attachments', class: 'num', sort: (v) => v.attachment_count, render: (v) => h('span', { 'data-attachments': dash(v.attachment_count) }, dash(v.attachment_count)) },
      { label: 'Created', key: 'created_at', render: (v) => timeEl(v.created_at) },
      ...(canDelete ? [{ label: 'Actions', class: 'row-actions', render: (v) => h('div', { class: 'actions' }, button('Delete', async () => {
        if (!(await confirmDialog({ title: 'Delete volume', message: `Delete volume ${v.name}? Its data is lost.`, confirmLabel: 'Delete volume', danger: true }))) return;
        try {
          await remove(v);
          toast(`Deleting volume ${v.name}.`, 'good');
          poke();
        } catch (err) {
          errorSlot.replaceChildren(errorBox(err, { context: `Could not delete volume ${v.name}` }));
        }
      }, { kind: 'danger', 'aria-label': `Delete volume ${v.name}`, disabled: Boolean(attached(v)), title: attached(v) })) }] : []),
    ],
  });
  const listError = h('div', {});
  main.append(
    pageHeader('Volumes', can('volume:create') ? button('Create volume', () => openCreateVolumeDialog({ onCreated: poke }), { kind: 'primary' }) : null),
    h('p', { class: 'lead' }, 'Block volumes that keep container data beyond the life of a container.'),
    errorSlot, listError, list.element, updated);
  let lastSignature = null;
  const tick = async () => {
    let volumes;
    try {
      // Each listed volume carries its attachment_count.
      volumes = await listAll('/v1/volumes', 'volumes');
      listError.replaceChildren();
    } catch (err) {
      listError.replaceChildren(errorBox(err, { context: 'Could not list volumes' }));
      return true;
    }
    const signature = JSON.stringify(volumes);
    if (signature !== lastSignature) list.update(volumes);
    lastSignature = signature;
    const busy = volumes.some((v) => volumeBusy(v.status));
    updated.textContent = `Updated ${fmtTime(new Date().toISOString())}; refreshes every ${(busy ? POLL_BUSY_MS : POLL_IDLE_MS) / 1000} s.`;
    return busy;
  };
  await tick();
  stop = poller(tick);
  return stop;
}

export async function renderVolume(main, ctx) {
  const [ident] = ctx.params;
  let volume = await api.get(`/v1/volumes/${enc(ident)}`);
  const uuid = volume.uuid;
  let users = null;
  let usersError = null;
  const title = h('h1', { tabindex: '-1', id: 'page-title' });
  const crumb = h('span', {});
  const pageError = h('div', { id: 'page-error' });
  const refreshError = h('div', {});
  const statusPanel = h('section', { class: 'card status-panel', 'aria-label': 'Status' });
  const body = h('div', {});
  let stop = null;
  const refresh = () => stop && stop.poke();
  const renameBtn = button('Rename', () => openPatchDialog(volume, 'name', (saved) => { volume = saved; render(); refresh(); }));
  const runBtn = button('Run a container', () => openCreateContainerDialog({ volumeName: volume.name }), { kind: 'primary' });
  const growBtn = button('Grow', () => openPatchDialog(volume, 'size', (saved) => { volume = saved; render(); refresh(); }));
  const deleteBtn = button('Delete', async () => {
    const ok = await confirmDialog({ title: 'Delete volume', message: `Delete volume ${volume.name}? Its data is destroyed. The API refuses while a container uses it.`, confirmLabel: 'Delete volume', danger: true });
    if (!ok) return;
    try {
      await api.delete(`/v1/volumes/${enc(uuid)}`);
      toast(`Volume ${volume.name} deleted.`, 'good');
      location.hash = '#/volumes';
    } catch (err) {
      showError(pageError, err, { context: `Could not delete volume ${volume.name}` });
      refresh();
    }
  }, { kind: 'danger' });
  main.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/volumes' }, 'Volumes'), ' / ', crumb),
    h('div', { class: 'page-head' }, title, h('div', { class: 'actions' }, runBtn, renameBtn, growBtn, deleteBtn)),
    pageError, refreshError, statusPanel, body);

  function render() {
    title.textContent = `Volume ${volume.name}`;
    crumb.textContent = volume.name;
    document.title = `${title.textContent} · Dockyard`;
    statusPanel.replaceChildren(...[
      h('div', { class: 'status-line' }, h('span', { class: 'label' }, 'Status'), volumeBadge(volume.status)),
      volume.status_reason ? h('p', { class: 'reason' }, volume.status_reason) : null,
    ].filter(Boolean));
    growBtn.disabled = !['available', 'in-use'].includes(volume.status);
    const usage = volume.usage;
    const keep = body.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;
    body.replaceChildren(
      h('div', { class: 'columns' },
        h('section', { class: 'card', 'aria-labelledby': 'vol-ov' }, h('h2', { id: 'vol-ov' }, 'Overview'), dl([
          ['ID', h('code', {}, uuid)], ['Name', volume.name], ['Size (GiB)', volume.size],
          ['Volume driver', volume.volume_driver], ['Filesystem', volume.options?.fstype],
          ['Multi-attach', Boolean(volume.options?.multiattach)], ['Host', volume.host],
          ['Project', volume.project_id], ['User', volume.user_id],
          ['Created', timeEl(volume.created_at)], ['Updated', timeEl(volume.updated_at)],
        ])),
        h('section', { class: 'card', 'aria-labelledby': 'vol-use' }, h('h2', { id: 'vol-use' }, 'Usage'), usage ? dl([
          ['Size', fmtBytes(usage.size_bytes)],
          ['Allocated on the host', fmtBytes(usage.allocated_bytes)],
          ['Filesystem size', usage.filesystem_bytes === null ? 'Known while mounted' : fmtBytes(usage.filesystem_bytes)],
          ['Used', usage.used_bytes === null ? 'Known while mounted' : fmtBytes(usage.used_bytes)],
        ]) : h('p', { class: 'muted' }, 'The volume driver does not report usage.'))),
      h('section', { class: 'card', 'aria-labelledby': 'vol-att' }, h('h2', { id: 'vol-att' }, 'Attachments'),
        h('p', { class: 'muted small' }, 'Mounts recorded by Dockyard\'s volume plugin: one per engine mount.'),
        table({
          columns: [
            { label: 'Engine', key: 'engine', class: 'mono' },
            { label: 'Container', render: (a) => (a.container_id ? h('code', {}, a.container_id) : h('span', { class: 'muted' }, 'not told by the engine')) },
            { label: 'Mount ID', key: 'mount_id', class: 'mono' },
            { label: 'Mountpoint', key: 'mountpoint', class: 'mono' },
            { label: 'Since', render: (a) => timeEl(a.created_at) },
          ],
          rows: volume.attachments || [],
          rowAttrs: () => ({ 'data-attachment': '' }),
          empty: 'Not attached.',
        })),
      h('section', { class: 'card', 'aria-labelledby': 'vol-users' }, h('h2', { id: 'vol-users' }, 'Containers that mount it'),
        usersError ? errorBox(usersError, { context: 'Could not list containers' }) : table({
          columns: [
            { label: 'Container', render: (u) => h('a', { href: `#/containers/${enc(u.container.uuid)}`, 'data-focus-key': `c-${u.container.uuid}` }, u.container.name) },
            { label: 'Status', render: (u) => containerBadge(u.container.status) },
            { label: 'Host', render: (u) => dash(u.container.host) },
            { label: 'Destination', render: (u) => h('code', {}, u.mount.destination) },
            { label: 'Read-only', render: (u) => dash(Boolean(u.mount.read_only)) },
          ],
          rows: users || [],
          rowAttrs: (u) => ({ 'data-user': u.container.name }),
          empty: users ? 'No container mounts it.' : 'Loading…',
        })));
    if (keep) body.querySelector(`[data-focus-key="${CSS.escape(keep)}"]`)?.focus();
  }

  let gone = false;
  let lastSignature = null;
  const tick = async () => {
    if (gone) return false;
    try {
      volume = await api.get(`/v1/volumes/${enc(uuid)}`);
    } catch (err) {
      if (err.status === 404) {
        gone = true;
        statusPanel.replaceChildren(h('p', { role: 'status' }, 'This volume no longer exists. ', h('a', { href: '#/volumes' }, 'Back to volumes'), '.'));
        [runBtn, renameBtn, growBtn, deleteBtn].forEach((b) => { b.disabled = true; });
        return false;
      }
      refreshError.replaceChildren(errorBox(err, { context: 'Could not refresh this volume' }));
      return true;
    }
    refreshError.replaceChildren();
    try {
      users = await containersMounting(uuid);
      usersError = null;
    } catch (err) {
      usersError = err;
    }
    const signature = JSON.stringify([volume, users, usersError && usersError.detail]);
    if (signature !== lastSignature) render();
    lastSignature = signature;
    return volumeBusy(volume.status);
  };
  render();
  await tick();
  stop = poller(tick);
  return stop;
}
