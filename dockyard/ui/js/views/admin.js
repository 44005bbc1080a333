// Admin views: quotas (all projects), stats, and Dockyard's own services. The API's policy
// decides who may see them; a refusal is shown in the API's words.

import { api, enc, listAll } from '../api.js';
import { button, confirmDialog, errorBox, h, openDialog, pageHeader, timeEl, toast } from '../dom.js';
import { dialogForm, field, validate } from '../forms.js';
import { listView } from '../lib/listview.js';
import { can } from '../session.js';
import { poller } from './clusters.js';

function openQuotaDialog({ quota = null, onSaved }) {
  const project = field({ name: 'project_id', label: 'Project ID', required: true, value: quota ? quota.project_id : '' });
  const limit = field({ name: 'hard_limit', label: 'Maximum clusters', type: 'number', min: 0, required: true, value: quota ? String(quota.hard_limit) : '20',
    hint: 'How many clusters the project may have at once.' });
  if (quota) project.input.readOnly = true;
  let dlg;
  const form = dialogForm({
    fields: [project, limit],
    submitLabel: quota ? 'Save quota' : 'Create quota',
    onCancel: () => dlg.close(),
    onSubmit: async () => {
      const { ok, values } = validate([project, limit]);
      if (!ok) return;
      const body = { project_id: values.project_id.trim(), resource: 'Cluster', hard_limit: Number(values.hard_limit) };
      if (quota) await api.patch(`/v1/quotas/${enc(quota.project_id)}/${enc(quota.resource)}`, body);
      else await api.post('/v1/quotas', body);
      dlg.close();
      toast(`Quota for project ${body.project_id} saved.`, 'good');
      onSaved();
    },
  });
  dlg = openDialog({ title: quota ? `Edit quota of ${quota.project_id}` : 'Create quota', body: form });
}

export async function renderQuotas(main) {
  const errorSlot = h('div', { id: 'page-error' });
  const remove = (q) => api.delete(`/v1/quotas/${enc(q.project_id)}/${enc(q.resource)}`);
  const list = listView({
    noun: 'quotas',
    rowKey: (q) => `${q.project_id}/${q.resource}`,
    rowAttrs: (q) => ({ 'data-quota': q.project_id }),
    empty: 'No quotas set: every project has the default.',
    search: (q) => [q.project_id, q.resource, q.hard_limit].join(' '),
    initialSort: { index: 0, dir: 'asc' },
    bulkDelete: can('quota:delete') ? { name: (q) => q.project_id, run: remove, onDone: () => reload() } : null,
    columns: [
      { label: 'Project', key: 'project_id', class: 'mono' },
      { label: 'Resource', key: 'resource' },
      { label: 'Maximum', key: 'hard_limit', class: 'num' },
      { label: 'Updated', sort: (q) => q.updated_at || q.created_at, render: (q) => timeEl(q.updated_at || q.created_at) },
      { label: 'Actions', class: 'row-actions', render: (q) => h('div', { class: 'actions' },
        button('Edit', () => openQuotaDialog({ quota: q, onSaved: reload }), { 'aria-label': `Edit quota of ${q.project_id}` }),
        button('Delete', async () => {
          if (!(await confirmDialog({ title: 'Delete quota', message: `Delete the quota of project ${q.project_id}? It falls back to the default.`, confirmLabel: 'Delete quota', danger: true }))) return;
          try {
            await remove(q);
            toast(`Quota of ${q.project_id} deleted.`, 'good');
            reload();
          } catch (err) {
            errorSlot.replaceChildren(errorBox(err, { context: 'Could not delete the quota' }));
          }
        }, { kind: 'danger', 'aria-label': `Delete quota of ${q.project_id}` })) },
    ],
  });
  async function reload() {
    try {
      list.update(await listAll('/v1/quotas?all_tenants=True', 'quotas'));
      errorSlot.replaceChildren();
    } catch (err) {
      errorSlot.replaceChildren(errorBox(err, { context: 'Could not list quotas' }));
    }
  }
  main.append(pageHeader('Quotas', can('quota:create') ? button('Create quota', () => openQuotaDialog({ onSaved: reload }), { kind: 'primary' }) : null),
    h('p', { class: 'lead' }, 'Cluster quotas per project. Projects without one get the default from the service configuration.'),
    errorSlot, list.element);
  await reload();
}

export async function renderStats(main) {
  const out = h('div', {});
  const errorSlot = h('div', { id: 'page-error' });
  const projectField = field({ name: 'project_id', label: 'Project ID (empty: every project you may see)' });
  const form = h('form', { class: 'inline-form', novalidate: true }, projectField.wrapper, h('button', { type: 'submit', class: 'secondary' }, 'Show'));
  const load = async () => {
    const project = projectField.input.value.trim();
    try {
      const stats = await api.get(`/v1/stats${project ? `?project_id=${enc(project)}` : ''}`);
      errorSlot.replaceChildren();
      out.replaceChildren(h('div', { class: 'stat-cards' },
        h('div', { class: 'card stat' }, h('p', { class: 'stat-value', 'data-stat': 'clusters' }, String(stats.clusters)), h('p', { class: 'stat-label' }, 'Clusters')),
        h('div', { class: 'card stat' }, h('p', { class: 'stat-value', 'data-stat': 'nodes' }, String(stats.nodes)), h('p', { class: 'stat-label' }, 'Nodes (masters and workers)'))));
    } catch (err) {
      out.replaceChildren();
      errorSlot.replaceChildren(errorBox(err, { context: 'Could not read the stats' }));
    }
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(); });
  main.append(pageHeader('Stats'), form, errorSlot, out);
  await load();
}

export async function renderServices(main) {
  const errorSlot = h('div', { id: 'page-error' });
  const list = listView({
    noun: 'services',
    rowKey: (s) => String(s.id),
    empty: 'No services have reported.',
    search: (s) => [s.binary, s.host, s.state].join(' '),
    filter: { label: 'State', value: (s) => s.state },
    initialSort: { index: 0, dir: 'asc' },
    columns: [
      { label: 'Binary', key: 'binary' },
      { label: 'Host', key: 'host', class: 'mono' },
      { label: 'State', key: 'state', render: (s) => h('span', { class: `badge ${s.state === 'up' ? 'good' : 'bad'}` }, s.state) },
      { label: 'Disabled', render: (s) => (s.disabled ? `Yes${s.disabled_reason ? `: ${s.disabled_reason}` : ''}` : 'No') },
      { label: 'Reports', key: 'report_count', class: 'num' },
      { label: 'Last report', sort: (s) => s.updated_at || s.created_at, render: (s) => timeEl(s.updated_at || s.created_at) },
    ],
  });
  main.append(pageHeader('Services'), h('p', { class: 'lead' }, 'Dockyard\'s API and conductor processes and their last report.'), errorSlot, list.element);
  let lastSignature = null;
  const tick = async () => {
    try {
      const body = await api.get('/v1/mservices');
      errorSlot.replaceChildren();
      const signature = JSON.stringify(body.mservices);
      if (signature !== lastSignature) list.update(body.mservices);
      lastSignature = signature;
    } catch (err) {
      errorSlot.replaceChildren(errorBox(err, { context: 'Could not list services' }));
    }
    return false;
  };
  await tick();
  return poller(tick);
}
