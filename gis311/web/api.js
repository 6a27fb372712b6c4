// Talking to the gis311 API with the key kept in this tab's sessionStorage, and small DOM and
// formatting helpers. Every request to this server sends the key as `Authorization: Bearer`.

const KEY_STORE = 'gis311.key';
export const BASE = new URL('./', window.location.href);

export function url(path) {
  return new URL(path, BASE).toString();
}

export function storedKey() {
  return window.sessionStorage.getItem(KEY_STORE) || '';
}

export function storeKey(key) {
  if (key) window.sessionStorage.setItem(KEY_STORE, key);
  else window.sessionStorage.removeItem(KEY_STORE);
}

export function sameOrigin(target) {
  return new URL(target, BASE).origin === BASE.origin;
}

export function authHeaders(extra = {}) {
  const key = storedKey();
  return key ? { ...extra, Authorization: `Bearer ${key}` } : { ...extra };
}

export class ApiFailure extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

export async function request(path, init = {}) {
  const target = path.startsWith('http') ? path : url(path);
  const response = await fetch(target, {
    ...init,
    headers: sameOrigin(target) ? authHeaders(init.headers) : init.headers,
  });
  if (!response.ok) {
    let detail = response.statusText;
    try {
      detail = (await response.json()).detail || detail;
    } catch (_) { /* not a problem document */ }
    throw new ApiFailure(response.status, detail);
  }
  return response.status === 204 ? null : response.json();
}

export function patchJSON(path, body) {
  return request(path, {
    method: 'PATCH',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

// el('li', {class: 'x', onclick: f}, 'text', child): children are text or nodes, never HTML.
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) node.addEventListener(name.slice(2), value);
    else if (name === 'style') Object.assign(node.style, value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children.flat()) {
    if (child === undefined || child === null || child === false) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

export function age(iso, now = Date.now()) {
  const hours = (now - Date.parse(iso)) / 3.6e6;
  if (hours < 1) return `${Math.max(1, Math.round(hours * 60))} min`;
  if (hours < 48) return `${Math.round(hours)} h`;
  return `${Math.round(hours / 24)} days`;
}

export function when(iso) {
  const d = new Date(iso);
  return `${d.toISOString().slice(0, 10)} ${d.toISOString().slice(11, 16)} UTC`;
}

// ISO text without milliseconds, comparable as a string with the tiles' `requested_at`.
export function isoSeconds(ms) {
  return `${new Date(ms).toISOString().slice(0, 19)}Z`;
}

export const STATUS_LABELS = { open: 'open', in_progress: 'in progress', closed: 'closed' };

let statusTimer = null;
export function say(text) {
  const node = document.getElementById('status');
  node.textContent = text;
  window.clearTimeout(statusTimer);
  if (text) statusTimer = window.setTimeout(() => { node.textContent = ''; }, 6000);
}
