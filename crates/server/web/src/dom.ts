// Tiny DOM helpers. Text always goes in through textContent, never as markup.

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
}

type Attrs = Record<string, string | boolean | undefined>;

/** Creates an element with attributes (true → empty attribute, false/undefined → none). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attrs = {},
  ...children: Array<Node | string>
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === true) node.setAttribute(name, '');
    else if (typeof value === 'string') node.setAttribute(name, value);
  }
  for (const child of children) {
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** `14:05`, local time, 24 hours. */
export function hhmm(unixMs: number): string {
  const d = new Date(unixMs);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}

/** `1.4 MB` / `1,4 MB`. */
export function formatBytes(bytes: number, lang: string): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  const digits = unit === 0 || value >= 100 ? 0 : 1;
  const text = new Intl.NumberFormat(lang, { maximumFractionDigits: digits }).format(value);
  return `${text} ${units[unit]}`;
}

/** A random UUID v4; crypto.randomUUID needs a secure context, getRandomValues does not. */
export function uuidv4(): string {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** The digits of a support key as typed (spaces and dashes allowed), or null. */
export function parseKey(input: string): string | null {
  const cleaned = input.replace(/[\s\u00a0-]/g, '');
  return /^\d{9}$/.test(cleaned) ? cleaned : null;
}

export function groupKey(key: string): string {
  return `${key.slice(0, 3)} ${key.slice(3, 6)} ${key.slice(6)}`;
}

export function initials(name: string): string {
  const parts = name.trim().split(/\s+/).filter(Boolean);
  const letters = parts.length > 1 ? [parts[0], parts[parts.length - 1]] : parts;
  return letters
    .map((p) => Array.from(p)[0] ?? '')
    .join('')
    .toUpperCase();
}
