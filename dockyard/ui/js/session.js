// What the signed-in caller may do, from GET /v1/capabilities: policy's answer for the rules
// behind each button and menu, and which cluster statuses allow which operation. The page hides
// or disables what would only be refused; the API still has the last word. Unknown (the call
// failed): everything is offered and the API's refusal is shown as usual.

import { api } from './api.js';

let caps = null;

export async function loadCapabilities() {
  try {
    caps = await api.get('/v1/capabilities');
  } catch {
    caps = null;
  }
  return caps;
}

export const capabilities = () => caps;

export function can(rule) {
  return !caps || !caps.rules || caps.rules[rule] !== false;
}

// Whether an operation of `kind` (resize, update, rotate_ca, …) may start from `status`.
export function clusterMay(kind, status) {
  const allowed = caps && caps.cluster_operations ? caps.cluster_operations[kind] : null;
  return !allowed || allowed.includes(status);
}
