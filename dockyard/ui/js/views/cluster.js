// One cluster: status and where it is (the running operation), overview, addresses, labels,
// nodegroups (add, resize, delete), the event timeline (Dockyard's /events extension), the CA;
// scale, download config, rotate CA, delete. Polls while something is in progress.

import { api, enc } from '../api.js';
import {
  button, confirmDialog, dash, dl, download, errorBox, fmtDuration, h, healthBadge, isBusy,
  labelsTable, openDialog, pageHeader, statusBadge, table, timeEl, toast,
} from '../dom.js';
import { dialogForm, field, formatLabels, labelsValidator, parseLabels, validate } from '../forms.js';
import { buildClusterConfig } from '../lib/clusterconfig.js';
import { cryptoAvailable } from '../lib/csr.js';
import { lastStep, nodeSteps, nodeStepsView, percent, progressView } from '../lib/progress.js';
import { can, clusterMay } from '../session.js';
import { poller } from './clusters.js';

// Why an action cannot succeed now (null: it can). The buttons are disabled with this reason
// shown under them, rather than offered and refused.
export function scaleBlocked(cluster) {
  if (!can('cluster:resize')) return 'Your role may not scale clusters.';
  if (!clusterMay('resize', cluster.status)) {
    return isBusy(cluster.status)
      ? `Scale waits until the running operation ends (${cluster.status}).`
      : `A cluster in ${cluster.status} cannot be scaled${cluster.status === 'CREATE_FAILED' ? ': delete it and create it again' : ''}.`;
  }
  return null;
}

export function configBlocked(cluster) {
  if (!cryptoAvailable()) return 'Download config needs HTTPS (or localhost): the browser makes the key with WebCrypto.';
  if (!can('certificate:create')) return 'Your role may not have certificates signed.';
  const s = String(cluster.status);
  if (!cluster.api_address || s.startsWith('CREATE_') && s !== 'CREATE_COMPLETE' || s.startsWith('DELETE_')) {
    return `Download config is possible once the cluster is ready (it is ${s}${cluster.api_address ? '' : ', with no API address yet'}).`;
  }
  return null;
}

const TABS = [
  ['overview', 'Overview'],
  ['nodegroups', 'Nodegroups'],
  ['timeline', 'Timeline'],
  ['ca', 'Certificate authority'],
];

function tabs(active, onSelect) {
  const list = h('div', { role: 'tablist', 'aria-label': 'Cluster sections', class: 'tabs' });
  const panels = {};
  const buttons = TABS.map(([key, label]) => {
    const b = h('button', {
      type: 'button', role: 'tab', id: `tab-${key}`, 'aria-controls': `panel-${key}`,
      'aria-selected': String(key === active), tabindex: key === active ? '0' : '-1',
    }, label);
    b.addEventListener('click', () => select(key, true));
    return b;
  });
  list.append(...buttons);
  list.addEventListener('keydown', (ev) => {
    const i = buttons.indexOf(document.activeElement);
    if (i < 0) return;
    let j = null;
    if (ev.key === 'ArrowRight') j = (i + 1) % buttons.length;
    else if (ev.key === 'ArrowLeft') j = (i - 1 + buttons.length) % buttons.length;
    else if (ev.key === 'Home') j = 0;
    else if (ev.key === 'End') j = buttons.length - 1;
    if (j === null) return;
    ev.preventDefault();
    select(TABS[j][0], true);
    buttons[j].focus();
  });
  for (const [key] of TABS) {
    panels[key] = h('div', { role: 'tabpanel', id: `panel-${key}`, 'aria-labelledby': `tab-${key}`, tabindex: '0', hidden: key !== active, class: 'tabpanel' });
  }
  function select(key, user) {
    buttons.forEach((b, i) => {
      const on = TABS[i][0] === key;
      b.setAttribute('aria-selected', String(on));
      b.tabIndex = on ? 0 : -1;
    });
    for (const [k, p] of Object.entries(panels)) p.hidden = k !== key;
    if (user) onSelect(key);
  }
  return { list, panels, select };
}

function addresses(cluster) {
  const list = (items) => (items && items.length ? h('ul', { class: 'plain mono' }, items.map((a) => h('li', {}, a))) : '—');
  return dl([
    ['API address', cluster.api_address ? h('code', {}, cluster.api_address) : '—'],
    ['Master addresses', list(cluster.master_addresses)],
    ['Node addresses', list(cluster.node_addresses)],
  ]);
}

// Where the cluster is: the active operation, its conductor, time spent and deadline.
function whereItIs(cluster, timeline) {
  const ops = (timeline && timeline.operations) || [];
  const active = ops.find((o) => o.state === 'PENDING' || o.state === 'RUNNING');
  const lastEvent = timeline && timeline.events.length ? timeline.events[timeline.events.length - 1] : null;
  const now = Date.now();
  const parts = [];
  if (active) {
    const since = active.started_at || active.created_at;
    const deadline = active.deadline_at ? Date.parse(active.deadline_at) : null;
    parts.push(h('p', { class: 'where' },
      h('strong', {}, `${active.kind} ${active.state === 'PENDING' ? 'queued' : 'running'}`),
      active.state === 'PENDING' ? ' — waiting for a conductor to claim it' : active.conductor ? ` on conductor ${active.conductor}` : '',
      since ? ` for ${fmtDuration(now - Date.parse(since))}` : '',
      active.attempts > 1 ? `, attempt ${active.attempts}` : '',
      deadline ? (deadline > now ? `; times out in ${fmtDuration(deadline - now)}` : `; past its deadline by ${fmtDuration(now - deadline)}`) : '',
      '.'));
  }
  const step = active && timeline ? lastStep(timeline.events, active) : null;
  if (step) parts.push(progressView(step), nodeStepsView(nodeSteps(timeline.events, active)));
  if (lastEvent && (active || isBusy(cluster.status))) {
    parts.push(h('p', { class: 'muted' }, 'Last step: ', h('code', {}, lastEvent.event), ` — ${lastEvent.message || ''} (`, timeEl(lastEvent.created_at), ')'));
  }
  return parts;
}

function faults(cluster) {
  const entries = Object.entries(cluster.faults || {});
  if (!entries.length) return null;
  return h('div', { class: 'error-box', role: 'alert' },
    h('p', { class: 'error-head' }, 'Faults:'),
    h('ul', { class: 'plain' }, entries.map(([k, v]) => h('li', {}, h('strong', {}, k), ': ', v || '—'))));
}

function healthReason(cluster) {
  const entries = Object.entries(cluster.health_status_reason || {});
  if (!entries.length) return null;
  return h('ul', { class: 'plain small' }, entries.map(([k, v]) => h('li', {}, h('code', {}, k), ': ', typeof v === 'string' ? v : JSON.stringify(v))));
}

function timelineView(timeline) {
  const ops = table({
    caption: 'Operations',
    columns: [
      { label: 'Kind', key: 'kind' },
      { label: 'State', render: (o) => statusBadge(o.state) },
      { label: 'Requested', render: (o) => timeEl(o.created_at) },
      { label: 'Started', render: (o) => timeEl(o.started_at) },
      { label: 'Finished', render: (o) => timeEl(o.finished_at) },
      { label: 'Deadline', render: (o) => timeEl(o.deadline_at) },
      { label: 'Attempts', key: 'attempts', class: 'num' },
      { label: 'Conductor', key: 'conductor', class: 'mono' },
      { label: 'Error', render: (o) => (o.error ? h('span', { class: 'bad-text' }, o.error) : '—') },
    ],
    rows: [...timeline.operations].reverse(),
    empty: 'No operations.',
  });
  const events = timeline.events.length
    ? h('ol', { class: 'timeline' }, timeline.events.map((e) => h('li', { class: `level-${(e.level || 'INFO').toLowerCase()}`, 'data-event': e.event },
      h('div', { class: 'when' }, timeEl(e.created_at)),
      h('div', { class: 'what' },
        h('span', { class: `level ${(e.level || 'INFO').toLowerCase()}` }, e.level || 'INFO'), ' ',
        h('code', { class: 'event-name' }, e.event),
        percent(e.progress) === null ? null : h('span', { class: 'muted' }, ` ${percent(e.progress)}%`),
        e.status ? [' → ', statusBadge(e.status, { live: false })] : null,
        h('div', { class: 'message' }, e.message || ''),
        h('div', { class: 'muted small' }, e.host ? `host ${e.host}` : '', e.request_id ? ` · ${e.request_id}` : '')))))
    : h('p', { class: 'muted' }, 'No events yet.');
  return [ops, h('h3', {}, 'Events'), events];
}

async function fetchTimeline(uuid, previous) {
  const after = previous && previous.events.length ? previous.events[previous.events.length - 1].id : null;
  const body = await api.get(`/v1/clusters/${enc(uuid)}/events${after !== null ? `?after=${after}` : ''}`);
  return { ...body, events: [...(previous ? previous.events : []), ...body.events] };
}

function openScaleDialog(cluster, nodegroups, onDone, chosen = null) {
  const workers = nodegroups.filter((ng) => ng.role !== 'master');
  const byName = new Map(workers.map((ng) => [ng.name, ng]));
  const initial = (chosen && byName.get(chosen)) || workers.find((ng) => ng.is_default) || workers[0];
  const ngField = field({ name: 'nodegroup', label: 'Nodegroup', type: 'select', required: true, value: initial ? initial.name : '',
    options: workers.map((ng) => [ng.name, `${ng.name} (${ng.node_count} nodes)`]) });
  const countField = field({ name: 'node_count', label: 'Node count', type: 'number', min: 0, required: true, value: initial ? String(initial.node_count) : '1',
    hint: 'The new number of nodes in the nodegroup.',
    validate: (v, values) => {
      const ng = byName.get(values.nodegroup);
      if (!ng) return null;
      if (ng.min_node_count !== null && ng.min_node_count !== undefined && Number(v) < ng.min_node_count) return `Node count must be at least ${ng.min_node_count} for ${ng.name}.`;
      if (ng.max_node_count !== null && ng.max_node_count !== undefined && Number(v) > ng.max_node_count) return `Node count must be at most ${ng.max_node_count} for ${ng.name}.`;
      return null;
    } });
  ngField.input.addEventListener('change', () => {
    const ng = byName.get(ngField.input.value);
    if (ng) countField.input.value = String(ng.node_count);
  });
  let dlg;
  const form = dialogForm({
    fields: [ngField, countField],
    submitLabel: 'Scale',
    onCancel: () => dlg.close(),
    onSubmit: async () => {
      const { ok, values } = validate([ngField, countField]);
      if (!ok) return;
      await api.post(`/v1/clusters/${enc(cluster.uuid)}/actions/resize`, { node_count: Number(values.node_count), nodegroup: values.nodegroup });
      dlg.close();
      toast(`Scaling ${cluster.name} to ${values.node_count} nodes in ${values.nodegroup}.`, 'good');
      onDone();
    },
  });
  dlg = openDialog({ title: `Scale cluster ${cluster.name}`, body: form });
}

// A new worker nodegroup: POST /v1/clusters/{id}/nodegroups (the API answers 202 with it).
function openNodegroupDialog(cluster, nodegroups, onDone) {
  const taken = new Set(nodegroups.map((ng) => ng.name));
  const nameField = field({ name: 'name', label: 'Name', required: true,
    validate: (v) => (taken.has(v.trim()) ? `The cluster already has a nodegroup named ${v.trim()}.` : null) });
  const countField = field({ name: 'node_count', label: 'Node count', type: 'number', min: 0, required: true, value: '1' });
  const minField = field({ name: 'min_node_count', label: 'Minimum nodes', type: 'number', min: 0, value: '0',
    validate: (v, values) => (Number(v) > Number(values.node_count) ? 'The minimum cannot be above the node count.' : null) });
  const maxField = field({ name: 'max_node_count', label: 'Maximum nodes', type: 'number', min: 0,
    hint: 'Empty: no upper limit.',
    validate: (v, values) => {
      if (String(v).trim() === '') return null;
      if (Number(v) < Number(values.min_node_count || 0)) return 'The maximum cannot be below the minimum.';
      if (Number(v) < Number(values.node_count)) return 'The maximum cannot be below the node count.';
      return null;
    } });
  const roleField = field({ name: 'role', label: 'Role', value: 'worker', required: true,
    validate: (v) => (v.trim() === 'master' ? 'Master nodegroups cannot be added.' : null) });
  const labelsField = field({ name: 'node_labels', label: 'Node labels', type: 'textarea', placeholder: 'disk=ssd',
    hint: 'One key=value per line; every node of the group carries them.', validate: labelsValidator });
  const fields = [nameField, countField, minField, maxField, roleField, labelsField];
  let dlg;
  const form = dialogForm({
    fields,
    submitLabel: 'Add nodegroup',
    onCancel: () => dlg.close(),
    onSubmit: async () => {
      const { ok, values } = validate(fields);
      if (!ok) return;
      const body = {
        name: values.name.trim(), node_count: Number(values.node_count), role: values.role.trim(),
        min_node_count: Number(values.min_node_count || 0),
        node_labels: parseLabels(values.node_labels).labels,
      };
      if (String(values.max_node_count).trim() !== '') body.max_node_count = Number(values.max_node_count);
      const created = await api.post(`/v1/clusters/${enc(cluster.uuid)}/nodegroups`, body);
      dlg.close();
      toast(`Adding nodegroup ${created.name} to ${cluster.name}.`, 'good');
      onDone();
    },
  });
  dlg = openDialog({ title: `Add a nodegroup to ${cluster.name}`, body: form });
}

async function deleteNodegroup(cluster, ng, onDone, errorSlot) {
  const ok = await confirmDialog({ title: 'Delete nodegroup', message: `Delete nodegroup ${ng.name} of ${cluster.name}? Its ${ng.node_count} node(s) are drained, then removed.`, confirmLabel: 'Delete nodegroup', danger: true });
  if (!ok) return;
  try {
    await api.delete(`/v1/clusters/${enc(cluster.uuid)}/nodegroups/${enc(ng.uuid)}`);
    toast(`Deleting nodegroup ${ng.name}.`, 'good');
    onDone();
  } catch (err) {
    errorSlot.replaceChildren(errorBox(err, { context: `Could not delete nodegroup ${ng.name}` }));
  }
}

async function downloadConfig(cluster, statusSlot) {
  statusSlot.replaceChildren(h('p', { class: 'muted', role: 'status' }, 'Making a key and asking the cluster CA to sign it…'));
  try {
    const bundle = await buildClusterConfig(cluster.uuid);
    download(bundle.filename, bundle.data, bundle.type);
    statusSlot.replaceChildren();
    const close = h('button', { type: 'button', class: 'primary', autofocus: true }, 'Done');
    const d = openDialog({
      title: 'Cluster config downloaded',
      body: h('div', { class: 'form' },
        h('p', {}, 'Saved as ', h('code', { 'data-filename': bundle.filename }, bundle.filename), '. Use it with:'),
        h('pre', { class: 'code' }, bundle.usage.join('\n')),
        h('p', { class: 'muted small' }, 'The private key was made in this browser and exists only in that file: keep it safe. ', bundle.note),
        h('div', { class: 'actions' }, close)),
    });
    close.addEventListener('click', () => d.close());
    close.focus();
  } catch (err) {
    statusSlot.replaceChildren(errorBox(err, { context: 'Could not make the cluster config' }));
  }
}

export async function renderCluster(main, ctx) {
  const [ident] = ctx.params;
  let cluster = await api.get(`/v1/clusters/${enc(ident)}`);
  const uuid = cluster.uuid;
  let timeline = null;
  let nodegroups = [];
  let template = null;
  let active = TABS.some(([k]) => k === ctx.query.get('tab')) ? ctx.query.get('tab') : 'overview';

  const statusPanel = h('section', { class: 'card status-panel', 'aria-label': 'Status' });
  const actionStatus = h('div', {});
  const pageError = h('div', { id: 'page-error' });
  const ngError = h('div', {});
  const scaleBtn = button('Scale', () => openScaleDialog(cluster, nodegroups, refresh));
  const configBtn = button('Download config', () => downloadConfig(cluster, actionStatus), { kind: 'primary' });
  const deleteBtn = button('Delete', async () => {
    const ok = await confirmDialog({ title: 'Delete cluster', message: `Delete cluster ${cluster.name}? Its nodes and everything running on them are removed.`, confirmLabel: 'Delete cluster', danger: true });
    if (!ok) return;
    try {
      await api.delete(`/v1/clusters/${enc(uuid)}`);
      toast(`Deleting cluster ${cluster.name}.`, 'good');
      location.hash = '#/clusters';
    } catch (err) {
      pageError.replaceChildren(errorBox(err, { context: `Could not delete cluster ${cluster.name}` }));
    }
  }, { kind: 'danger' });
  const title = pageHeader(`Cluster ${cluster.name || uuid}`, configBtn, scaleBtn, can('cluster:delete') ? deleteBtn : null);
  const blockedNote = h('p', { class: 'muted small blocked-note', id: 'actions-note' });
  configBtn.setAttribute('aria-describedby', 'actions-note');
  scaleBtn.setAttribute('aria-describedby', 'actions-note');

  const t = tabs(active, (key) => {
    active = key;
    history.replaceState(null, '', `#/clusters/${enc(ident)}?tab=${key}`);
    renderPanels();
  });
  main.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/clusters' }, 'Clusters'), ' / ', cluster.name || uuid),
    title, blockedNote, pageError, actionStatus, statusPanel, t.list, ...Object.values(t.panels));

  const keepFocus = (panel, render) => {
    const key = panel.contains(document.activeElement) ? document.activeElement.dataset.focusKey : null;
    render();
    if (key) panel.querySelector(`[data-focus-key="${CSS.escape(key)}"]`)?.focus();
  };

  function renderStatus() {
    statusPanel.replaceChildren(...[
      h('div', { class: 'status-line' },
        h('span', { class: 'label' }, 'Status'), statusBadge(cluster.status),
        h('span', { class: 'label' }, 'Health'), healthBadge(cluster.health_status)),
      cluster.status_reason ? h('p', { class: 'reason' }, cluster.status_reason) : null,
      ...whereItIs(cluster, timeline),
      faults(cluster),
      healthReason(cluster),
    ].filter(Boolean));
    const reasons = [configBlocked(cluster), scaleBlocked(cluster)];
    [configBtn.disabled, scaleBtn.disabled] = reasons.map(Boolean);
    configBtn.title = reasons[0] || '';
    scaleBtn.title = reasons[1] || '';
    blockedNote.textContent = reasons.filter(Boolean).join(' ');
    blockedNote.hidden = !blockedNote.textContent;
  }

  function renderPanels() {
    const p = t.panels;
    if (active === 'overview') {
      keepFocus(p.overview, () => p.overview.replaceChildren(h('div', { class: 'columns' },
        h('section', { class: 'card', 'aria-labelledby': 'ov-h' }, h('h2', { id: 'ov-h' }, 'Overview'), dl([
          ['ID', h('code', {}, uuid)],
          ['Template', h('a', { href: `#/templates/${enc(cluster.cluster_template_id)}`, 'data-focus-key': 'tpl' }, template ? (template.name || template.uuid) : cluster.cluster_template_id)],
          ['COE', template ? template.coe : null], ['COE version', cluster.coe_version], ['Container version', cluster.container_version],
          ['Masters', cluster.master_count], ['Worker nodes', cluster.node_count], ['Keypair', cluster.keypair],
          ['Node flavor', cluster.flavor_id], ['Master flavor', cluster.master_flavor_id], ['Docker volume size (GB)', cluster.docker_volume_size],
          ['Create timeout (minutes)', cluster.create_timeout], ['Discovery URL', cluster.discovery_url],
          ['Cluster (stack) ID', cluster.cluster_id ?? cluster.stack_id], ['Project', cluster.project_id], ['User', cluster.user_id],
          ['Created', timeEl(cluster.created_at)], ['Updated', timeEl(cluster.updated_at)],
        ])),
        h('div', {},
          h('section', { class: 'card', 'aria-labelledby': 'addr-h' }, h('h2', { id: 'addr-h' }, 'Addresses'), addresses(cluster)),
          h('section', { class: 'card', 'aria-labelledby': 'lbl-h' }, h('h2', { id: 'lbl-h' }, 'Labels'), labelsTable(cluster.labels, null),
            Object.keys(cluster.labels_overridden || {}).length ? labelsTable(cluster.labels_overridden, 'Overridden (template value)') : null,
            Object.keys(cluster.labels_added || {}).length ? labelsTable(cluster.labels_added, 'Added (not in the template)') : null,
            Object.keys(cluster.labels_skipped || {}).length ? labelsTable(cluster.labels_skipped, 'Skipped (template labels not applied)') : null)))));
    } else if (active === 'nodegroups') {
      const busy = isBusy(cluster.status);
      const busyTitle = busy ? 'The cluster is busy: wait for its operation to finish.' : null;
      const addBtn = button('Add nodegroup', () => openNodegroupDialog(cluster, nodegroups, refresh),
        { 'data-focus-key': 'ng-add', disabled: busy || null, title: busyTitle });
      const rowActions = (ng) => {
        if (ng.role === 'master') return '—';
        const resize = button('Resize', () => openScaleDialog(cluster, nodegroups, refresh, ng.name),
          { 'aria-label': `Resize ${ng.name}`, 'data-focus-key': `ng-resize-${ng.name}`, disabled: busy || null, title: busyTitle });
        if (ng.is_default) return resize;
        const remove = button('Delete', () => deleteNodegroup(cluster, ng, refresh, ngError),
          { kind: 'danger', 'aria-label': `Delete ${ng.name}`, 'data-focus-key': `ng-delete-${ng.name}`, disabled: busy || null, title: busyTitle });
        return h('div', { class: 'actions' }, resize, remove);
      };
      keepFocus(p.nodegroups, () => p.nodegroups.replaceChildren(h('div', { class: 'actions' }, addBtn), ngError, table({
        caption: 'Nodegroups',
        columns: [
          { label: 'Name', key: 'name' },
          { label: 'Role', key: 'role' },
          { label: 'Status', render: (ng) => h('div', {}, statusBadge(ng.status), ng.status_reason ? h('div', { class: 'reason' }, ng.status_reason) : null) },
          { label: 'Nodes', key: 'node_count', class: 'num' },
          { label: 'Min', key: 'min_node_count', class: 'num' },
          { label: 'Max', key: 'max_node_count', class: 'num' },
          { label: 'Flavor', key: 'flavor_id' },
          { label: 'Image', key: 'image_id', class: 'mono' },
          { label: 'Addresses', render: (ng) => ((ng.node_addresses || []).length ? h('ul', { class: 'plain mono' }, ng.node_addresses.map((a) => h('li', {}, a))) : '—') },
          { label: 'Node labels', render: (ng) => (Object.keys(ng.node_labels || {}).length ? h('pre', { class: 'plain mono' }, formatLabels(ng.node_labels)) : '—') },
          { label: 'Default', render: (ng) => dash(Boolean(ng.is_default)) },
          { label: 'Actions', render: rowActions, class: 'row-actions' },
        ],
        rows: nodegroups,
        rowAttrs: (ng) => ({ 'data-nodegroup': ng.name }),
        empty: 'No nodegroups.',
      })));
    } else if (active === 'timeline') {
      keepFocus(p.timeline, () => p.timeline.replaceChildren(
        h('p', { class: 'muted small' }, 'Dockyard extension: every step the service took for this cluster (GET /v1/clusters/{id}/events).'),
        ...(timeline ? timelineView(timeline) : [h('p', {}, 'Loading…')])));
    } else if (active === 'ca' && !p.ca.childElementCount) {
      renderCa(p.ca);
    }
  }

  function renderCa(panel) {
    const out = h('div', {});
    const show = button('Show CA certificate', async () => {
      try {
        const ca = await api.get(`/v1/certificates/${enc(uuid)}`);
        out.replaceChildren(
          h('pre', { class: 'code pem', 'aria-label': 'CA certificate (PEM)' }, ca.pem),
          h('div', { class: 'actions' }, button('Download ca.pem', () => download(`${cluster.name || uuid}-ca.pem`, ca.pem, 'application/x-pem-file'))));
      } catch (err) {
        out.replaceChildren(errorBox(err, { context: 'Could not read the CA' }));
      }
    }, { kind: 'primary' });
    const rotate = button('Rotate CA', async () => {
      const ok = await confirmDialog({ title: 'Rotate the cluster CA', message: 'Replace the cluster\'s CA? Configs made with the old CA stop working; download a new one afterwards.', confirmLabel: 'Rotate CA', danger: true });
      if (!ok) return;
      try {
        await api.patch(`/v1/certificates/${enc(uuid)}`, {});
        toast('CA rotation accepted.', 'good');
        out.replaceChildren();
        refresh();
      } catch (err) {
        out.replaceChildren(errorBox(err, { context: 'Could not rotate the CA' }));
      }
    }, { kind: 'danger' });
    if (!can('certificate:rotate_ca')) rotate.hidden = true;
    else if (!clusterMay('rotate_ca', cluster.status)) {
      rotate.disabled = true;
      rotate.title = `The CA can be rotated once the cluster is ready (it is ${cluster.status}).`;
    }
    panel.replaceChildren(h('p', {}, 'The cluster\'s certificate authority signs the client certificates in downloaded configs.'),
      h('div', { class: 'actions' }, show, rotate), out);
  }

  let gone = false;
  let lastSignature = null;
  async function load() {
    try {
      cluster = await api.get(`/v1/clusters/${enc(uuid)}`);
    } catch (err) {
      if (err.status === 404) {
        gone = true;
        statusPanel.replaceChildren(h('p', { role: 'status' }, 'This cluster no longer exists. ', h('a', { href: '#/clusters' }, 'Back to clusters'), '.'));
        [scaleBtn, configBtn, deleteBtn].forEach((b) => { b.disabled = true; });
        return false;
      }
      throw err;
    }
    const [tl, ngs, tpl] = await Promise.all([
      fetchTimeline(uuid, timeline).catch(() => timeline),
      api.get(`/v1/clusters/${enc(uuid)}/nodegroups`).then((b) => Promise.all(b.nodegroups.map((ng) => api.get(`/v1/clusters/${enc(uuid)}/nodegroups/${enc(ng.uuid)}`).catch(() => ng)))).catch(() => nodegroups),
      template && template.uuid === cluster.cluster_template_id ? template : api.get(`/v1/clustertemplates/${enc(cluster.cluster_template_id)}`).catch(() => null),
    ]);
    timeline = tl;
    nodegroups = ngs;
    template = tpl;
    pageError.replaceChildren();
    renderStatus();
    // The tabs re-render only when their data changed (no flicker; focus and selection stay).
    const signature = JSON.stringify([cluster, nodegroups, template, timeline]);
    if (signature !== lastSignature) renderPanels();
    lastSignature = signature;
    return isBusy(cluster.status) || (timeline && timeline.operations.some((o) => o.state === 'PENDING' || o.state === 'RUNNING'));
  }

  async function tick() {
    if (gone) return false;
    try {
      return await load();
    } catch (err) {
      pageError.replaceChildren(errorBox(err, { context: 'Could not refresh this cluster' }));
      return true;
    }
  }

  let stop = null;
  function refresh() {
    if (stop) stop.poke();
  }

  await load();
  stop = poller(tick);
  return stop;
}
