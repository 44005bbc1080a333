// Cluster templates: list, detail, create, edit (as a JSON patch of what changed), delete.

import { api, enc, listAll } from '../api.js';
import { button, confirmDialog, dash, dl, h, labelsTable, openDialog, pageHeader, timeEl, toast, errorBox } from '../dom.js';
import { dialogForm, field, formatLabels, labelsValidator, parseLabels, validate } from '../forms.js';
import { listView } from '../lib/listview.js';
import { can } from '../session.js';
import { openCreateClusterDialog } from './clusters.js';

// What Magnum lets change on a template that clusters use (one change per request).
const EDITABLE_IN_USE = new Set(['name', 'public', 'hidden', 'tags']);

// The images templates may name, when the deployment lists them (GET /v1/images: Dockyard's
// catalog; not in Glance mode). null: type a name or ID.
async function imageChoices() {
  try {
    const body = await api.get('/v1/images');
    return body.listed ? body.images : null;
  } catch {
    return null;
  }
}

// Clusters (that the caller can see) per template uuid.
async function clustersByTemplate() {
  const users = new Map();
  for (const c of await listAll('/v1/clusters', 'clusters')) {
    if (!users.has(c.cluster_template_id)) users.set(c.cluster_template_id, []);
    users.get(c.cluster_template_id).push(c.name || c.uuid);
  }
  return users;
}

const COES = ['kubernetes', 'swarm', 'swarm-mode', 'mesos'];
const NAME_RE = /^[a-zA-Z][a-zA-Z0-9_.-]*$/;

// [name, label, type, extra]: every writable attribute the API takes (schemas/clustertemplates.py).
const SECTIONS = [
  ['Basics', [
    ['name', 'Name', 'text', { hint: 'Letters, digits, "_", "." and "-", starting with a letter.', validate: (v) => (v && !NAME_RE.test(v) ? 'Name must start with a letter and use only letters, digits, "_", "." and "-".' : null) }],
    ['coe', 'Container orchestration engine', 'select', { required: true, options: COES.map((c) => [c, c]) }],
    ['image_id', 'Image', 'text', { required: true, hint: 'Name or ID of an image whose os_distro fits the COE, e.g. fedora-atomic-latest.' }],
    ['server_type', 'Server type', 'select', { options: [['', '(default: vm)'], ['vm', 'vm'], ['bm', 'bm']] }],
    ['keypair_id', 'Keypair', 'text', {}],
    ['tags', 'Tags', 'text', {}],
    ['public', 'Public (visible to every project; admin only)', 'checkbox', {}],
    ['hidden', 'Hidden (admin only)', 'checkbox', {}],
  ]],
  ['Nodes', [
    ['flavor_id', 'Node flavor', 'text', {}],
    ['master_flavor_id', 'Master flavor', 'text', {}],
    ['docker_volume_size', 'Docker volume size (GB)', 'number', { min: 1 }],
    ['docker_storage_driver', 'Docker storage driver', 'text', {}],
    ['volume_driver', 'Volume driver', 'select', { options: [['', '(none)'], ['cinder', 'cinder (kubernetes)'], ['rexray', 'rexray (swarm, mesos)']] }],
  ]],
  ['Network', [
    ['network_driver', 'Network driver', 'select', { options: [['', '(default for the COE)'], ['flannel', 'flannel'], ['calico', 'calico'], ['docker', 'docker']] }],
    ['external_network_id', 'External network', 'text', {}],
    ['fixed_network', 'Fixed network', 'text', {}],
    ['fixed_subnet', 'Fixed subnet', 'text', {}],
    ['dns_nameserver', 'DNS nameserver', 'text', {}],
    ['apiserver_port', 'API server port', 'number', { min: 1024, max: 65535 }],
    ['http_proxy', 'HTTP proxy', 'text', {}],
    ['https_proxy', 'HTTPS proxy', 'text', {}],
    ['no_proxy', 'No proxy', 'text', {}],
    ['insecure_registry', 'Insecure registry', 'text', {}],
    ['master_lb_enabled', 'Master load balancer', 'checkbox', {}],
    ['floating_ip_enabled', 'Floating IPs', 'checkbox', {}],
    ['registry_enabled', 'Docker registry in the cluster', 'checkbox', {}],
    ['tls_disabled', 'TLS disabled', 'checkbox', {}],
  ]],
];

const NUMBER_FIELDS = new Set(['docker_volume_size', 'apiserver_port']);

function buildFields(template, { images = null, inUse = false } = {}) {
  const sections = [];
  const fields = [];
  for (const [legend, specs] of SECTIONS) {
    const built = specs.map(([name, label, type, extra]) => {
      let value = template ? template[name] : undefined;
      if (!template && name === 'floating_ip_enabled') value = true;
      if (!template && name === 'coe') value = 'kubernetes';
      let spec = { name, label, type, value: value ?? (type === 'checkbox' ? false : ''), ...extra };
      if (name === 'image_id' && images) {
        const options = images.map((i) => [i.name, `${i.name} (${i.os_distro}${i.description ? `: ${i.description}` : ''})`]);
        if (spec.value && !images.some((i) => i.name === spec.value || i.id === spec.value)) options.unshift([spec.value, spec.value]);
        spec = { ...spec, type: 'select', options: [['', 'Choose an image…'], ...options], hint: 'The images of this deployment\'s catalog; os_distro selects the driver.' };
      }
      const f = field(spec);
      if (inUse && !EDITABLE_IN_USE.has(name)) f.input.disabled = true;
      fields.push(f);
      return f;
    });
    sections.push(h('fieldset', { class: 'grid' }, h('legend', {}, legend), built.map((f) => f.wrapper)));
  }
  const labels = field({
    name: 'labels',
    label: 'Labels',
    type: 'textarea',
    rows: 4,
    value: template ? formatLabels(template.labels) : '',
    placeholder: 'key=value, one per line',
    hint: 'One key=value per line (a line of several pairs is split on commas, as the CLI does).',
    validate: labelsValidator,
  });
  if (inUse) labels.input.disabled = true;
  fields.push(labels);
  sections.push(labels.wrapper);
  return { sections, fields };
}

function toApiValue(name, value) {
  if (typeof value === 'boolean') return value;
  if (name === 'labels') return parseLabels(value).labels;
  const text = String(value).trim();
  if (text === '') return null;
  return NUMBER_FIELDS.has(name) ? Number(text) : text;
}

function sameValue(a, b) {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

// The JSON patch from `original` to the form's values: only what changed.
export function templatePatch(original, values) {
  const ops = [];
  for (const [name, raw] of Object.entries(values)) {
    let value = toApiValue(name, raw);
    let before = original[name];
    if (name === 'labels') {
      before = before || {};
      if (sameValue(before, value)) continue;
      ops.push(Object.keys(value).length ? { op: 'replace', path: '/labels', value } : { op: 'remove', path: '/labels' });
      continue;
    }
    if (typeof value === 'boolean' && before === null) before = false;
    if (sameValue(before, value)) continue;
    if (value === null) ops.push({ op: 'remove', path: `/${name}` });
    else ops.push({ op: before === null || before === undefined ? 'add' : 'replace', path: `/${name}`, value });
  }
  return ops;
}

export async function openTemplateDialog({ template = null, usedBy = [], onSaved }) {
  const inUse = Boolean(template && usedBy.length);
  const { sections, fields } = buildFields(template, { images: await imageChoices(), inUse });
  let dlg;
  const form = dialogForm({
    fields: inUse
      ? [h('p', { class: 'note', role: 'note' }, `In use by ${usedBy.join(', ')}: only the name, public, hidden and tags can change.`), ...sections]
      : sections,
    submitLabel: template ? 'Save changes' : 'Create template',
    onCancel: () => dlg.close(),
    onSubmit: async (errorSlot) => {
      const { ok, values } = validate(fields);
      if (!ok) return;
      let saved;
      if (template) {
        const ops = templatePatch(template, values);
        if (!ops.length) {
          errorSlot.append(h('p', { class: 'note', role: 'status' }, 'Nothing changed.'));
          return;
        }
        // An in-use template takes one change per request (as Magnum); others take them all.
        for (const batch of inUse ? ops.map((op) => [op]) : [ops]) {
          saved = await api.patch(`/v1/clustertemplates/${enc(template.uuid)}`, batch);
        }
      } else {
        const body = {};
        for (const [name, raw] of Object.entries(values)) {
          const value = toApiValue(name, raw);
          if (value === null || value === false || (name === 'labels' && !Object.keys(value).length)) continue;
          body[name] = value;
        }
        if (values.floating_ip_enabled === false) body.floating_ip_enabled = false;
        saved = await api.post('/v1/clustertemplates', body);
      }
      dlg.close();
      toast(template ? `Cluster template ${saved.name || saved.uuid} saved.` : `Cluster template ${saved.name || saved.uuid} created.`, 'good');
      if (onSaved) onSaved(saved);
    },
  });
  dlg = openDialog({ title: template ? `Edit cluster template ${template.name || template.uuid}` : 'Create cluster template', body: form, wide: true });
  return dlg;
}

async function deleteTemplate(t, after) {
  const ok = await confirmDialog({
    title: 'Delete cluster template',
    message: `Delete cluster template ${t.name || t.uuid}?`,
    confirmLabel: 'Delete template',
    danger: true,
  });
  if (!ok) return;
  try {
    await api.delete(`/v1/clustertemplates/${enc(t.uuid)}`);
    toast(`Cluster template ${t.name || t.uuid} deleted.`, 'good');
    after();
  } catch (err) {
    const slot = document.getElementById('page-error');
    if (slot) slot.replaceChildren(errorBox(err, { context: `Could not delete cluster template ${t.name || t.uuid}` }));
  }
}

const deleteTemplateRequest = (t) => api.delete(`/v1/clustertemplates/${enc(t.uuid)}`);

export async function renderTemplates(main) {
  const canCreate = can('clustertemplate:create');
  const canDelete = can('clustertemplate:delete');
  const canCluster = can('cluster:create');
  const createBtn = canCreate ? button('Create cluster template', () => openTemplateDialog({ onSaved: (t) => { location.hash = `#/templates/${enc(t.uuid)}`; } }), { kind: 'primary' }) : null;
  let usedBy = new Map();
  const inUse = (t) => (usedBy.get(t.uuid) || []);
  const reload = async () => {
    const [templates, users] = await Promise.all([
      listAll('/v1/clustertemplates/detail', 'clustertemplates'),
      clustersByTemplate().catch(() => new Map()),
    ]);
    usedBy = users;
    list.update(templates);
  };
  const list = listView({
    noun: 'templates',
    rowKey: (t) => t.uuid,
    rowAttrs: (t) => ({ 'data-template': t.name || t.uuid }),
    empty: 'No cluster templates yet. Create one to start building clusters.',
    search: (t) => [t.name, t.uuid, t.coe, t.image_id, t.network_driver, t.tags].join(' '),
    filter: { label: 'COE', value: (t) => t.coe },
    initialSort: { index: 0, dir: 'asc' },
    bulkDelete: canDelete ? {
      name: (t) => t.name || t.uuid,
      run: deleteTemplateRequest,
      disabled: (t) => (inUse(t).length ? `In use by ${inUse(t).join(', ')}` : null),
      onDone: () => reload().catch(() => null),
    } : null,
    columns: [
      { label: 'Name', sort: (t) => t.name, render: (t) => h('a', { href: `#/templates/${enc(t.uuid)}` }, t.name || t.uuid) },
      { label: 'COE', key: 'coe' },
      { label: 'Image', key: 'image_id', class: 'mono' },
      { label: 'Network driver', key: 'network_driver' },
      { label: 'Public', sort: (t) => String(Boolean(t.public)), render: (t) => dash(Boolean(t.public)) },
      { label: 'Clusters', class: 'num', sort: (t) => inUse(t).length, render: (t) => h('span', { title: inUse(t).join(', ') || null }, String(inUse(t).length)) },
      { label: 'Created', key: 'created_at', render: (t) => timeEl(t.created_at) },
      { label: 'Actions', class: 'row-actions', render: (t) => h('div', { class: 'actions' },
        canCluster ? button('Create cluster', () => openCreateClusterDialog({ templateId: t.uuid }), { 'aria-label': `Create cluster from ${t.name || t.uuid}` }) : null,
        canDelete ? button('Delete', () => deleteTemplate(t, () => reload()), { kind: 'danger', 'aria-label': `Delete template ${t.name || t.uuid}`,
          disabled: inUse(t).length > 0, title: inUse(t).length ? `In use by ${inUse(t).join(', ')}` : null }) : null) },
    ],
  });
  main.append(pageHeader('Cluster templates', createBtn), h('div', { id: 'page-error' }), list.element);
  await reload();
}

export async function renderTemplate(main, ctx) {
  const [ident] = ctx.params;
  const [t, users] = await Promise.all([
    api.get(`/v1/clustertemplates/${enc(ident)}`),
    clustersByTemplate().catch(() => new Map()),
  ]);
  const usedBy = users.get(t.uuid) || [];
  const reload = () => { main.replaceChildren(); renderTemplate(main, ctx).then(() => document.getElementById('page-title')?.focus()); };
  const deleteBtn = can('clustertemplate:delete')
    ? button('Delete', () => deleteTemplate(t, () => { location.hash = '#/templates'; }), { kind: 'danger', disabled: usedBy.length > 0, 'aria-describedby': 'template-in-use' })
    : null;
  main.append(
    h('nav', { class: 'crumbs', 'aria-label': 'Breadcrumb' }, h('a', { href: '#/templates' }, 'Cluster templates'), ' / ', t.name || t.uuid),
    pageHeader(`Cluster template ${t.name || t.uuid}`,
      can('cluster:create') ? button('Create cluster', () => openCreateClusterDialog({ templateId: t.uuid }), { kind: 'primary' }) : null,
      can('clustertemplate:update') ? button('Edit', () => openTemplateDialog({ template: t, usedBy, onSaved: reload }), { 'aria-describedby': 'template-in-use' }) : null,
      deleteBtn),
    usedBy.length ? h('p', { class: 'muted small blocked-note', id: 'template-in-use' },
      `In use by ${usedBy.join(', ')}: it cannot be deleted, and only its name, public, hidden and tags can change. Delete those clusters first to delete it.`) : null,
    h('div', { id: 'page-error' }),
    h('div', { class: 'columns' },
      h('section', { class: 'card', 'aria-labelledby': 'tpl-basics' }, h('h2', { id: 'tpl-basics' }, 'Overview'), dl([
        ['ID', h('code', {}, t.uuid)],
        ['COE', t.coe], ['Image', t.image_id], ['Cluster distro', t.cluster_distro], ['Server type', t.server_type],
        ['Driver', t.driver], ['Keypair', t.keypair_id], ['Public', t.public], ['Hidden', t.hidden], ['Tags', t.tags],
        ['Project', t.project_id], ['Created', timeEl(t.created_at)], ['Updated', timeEl(t.updated_at)],
      ])),
      h('section', { class: 'card', 'aria-labelledby': 'tpl-infra' }, h('h2', { id: 'tpl-infra' }, 'Infrastructure'), dl([
        ['Node flavor', t.flavor_id], ['Master flavor', t.master_flavor_id],
        ['Docker volume size (GB)', t.docker_volume_size], ['Docker storage driver', t.docker_storage_driver],
        ['Volume driver', t.volume_driver], ['Network driver', t.network_driver],
        ['External network', t.external_network_id], ['Fixed network', t.fixed_network], ['Fixed subnet', t.fixed_subnet],
        ['DNS nameserver', t.dns_nameserver], ['API server port', t.apiserver_port],
        ['Master load balancer', t.master_lb_enabled], ['Floating IPs', t.floating_ip_enabled],
        ['Registry enabled', t.registry_enabled], ['TLS disabled', t.tls_disabled],
        ['HTTP proxy', t.http_proxy], ['HTTPS proxy', t.https_proxy], ['No proxy', t.no_proxy], ['Insecure registry', t.insecure_registry],
      ]))),
    h('section', { class: 'card' }, labelsTable(t.labels)));
}
