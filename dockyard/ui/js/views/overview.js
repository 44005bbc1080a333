// Overview: counts by state (clusters, health, volumes, containers), the most recent failures,
// and the certificates that expire first. Each part loads on its own, so a deployment without
// containers (or a caller who may not list them) still sees the rest.

import { enc, listAll, api } from '../api.js';
import { errorBox, fmtTime, h, healthBadge, isBusy, pageHeader, statusBadge, table, timeEl } from '../dom.js';
import { POLL_BUSY_MS, POLL_IDLE_MS, poller } from './clusters.js';
import { containerBadge } from './containers.js';
import { volumeBadge } from './volumes.js';

const RECENT_FAILURES = 5;
const CERTS_SHOWN = 5;
// Certificate expiry is read per cluster; beyond this many clusters the card says so.
const CERT_CLUSTERS_MAX = 50;

function countBy(items, value) {
  const counts = new Map();
  for (const item of items) counts.set(value(item), (counts.get(value(item)) || 0) + 1);
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || String(a[0]).localeCompare(String(b[0])));
}

function countCard({ title, id, items, value, badge, link, error }) {
  const body = error
    ? errorBox(error, { context: `Could not list ${title.toLowerCase()}` })
    : [h('p', { class: 'big-number', 'data-total': id }, String(items.length)),
      items.length
        ? h('ul', { class: 'count-list' }, countBy(items, value).map(([state, n]) => h('li', { 'data-count': `${id}:${state}` }, badge(state, { live: false }), h('span', { class: 'count' }, String(n)))))
        : h('p', { class: 'muted' }, 'None yet.')];
  return h('section', { class: 'card', 'aria-labelledby': `ov-${id}` },
    h('h2', { id: `ov-${id}` }, h('a', { href: link }, title)), body);
}

async function settle(promise) {
  try {
    return { value: await promise };
  } catch (error) {
    return { error };
  }
}

// The soonest-expiring certificate of each cluster that has any.
async function certificateExpiry(clusters) {
  const candidates = clusters.filter((c) => !isBusy(c.status) && !String(c.status).startsWith('CREATE_FAILED') && !String(c.status).startsWith('DELETE'));
  const chosen = candidates.slice(0, CERT_CLUSTERS_MAX);
  const rows = await Promise.all(chosen.map(async (c) => {
    try {
      const body = await api.get(`/v1/clusters/${enc(c.uuid)}/certificates`);
      const first = (body.certificates || [])[0];
      return first ? { cluster: c, cert: first } : null;
    } catch {
      return null;
    }
  }));
  return {
    rows: rows.filter(Boolean).sort((a, b) => a.cert.days_left - b.cert.days_left).slice(0, CERTS_SHOWN),
    skipped: candidates.length - chosen.length,
  };
}

export async function renderOverview(main) {
  const counts = h('div', { class: 'overview-grid' });
  const failures = h('section', { class: 'card', 'aria-labelledby': 'ov-failures' });
  const certs = h('section', { class: 'card', 'aria-labelledby': 'ov-certs' });
  const updated = h('p', { class: 'muted small', 'aria-live': 'off' });
  main.append(pageHeader('Overview'), counts, h('div', { class: 'columns' }, failures, certs), updated);
  let lastSignature = null;
  const tick = async () => {
    const [clusters, volumes, containers] = await Promise.all([
      settle(listAll('/v1/clusters/detail', 'clusters')),
      settle(listAll('/v1/volumes', 'volumes')),
      settle(listAll('/v1/containers', 'containers')),
    ]);
    const clusterList = clusters.value || [];
    const expiry = clusters.value ? await certificateExpiry(clusterList) : { rows: [], skipped: 0 };
    const signature = JSON.stringify([clusters, volumes, containers, expiry].map((r) => (r.error ? String(r.error) : r.value ?? r)));
    if (signature !== lastSignature) {
      counts.replaceChildren(
        countCard({ title: 'Clusters', id: 'clusters', items: clusterList, value: (c) => c.status, badge: statusBadge, link: '#/clusters', error: clusters.error }),
        countCard({ title: 'Cluster health', id: 'health', items: clusterList, value: (c) => c.health_status || 'UNKNOWN', badge: (s) => healthBadge(s), link: '#/clusters', error: clusters.error }),
        countCard({ title: 'Volumes', id: 'volumes', items: volumes.value || [], value: (v) => v.status, badge: (s) => volumeBadge(s), link: '#/volumes', error: volumes.error }),
        countCard({ title: 'Containers', id: 'containers', items: containers.value || [], value: (c) => c.status, badge: (s) => containerBadge(s), link: '#/containers', error: containers.error }));
      const failed = clusterList.filter((c) => String(c.status).endsWith('_FAILED'))
        .sort((a, b) => String(b.updated_at || b.created_at).localeCompare(String(a.updated_at || a.created_at)))
        .slice(0, RECENT_FAILURES);
      failures.replaceChildren(h('h2', { id: 'ov-failures' }, 'Recent failures'), table({
        columns: [
          { label: 'Cluster', render: (c) => h('a', { href: `#/clusters/${enc(c.uuid)}?tab=timeline` }, c.name || c.uuid) },
          { label: 'Status', render: (c) => h('div', {}, statusBadge(c.status), c.status_reason ? h('div', { class: 'reason' }, c.status_reason) : null) },
          { label: 'When', render: (c) => timeEl(c.updated_at || c.created_at) },
        ],
        rows: failed,
        rowAttrs: (c) => ({ 'data-failure': c.name || c.uuid }),
        empty: 'No failed clusters.',
      }));
      certs.replaceChildren(h('h2', { id: 'ov-certs' }, 'Certificates expiring first'), table({
        columns: [
          { label: 'Cluster', render: (r) => h('a', { href: `#/clusters/${enc(r.cluster.uuid)}` }, r.cluster.name || r.cluster.uuid) },
          { label: 'Certificate', render: (r) => `${r.cert.kind} ${r.cert.name || ''}`.trim() },
          { label: 'Expires', render: (r) => timeEl(r.cert.not_after) },
          { label: 'Days left', class: 'num', render: (r) => h('span', { class: r.cert.expired || r.cert.renew_due ? 'bad-text' : null, 'data-days-left': String(r.cert.days_left) },
            r.cert.expired ? 'expired' : String(r.cert.days_left), r.cert.renew_due && !r.cert.expired ? ' (renew due)' : '') },
        ],
        rows: expiry.rows,
        rowAttrs: (r) => ({ 'data-cert-cluster': r.cluster.name || r.cluster.uuid }),
        empty: 'No cluster certificates recorded yet.',
      }), expiry.skipped ? h('p', { class: 'muted small' }, `${expiry.skipped} more clusters not checked; see each cluster's page.`) : null);
    }
    lastSignature = signature;
    const busy = clusterList.some((c) => isBusy(c.status));
    updated.textContent = `Updated ${fmtTime(new Date().toISOString())}; refreshes every ${(busy ? POLL_BUSY_MS : POLL_IDLE_MS) / 1000} s.`;
    return busy;
  };
  await tick();
  return poller(tick);
}
