// #/webhooks/new and #/webhooks/<id>/edit. Validation is the API's: its messages are shown next to
// the field they name.
import { api, ApiError, canWrite, currentSession, eventCatalog } from './api.js';
import { clear, h, notice } from './dom.js';

export async function renderWebhookForm(main, id) {
  if (!canWrite()) {
    clear(main).append(
      h('h1', null, 'Read-only access'),
      notice('info', 'This link can view webhooks but not change them.'),
    );
    return;
  }
  const [catalog, webhook] = await Promise.all([eventCatalog(), id ? api.getWebhook(id) : null]);
  const subscribable = catalog.filter((entry) => entry.name !== 'webhook.ping');
  const chosen = new Set((webhook?.events ?? []).map((event) => event.name));
  const errors = {};
  const formError = h('div', { 'aria-live': 'assertive' });

  const field = (name, label, control, hint) => {
    errors[name] = h('p', { class: 'field-error', id: `error-${name}` });
    const describedBy = [hint ? `hint-${name}` : null, `error-${name}`].filter(Boolean).join(' ');
    control.setAttribute('aria-describedby', describedBy);
    return h(
      'div',
      { class: 'field', 'data-field': name },
      h('label', { for: `field-${name}` }, label),
      hint ? h('p', { class: 'hint', id: `hint-${name}` }, hint) : null,
      control,
      errors[name],
    );
  };

  const url = h('input', {
    id: 'field-url',
    name: 'url',
    type: 'text',
    inputmode: 'url',
    autocomplete: 'off',
    spellcheck: 'false',
    value: webhook?.url ?? '',
    placeholder: 'https://example.com/webhooks',
  });
  const active = h('input', {
    id: 'field-active',
    name: 'active',
    type: 'checkbox',
    checked: webhook ? webhook.active : true,
  });
  const userId = h('input', {
    id: 'field-userId',
    name: 'userId',
    type: 'text',
    value: webhook?.userId ?? '',
    placeholder: 'Your user id',
  });
  const apiId = h('input', {
    id: 'field-apiId',
    name: 'apiId',
    type: 'text',
    value: webhook?.apiId ?? '',
    placeholder: 'All APIs',
  });
  const rateLimit = h('input', {
    id: 'field-rateLimit',
    name: 'rateLimit',
    type: 'text',
    inputmode: 'numeric',
    value: webhook?.rateLimit ?? '',
    placeholder: 'No limit',
  });
  const headers = h('textarea', {
    id: 'field-headers',
    name: 'headers',
    rows: 3,
    spellcheck: 'false',
    placeholder: 'Authorization: Bearer …',
  });
  headers.value = Object.entries(webhook?.headers ?? {})
    .map(([name, value]) => `${name}: ${value}`)
    .join('\n');
  const custom = h('textarea', {
    id: 'field-custom',
    name: 'custom',
    rows: 3,
    spellcheck: 'false',
    placeholder: '{"team": "platform"}',
  });
  custom.value = webhook?.custom ?? '';
  const filter = h('textarea', {
    id: 'field-filter',
    name: 'filter',
    rows: 3,
    spellcheck: 'false',
    placeholder: '{"resource": {"visibility": "public"}}',
  });
  filter.value = webhook?.filter ? JSON.stringify(webhook.filter, null, 2) : '';
  const choice = (name, options, current) =>
    h(
      'select',
      { id: `field-${name}`, name },
      ...options.map(([value, label]) => h('option', { value, selected: value === current }, label)),
    );
  const signing = choice(
    'signing',
    [
      ['hmac-sha256', 'HMAC-SHA256 (shared whsec_ secret)'],
      ['ed25519', 'Ed25519 (receivers verify with a public key)'],
    ],
    webhook?.signing ?? 'hmac-sha256',
  );
  const ordering = choice(
    'ordering',
    [
      ['none', 'None: deliveries run concurrently'],
      ['fifo', 'FIFO: one at a time, in publish order'],
    ],
    webhook?.ordering ?? 'none',
  );

  const eventBoxes = subscribable.map((entry) =>
    h(
      'label',
      { class: 'check' },
      h('input', { type: 'checkbox', name: 'events', value: entry.name, checked: chosen.has(entry.name) }),
      h(
        'span',
        null,
        h('code', null, entry.name),
        h('span', { class: 'muted' }, ` ${entry.description ?? ''}`),
      ),
    ),
  );
  errors.events = h('p', { class: 'field-error', id: 'error-events' });
  const events = h(
    'fieldset',
    { class: 'field', 'data-field': 'events', 'aria-describedby': 'error-events' },
    h('legend', null, 'Events'),
    h('div', { class: 'check-grid' }, ...eventBoxes),
    errors.events,
  );

  const submit = h(
    'button',
    { type: 'submit', class: 'btn btn-primary' },
    webhook ? 'Save changes' : 'Create webhook',
  );
  const cancelHref = webhook ? `#/webhooks/${encodeURIComponent(webhook.id)}` : '#/webhooks';
  const form = h(
    'form',
    { class: 'card form', novalidate: true },
    formError,
    field('url', 'Payload URL', url, 'Deliveries are HTTP POST requests to this URL.'),
    events,
    h(
      'div',
      { class: 'field field-inline', 'data-field': 'active' },
      active,
      h('label', { for: 'field-active' }, 'Active'),
      (errors.active = h('p', { class: 'field-error', id: 'error-active' })),
    ),
    h(
      'details',
      {
        class: 'advanced',
        open: Boolean(
          webhook &&
          (webhook.apiId ||
            webhook.rateLimit ||
            webhook.custom ||
            webhook.filter ||
            webhook.signing !== 'hmac-sha256' ||
            webhook.ordering !== 'none' ||
            Object.keys(webhook.headers ?? {}).length),
        ),
      },
      h('summary', null, 'More settings'),
      field('userId', 'User or organization', userId, 'Whose events are delivered; empty for your own.'),
      field('apiId', 'API id', apiId, 'Only this API’s events; empty for all.'),
      field('rateLimit', 'Rate limit', rateLimit, 'Deliveries per second at most; empty for no limit.'),
      field('headers', 'Custom headers', headers, 'One per line: Name: value'),
      field('custom', 'Custom data', custom, 'Any JSON, stored with the webhook.'),
      field(
        'filter',
        'Payload filter',
        filter,
        'A JSON object each delivered event must contain, e.g. only public APIs’ events; empty for every event.',
      ),
      field(
        'signing',
        'Signing',
        signing,
        webhook
          ? 'Changing it creates a new secret or key; the old one keeps signing alongside for a while.'
          : 'How deliveries are signed.',
      ),
      field('ordering', 'Ordering', ordering, 'FIFO holds each delivery until the one before has finished.'),
    ),
    h(
      'div',
      { class: 'form-actions' },
      submit,
      h('a', { class: 'btn btn-ghost', href: cancelHref }, 'Cancel'),
    ),
  );

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    for (const element of Object.values(errors)) element.textContent = '';
    for (const control of form.querySelectorAll('[aria-invalid]')) control.removeAttribute('aria-invalid');
    clear(formError);
    let body;
    try {
      body = collect();
    } catch (error) {
      return showErrors([{ field: error.field, message: error.message }], error.message);
    }
    submit.disabled = true;
    try {
      const saved = webhook ? await api.updateWebhook(webhook.id, body) : await api.createWebhook(body);
      // The portal API answers with a secret only when one was just made: on create, or a switch of signing.
      if (saved.secret)
        currentSession().pendingSecret = {
          webhookId: saved.id,
          secret: saved.secret,
          change: webhook ? 'switched' : 'created',
        };
      location.hash = `#/webhooks/${encodeURIComponent(saved.id)}`;
    } catch (error) {
      if (error instanceof ApiError && error.errors.length) showErrors(error.errors, error.message);
      else formError.append(notice('error', error.message));
    } finally {
      submit.disabled = false;
    }
  });

  function collect() {
    const body = {
      url: url.value.trim(),
      events: [...form.querySelectorAll('input[name="events"]:checked')].map((box) => ({ name: box.value })),
      active: active.checked,
    };
    const optional = (value) => (value.trim() === '' ? null : value.trim());
    if (userId.value.trim() !== '') body.userId = userId.value.trim();
    if (webhook || optional(apiId.value) !== null) body.apiId = optional(apiId.value);
    const limit = optional(rateLimit.value);
    if (webhook || limit !== null)
      body.rateLimit = limit === null ? null : /^-?\d+$/.test(limit) ? Number(limit) : limit;
    if (webhook || optional(custom.value) !== null)
      body.custom = custom.value.trim() === '' ? null : custom.value;
    const parsed = parseHeaders(headers.value);
    if (webhook || Object.keys(parsed).length) body.headers = parsed;
    const filterValue = parseFilter(filter.value);
    if (webhook || filterValue !== null) body.filter = filterValue;
    if (webhook ? signing.value !== webhook.signing : signing.value !== 'hmac-sha256')
      body.signing = signing.value;
    if (webhook ? ordering.value !== webhook.ordering : ordering.value !== 'none')
      body.ordering = ordering.value;
    return body;
  }

  function showErrors(list, message) {
    let placed = 0;
    for (const { field: name, message: text } of list) {
      const key = String(name ?? '').split('.')[0];
      const target = errors[key];
      if (!target) continue;
      target.textContent = target.textContent ? `${target.textContent} ${text}` : text;
      form
        .querySelector(
          `[data-field="${key}"] input, [data-field="${key}"] textarea, [data-field="${key}"] select`,
        )
        ?.setAttribute('aria-invalid', 'true');
      if (ADVANCED.includes(key)) form.querySelector('details.advanced').open = true;
      placed += 1;
    }
    formError.append(
      notice('error', placed === list.length ? 'Please correct the fields marked below.' : message),
    );
    form.querySelector('[aria-invalid="true"]')?.focus();
  }

  clear(main).append(
    h('p', { class: 'breadcrumb' }, h('a', { href: cancelHref }, webhook ? '← Webhook' : '← Webhooks')),
    h('div', { class: 'page-header' }, h('h1', null, webhook ? 'Edit webhook' : 'New webhook')),
    form,
  );
}

/** The fields under "More settings", opened when one of them has an error. */
const ADVANCED = ['userId', 'apiId', 'rateLimit', 'headers', 'custom', 'filter', 'signing', 'ordering'];

/** The filter's JSON (the API validates what it means); empty is null, no filter. */
function parseFilter(text) {
  if (text.trim() === '') return null;
  try {
    return JSON.parse(text);
  } catch (error) {
    const refused = new Error(`filter must be valid JSON (${error.message})`);
    refused.field = 'filter';
    throw refused;
  }
}

function parseHeaders(text) {
  const result = {};
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const colon = line.indexOf(':');
    if (colon <= 0) {
      const error = new Error(
        `Write each header as Name: value (“${line.trim().slice(0, 40)}” has no colon)`,
      );
      error.field = 'headers';
      throw error;
    }
    result[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
  }
  return result;
}
