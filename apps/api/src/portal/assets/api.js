// The portal's calls to /portal/api: same operations and error bodies as the REST API, behind the
// session cookie. Every state-changing request carries the session's CSRF token.

const BASE = '/portal/api';

let session = null;

export class ApiError extends Error {
  constructor(status, body) {
    super(body && typeof body.message === 'string' ? body.message : `Request failed (${status})`);
    this.status = status;
    /** [{field, message}] for validation errors. */
    this.errors = Array.isArray(body?.errors) ? body.errors : [];
  }
}

async function call(method, path, body, base = BASE) {
  const headers = { accept: 'application/json' };
  if (method !== 'GET') {
    headers['x-csrf-token'] = session?.csrfToken ?? '';
    if (body !== undefined) headers['content-type'] = 'application/json';
  }
  const response = await fetch(base + path, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: 'same-origin',
    cache: 'no-store',
  });
  const text = await response.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

export async function loadSession() {
  session = await call('GET', '/session');
  return session;
}

export function currentSession() {
  return session;
}

/** Whether the session may change webhooks (scope `webhook`); webhook.readonly sees no write buttons. */
export function canWrite() {
  return Boolean(session && Array.isArray(session.scopes) && session.scopes.includes('webhook'));
}

const id = (value) => encodeURIComponent(value);

export const api = {
  listWebhooks: () => call('GET', '/webhooks'),
  getWebhook: (webhookId) => call('GET', `/webhooks/${id(webhookId)}`),
  createWebhook: (fields) => call('POST', '/webhooks', fields),
  updateWebhook: (webhookId, fields) => call('PUT', `/webhooks/${id(webhookId)}`, fields),
  deleteWebhook: (webhookId) => call('DELETE', `/webhooks/${id(webhookId)}`),
  ping: (webhookId) => call('POST', `/webhooks/${id(webhookId)}/ping`),
  rotateSecret: (webhookId) => call('POST', `/webhooks/${id(webhookId)}/secret`),
  recover: (webhookId, window) => call('POST', `/webhooks/${id(webhookId)}/recover`, window),
  stats: (webhookId) => call('GET', `/webhooks/${id(webhookId)}/stats`),
  deliveries: (webhookId, query) => {
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(query)) {
      if (value !== undefined && value !== null && value !== '') params.set(key, String(value));
    }
    const search = params.toString();
    return call('GET', `/webhooks/${id(webhookId)}/deliveries${search ? `?${search}` : ''}`);
  },
  attempt: (webhookId, attemptId) => call('GET', `/webhooks/${id(webhookId)}/deliveries/${id(attemptId)}`),
  redeliver: (webhookId, attemptId) =>
    call('POST', `/webhooks/${id(webhookId)}/deliveries/${id(attemptId)}/redeliver`),
  events: () => call('GET', '/events'),
  logout: () => call('POST', '/logout', undefined, '/portal'),
};

let catalog = null;

/** The event catalog, fetched once per page load. */
export async function eventCatalog() {
  catalog ??= api.events().catch((error) => {
    catalog = null;
    throw error;
  });
  return catalog;
}
