// DOM building without HTML strings: every value, whoever sent it, becomes a text node or an
// attribute value set through the DOM, never markup (README → Portal).

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

function setAttributes(element, attrs) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name === 'on') {
      for (const [type, listener] of Object.entries(value)) element.addEventListener(type, listener);
    } else if (name === 'class') {
      element.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    } else if (/^on/i.test(name)) {
      throw new Error(`event handler attributes are not allowed: ${name}`);
    } else if (name === 'value' || name === 'checked' || name === 'selected' || name === 'disabled') {
      element[name] = value;
    } else {
      element.setAttribute(name, value === true ? '' : String(value));
    }
  }
}

/** h('p', {class: 'x'}, 'text', child, …): an element; strings become text nodes. */
export function h(tag, attrs, ...children) {
  const element = document.createElement(tag);
  setAttributes(element, attrs);
  append(element, children);
  return element;
}

/** The same for SVG elements. */
export function svg(tag, attrs, ...children) {
  const element = document.createElementNS(SVG_NS, tag);
  setAttributes(element, attrs);
  append(element, children);
  return element;
}

/** Replaces the children of `element` (null, undefined and false are skipped). */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

export function clear(element) {
  element.replaceChildren();
  return element;
}

/** Visually hidden, read by screen readers. */
export function srOnly(...children) {
  return h('span', { class: 'sr-only' }, ...children);
}

export function formatTime(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  return date.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

export function relativeTime(iso) {
  if (!iso) return '';
  const seconds = Math.round((Date.parse(iso) - Date.now()) / 1000);
  if (Number.isNaN(seconds)) return '';
  const units = [
    ['day', 86400],
    ['hour', 3600],
    ['minute', 60],
    ['second', 1],
  ];
  const format = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size || unit === 'second')
      return format.format(Math.round(seconds / size), unit);
  }
  return '';
}

/** A <time> showing a readable date, with the exact ISO value as its datetime and title. */
export function time(iso) {
  if (!iso) return h('span', { class: 'muted' }, '—');
  return h('time', { datetime: iso, title: iso }, formatTime(iso));
}

export function badge(text, kind) {
  return h('span', { class: ['badge', `badge-${kind}`] }, text);
}

export function notice(kind, ...children) {
  return h(
    'div',
    { class: ['notice', `notice-${kind}`], role: kind === 'error' ? 'alert' : 'status' },
    ...children,
  );
}

export function emptyState(title, ...children) {
  return h('div', { class: 'empty' }, h('p', { class: 'empty-title' }, title), ...children);
}

/** Pretty-prints JSON text when it is JSON; otherwise returns the text as it is. */
export function prettyJson(text) {
  if (typeof text !== 'string') return JSON.stringify(text, null, 2);
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
}

/** Preformatted text (may scroll, so it takes keyboard focus). */
export function codeBlock(text, extraClass) {
  return h('pre', { class: ['code', extraClass], tabindex: 0 }, text);
}

/** A copy-to-clipboard button for `value`. */
export function copyButton(value, label = 'Copy') {
  const button = h('button', { type: 'button', class: 'btn btn-small' }, label);
  button.addEventListener('click', async () => {
    try {
      await navigator.clipboard.writeText(value);
      button.textContent = 'Copied';
    } catch {
      button.textContent = 'Select and copy';
    }
    setTimeout(() => (button.textContent = label), 2000);
  });
  return button;
}
