// Clusters: the list with live status and health (polled, never reloaded) and the create dialog.

import { api, enc, listAll } from '../api.js';
import { button, confirmDialog, dash, errorBox, fmtTime, h, healthBadge, isBusy, openDialog, pageHeader, statusBadge, timeEl, toast } from '../dom.js';
import { dialogForm, field, labelsValidator, parseLabels, validate } from '../forms.js';
import { listView } from '../lib/listview.js';
import { progressView, timelineFollower } from '../lib/progress.js';
import { can } from '../session.js';

const NAME_RE = /^[a-zA-Z][a-zA-Z0-9_.-]*$/;
export const POLL_BUSY_MS = 2000;
export const POLL_IDLE_MS = 10000;

// Poll `tick` every POLL_BUSY_MS while it reports work in progress, else POLL_IDLE_MS; skip
// ticks while the tab is hidden. Returns stop(), which also has stop.poke().
export function poller(tick) {
  let timer = null;
  let stopped = false;
  let running = false;
  let again = false;
  const run = async () => {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = true;
    clearTimeout(timer);
    let busy = false;
    try {
      if (!document.hidden) busy = await tick();
    } catch {
      busy = true;
    } finally {
      running = false;
    }
    if (stopped) return;
    if (again) {
      again = false;
      run();
      return;
    }
    timer = setTimeout(run, busy ? POLL_BUSY_MS : POLL_IDLE_MS);
  };
  const onVisible = () => { if (!document.hidden) run(); };
  document.addEventListener('visibilitychange', onVisible);
  timer = setTimeout(run, POLL_BUSY_MS);
  const stop = () => {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener('visibilitychange', onVisible);
  };
  // poke(): refresh now (after an action), then carry on at the pace the answer calls for.
  stop.poke = run;
  return stop;
}

export async function openCreateClusterDialog({ templateId = '', onCreated } = {}) {
  let templates = [];
  let loadError = null;
  try {
    templates = await listAll('/v1/clustertemplates/detail', 'clustertemplates');
  } catch (err) {
    loadError = err;
  }
  const options = [['', templates.length ? 'Choose a template…' : 'No templates: create one first'],
    ...templates.map((t) => [t.uuid, `${t.name || t.uuid} (${t.coe}, ${t.image_id})`])];
  const fields = [
    field({ name: 'name', label: 'Cluster name', required: true, hint: 'Letters, digits, "_", "." and "-", starting with a letter; at most 242 characters.',
      validate: (v) => (!NAME_RE.test(v.trim()) ? 'Name must start with a letter and use only letters, digits, "_", "." and "-".' : v.trim().length > 242 ? 'Name must be at most 242 characters.' : null) }),
    field({ name: 'cluster_template_id', label: 'Cluster template', type: 'select', required: true, options, value: templateId }),
    field({ name: 'master_count', label: 'Masters', type: 'number', min: 1, value: '1', required: true,
      hint: 'An odd number; more than one needs a template with a master load balancer.',
      validate: (v) => (Number(v) % 2 === 0 ? 'Masters must be an odd number.' : null) }),
    field({ name: 'node_count', label: 'Worker nodes', type: 'number', min: 0, value: '1', required: true }),
    field({ name: 'keypair', label: 'Keypair', hint: 'Optional: overrides the template\'s keypair.' }),
    field({ name: 'create_timeout', label: 'Create timeout (minutes)', type: 'number', min: 0, value: '60', required: true,
      hint: 'The create fails if it is not complete by then. 0 means no timeout.' }),
    field({ name: 'labels', label: 'Labels', type: 'textarea', rows: 3, placeholder: 'key=value, one per line',
      hint: 'Optional. One key=value per line. Without "merge", these replace the template\'s labels.', validate: labelsValidator }),
    field({ name: 'merge_labels', label: 'Merge with the template\'s labels', type: 'checkbox' }),
    field({ name: 'flavor_id', label: 'Node flavor', hint: 'Optional: overrides the template.' }),
    field({ name: 'master_flavor_id', label: 'Master flavor', hint: 'Optional: overrides the template.' }),
  ];
  const [name, tpl, masters, nodes, keypair, timeout, labels, merge, flavor, masterFlavor] = fields;
  let dlg;
  const form = dialogForm({
    fields: [
      h('div', { class: 'grid' }, name.wrapper, tpl.wrapper),
      h('div', { class: 'grid three' }, masters.wrapper, nodes.wrapper, timeout.wrapper),
      h('div', { class: 'grid' }, keypair.wrapper, h('div', {})),
      labels.wrapper, merge.wrapper,
      h('details', {}, h('summary', {}, 'Flavors'), h('div', { class: 'grid' }, flavor.wrapper, masterFlavor.wrapper)),
    ],
    extra: loadError ? errorBox(loadError, { context: 'Could not list cluster templates' }) : null,
    submitLabel: 'Create cluster',
    onCancel: () => dlg.close(),
    onSubmit: async () => {
      const { ok, values } = validate(fields);
      if (!ok) return;
      const body = {
        name: values.name.trim(),
        cluster_template_id: values.cluster_template_id,
        master_count: Number(values.master_count),
        node_count: Number(values.node_count),
        create_timeout: Number(values.create_timeout),
      };
      for (const key of ['keypair', 'flavor_id', 'master_flavor_id']) if (values[key].trim()) body[key] = values[key].trim();
      const parsed = parseLabels(values.labels).labels;
      if (Object.keys(parsed).length) body.labels = parsed;
      if (values.merge_labels) body.merge_labels = true;
      const created = await api.post('/v1/clusters', body);
      dlg.close();
      toast(`Cluster ${body.name} accepted: it is being created.`, 'good');
      if (onCreated) onCreated(created);
      else location.hash = `#/clusters/${enc(created.uuid)}`;
    },
  });
  dlg = openDialog({ title: 'Create cluster', body: form, wide: true });
  return dlg;
}

// A cluster's row action and bulk delete: confirm (the caller does), send, let polling follow.
export const deleteCluster = (c) => api.delete(`/v1/clusters/${enc(c.uuid)}`);

export async function renderClusters(main) {
  const errorSlot = h('div', { id: 'page-error' });
  const listError = h('div', {});
  const updated = h('p', { class: 'muted small', 'aria-live': 'off' });
  let stop = null;
  const poke = () => stop && stop.poke();
  const canCreate = can('cluster:create');
  const canDelete = can('cluster:delete');
  const templateNames = new Map();
  const followers = timelineFollower();
  const rowDelete = (c) => button('Delete', async () => {
    const ok = await confirmDialog({ title: 'Delete cluster', message: `Delete cluster ${c.name}? Its nodes and everything running on them are removed.`, confirmLabel: 'Delete cluster', danger: true });
    if (!ok) return;
    try {
      await deleteCluster(c);
      toast(`Deleting cluster ${c.name}.`, 'good');
      poke();
    } catch (err) {
      errorSlot.replaceChildren(errorBox(err, { context: `Could not delete cluster ${c.name}` }));
    }
  }, { kind: 'danger', 'aria-label': `Delete cluster ${c.name || c.uuid}`, disabled: c.status === 'DELETE_IN_PROGRESS' });
  const list = listView({
    noun: 'clusters',
    rowKey: (c) => c.uuid,
    rowAttrs: (c) => ({ 'data-cluster': c.name || c.uuid }),
    empty: 'No clusters yet.',
    search: (c) => [c.name, c.uuid, c.status, c.health_status, templateNames.get(c.cluster_template_id), c.api_address].join(' '),
    filter: { label: 'Status', value: (c) => c.status },
    initialSort: { index: 0, dir: 'asc' },
    bulkDelete: canDelete ? { name: (c) => c.name || c.uuid, run: deleteCluster, onDone: poke,
      disabled: (c) => (c.status === 'DELETE_IN_PROGRESS' ? 'Already being deleted' : null) } : null,
    columns: [
      { label: 'Name', sort: (c) => c.name, render: (c) => h('a', { href: `#/clusters/${enc(c.uuid)}`, 'data-focus-key': `link-${c.uuid}` }, c.name || c.uuid) },
      { label: 'Status', sort: (c) => c.status, render: (c) => h('div', {}, statusBadge(c.status), c.status_reason && !c.status.endsWith('_COMPLETE') ? h('div', { class: 'reason' }, c.status_reason) : null,
        isBusy(c.status) ? progressView(followers.step(c.uuid)) : null) },
      { label: 'Health', sort: (c) => c.health_status, render: (c) => healthBadge(c.health_status) },
      { label: 'Template', sort: (c) => templateNames.get(c.cluster_template_id) || c.cluster_template_id, render: (c) => h('a', { href: `#/templates/${enc(c.cluster_template_id)}` }, templateNames.get(c.cluster_template_id) || c.cluster_template_id) },
      { label: 'Masters', key: 'master_count', class: 'num' },
      { label: 'Nodes', key: 'node_count', class: 'num' },
      { label: 'API address', render: (c) => (c.api_address ? h('code', {}, c.api_address) : dash(null)) },
      { label: 'Created', key: 'created_at', render: (c) => timeEl(c.created_at) },
      ...(canDelete ? [{ label: 'Actions', class: 'row-actions', render: (c) => h('div', { class: 'actions' }, rowDelete(c)) }] : []),
    ],
  });
  main.append(
    pageHeader('Clusters', canCreate ? button('Create cluster', () => openCreateClusterDialog({ onCreated: poke }), { kind: 'primary' }) : null),
    errorSlot, listError, list.element, updated);
  let lastSignature = null;
  const loadTemplates = async () => {
    try {
      for (const t of await listAll('/v1/clustertemplates', 'clustertemplates')) templateNames.set(t.uuid, t.name || t.uuid);
    } catch {
      // names are a nicety: ids are shown instead
    }
  };
  const tick = async () => {
    let clusters;
    try {
      clusters = await listAll('/v1/clusters/detail', 'clusters');
      listError.replaceChildren();
    } catch (err) {
      listError.replaceChildren(errorBox(err, { context: 'Could not list clusters' }));
      return true;
    }
    if (clusters.some((c) => !templateNames.has(c.cluster_template_id))) await loadTemplates();
    // The latest progress step of each busy cluster (its timeline since the last look).
    await Promise.all(clusters.map((c) => (isBusy(c.status)
      ? followers.update(c.uuid).catch(() => null)
      : followers.forget(c.uuid))));
    const steps = clusters.map((c) => followers.step(c.uuid));
    // Re-render only when something changed: no flicker, and selections and focus stay put.
    const signature = JSON.stringify([clusters, [...templateNames], steps]);
    if (signature !== lastSignature) list.update(clusters);
    lastSignature = signature;
    updated.textContent = `Updated ${fmtTime(new Date().toISOString())}; refreshes every ${clusters.some((c) => isBusy(c.status)) ? POLL_BUSY_MS / 1000 : POLL_IDLE_MS / 1000} s.`;
    return clusters.some((c) => isBusy(c.status));
  };
  await loadTemplates();
  await tick();
  stop = poller(tick);
  return stop;
}
