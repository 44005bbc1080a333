// The one place that talks to the v1 API: headers, JSON, and Magnum's error envelope.

import { authHeaders } from './auth.js';

// The page lives at <root>/ui/, the API at <root>/v1/: this keeps both working behind a prefix.
const ROOT = new URL('../', document.baseURI);
export const API_VERSION_HEADER = 'container-infra latest';

export class ApiError extends Error {
  // status: HTTP status (0 when the server could not be reached); detail: the API's own
  // words, shown verbatim; requestId: x-openstack-request-id, for the operator's logs.
  constructor({ status, title, detail, requestId = '', code = '' }) {
    super(detail || title || `HTTP ${status}`);
    this.status = status;
    this.title = title || '';
    this.detail = detail || '';
    this.requestId = requestId;
    this.code = code;
  }
}

const listeners = { unauthorized: [] };

export function onUnauthorized(fn) {
  listeners.unauthorized.push(fn);
}

export function apiUrl(path) {
  return new URL(path.replace(/^\//, ''), ROOT).toString();
}

async function errorFrom(response) {
  const requestId = response.headers.get('x-openstack-request-id') || '';
  const text = await response.text();
  try {
    const body = JSON.parse(text);
    const first = body && Array.isArray(body.errors) ? body.errors[0] : null;
    if (first) {
      return new ApiError({
        status: Number(first.status) || response.status,
        title: first.title,
        detail: first.detail,
        requestId: first.request_id || requestId,
        code: first.code,
      });
    }
  } catch {
    // not JSON: fall through and show the body as it came
  }
  return new ApiError({
    status: response.status,
    title: response.statusText,
    detail: text.trim() || response.statusText || `HTTP ${response.status}`,
    requestId,
  });
}

export async function request(method, path, body) {
  const headers = {
    Accept: 'application/json',
    'OpenStack-API-Version': API_VERSION_HEADER,
    ...authHeaders(),
  };
  const init = { method, headers, cache: 'no-store', credentials: 'same-origin' };
  if (body !== undefined) {
    headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(apiUrl(path), init);
  } catch (err) {
    throw new ApiError({ status: 0, title: 'Network error', detail: `Could not reach Dockyard: ${err.message}` });
  }
  if (!response.ok) {
    const error = await errorFrom(response);
    if (response.status === 401) listeners.unauthorized.forEach((fn) => fn(error));
    throw error;
  }
  if (response.status === 204) return null;
  const text = await response.text();
  return text ? JSON.parse(text) : null;
}

export const api = {
  get: (path) => request('GET', path),
  post: (path, body) => request('POST', path, body ?? {}),
  patch: (path, body) => request('PATCH', path, body),
  delete: (path) => request('DELETE', path),
};

// All pages of a list: follows Magnum's `next` links (the API caps each page at max_limit).
export async function listAll(path, key) {
  const items = [];
  let url = path;
  for (let i = 0; url && i < 50; i++) {
    const body = await api.get(url);
    items.push(...(body[key] || []));
    if (!body.next) break;
    const next = new URL(body.next);
    url = next.pathname.replace(/^.*?\/v1\//, '/v1/') + next.search;
  }
  return items;
}

export const enc = encodeURIComponent;
