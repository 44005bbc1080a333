// Progress of a cluster's running operation, from its timeline (GET /v1/clusters/{id}/events):
// drivers report steps as `<kind>.progress` events carrying `progress`, the fraction done.

import { api, enc } from '../api.js';
import { h } from '../dom.js';

export function activeOperation(timeline) {
  return ((timeline && timeline.operations) || []).find((o) => o.state === 'PENDING' || o.state === 'RUNNING') || null;
}

// The last progress step of `operation` in `events`, or null.
export function lastStep(events, operation) {
  if (!operation) return null;
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const e = events[i];
    if (e.operation_id === operation.uuid && e.event.endsWith('.progress')) return e;
  }
  return null;
}

// The latest step of each node (or resource) of `operation`: drivers write step messages as
// "<node>: <what happened>". Returns [[node, what], ...] in the order nodes first reported.
export function nodeSteps(events, operation) {
  const latest = new Map();
  if (!operation) return [];
  for (const e of events) {
    if (e.operation_id !== operation.uuid || !e.event.endsWith('.progress')) continue;
    const at = (e.message || '').indexOf(': ');
    if (at > 0) latest.set(e.message.slice(0, at), e.message.slice(at + 2));
  }
  return [...latest];
}

export function nodeStepsView(steps) {
  if (!steps.length) return null;
  return h('ul', { class: 'plain small node-steps', 'aria-label': 'Progress per node' },
    steps.map(([node, what]) => h('li', { 'data-node': node }, h('code', {}, node), ` ${what}`)));
}

export function percent(fraction) {
  return fraction === null || fraction === undefined ? null : Math.round(fraction * 100);
}

// A progress bar with the step's message: "40% · dock-worker-0: engine started".
export function progressView(step) {
  if (!step) return null;
  const pct = percent(step.progress);
  return h('div', { class: 'progress-step', 'data-progress': pct === null ? '' : String(pct), role: 'status' },
    pct === null ? null : h('progress', { max: '100', value: String(pct), 'aria-label': `${pct}% done` }),
    h('span', { class: 'small' }, pct === null ? step.message : `${pct}% · ${step.message}`));
}

// Follows the timelines of busy clusters for a list: only the events after the last one seen.
export function timelineFollower() {
  const seen = new Map(); // uuid -> { after, step, operation }
  return {
    async update(uuid) {
      const known = seen.get(uuid) || { after: null, step: null, operation: null };
      const query = known.after === null ? '' : `?after=${known.after}`;
      const body = await api.get(`/v1/clusters/${enc(uuid)}/events${query}`);
      const operation = activeOperation(body);
      const step = lastStep(body.events, operation) || (operation && known.step && known.step.operation_id === operation.uuid ? known.step : null);
      const after = body.events.length ? body.events[body.events.length - 1].id : known.after;
      seen.set(uuid, { after, step, operation });
      return step;
    },
    step(uuid) {
      const known = seen.get(uuid);
      return known ? known.step : null;
    },
    forget(uuid) {
      seen.delete(uuid);
    },
  };
}
