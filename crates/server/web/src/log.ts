// The chat log: messages, files and system lines in seq order, their delivered and read
// marks, and the live region that reads new ones out.

import { messageMark } from '../../../protocol/ts/session';
import { api } from './api';
import { byId, el, formatBytes, hhmm } from './dom';
import { type Args, type Key, lang, setText } from './i18n';
import { marks } from './marks';
import { describe, type Outgoing, page, persist, showError, tech } from './page';
import type { DownloadLink, FileInfo, Party, SessionEvent } from './wire';

const logScroll = byId('log-scroll');
const log = byId('log');
const pending = byId('pending');
const announcer = byId('announcer');

export function announce(text: string): void {
  const line = el('p', {}, text);
  announcer.append(line);
  while (announcer.childElementCount > 5) announcer.firstElementChild?.remove();
}

export function nearBottom(): boolean {
  return logScroll.scrollHeight - logScroll.scrollTop - logScroll.clientHeight < 80;
}

export function scrollToEnd(): void {
  logScroll.scrollTop = logScroll.scrollHeight;
}

/** Puts an item into the log in seq order. */
export function place(node: HTMLElement, seq: number): void {
  const follow = nearBottom();
  node.dataset.seq = String(seq);
  let before: Element | null = null;
  for (let i = log.children.length - 1; i >= 0; i--) {
    const child = log.children[i] as HTMLElement;
    if (Number(child.dataset.seq) > seq) before = child;
    else break;
  }
  log.insertBefore(node, before);
  if (follow || seq <= page.announcedUpTo || node.dataset.from === 'end_user') scrollToEnd();
}

export function meta(at: number, from: Party): HTMLElement {
  const time = el('time', { datetime: new Date(at).toISOString() }, hhmm(at));
  const line = el('p', { class: 'meta' });
  if (from === 'technician') line.append(el('span', { class: 'meta-who' }, tech()), time);
  else line.append(time);
  return line;
}

export function statusMark(): HTMLElement {
  return el(
    'span',
    { class: 'status', 'data-testid': 'message-status' },
    el('span', { class: 'status-icon', 'aria-hidden': 'true' }),
    el('span', { class: 'status-text' }),
  );
}

export function setStatus(
  node: HTMLElement,
  status: 'pending' | 'sent' | 'delivered' | 'read' | 'failed',
): void {
  node.dataset.status = status;
  const text = node.querySelector('.status-text');
  if (text) setText(text, `status_${status}` as Key);
}

export function refreshMarks(): void {
  for (const node of log.querySelectorAll<HTMLElement>('.msg[data-from="end_user"][data-seq]')) {
    const seq = Number(node.dataset.seq);
    const mark = messageMark(marks, seq);
    if (mark !== 'sent') setStatus(node, mark);
  }
}

export function messageBubble(from: Party, text: string, at: number | null): HTMLElement {
  const node = el(
    'div',
    { class: `msg msg-${from}`, 'data-testid': 'message', 'data-from': from },
    el('p', { class: 'msg-text', 'data-testid': 'message-text' }, text),
  );
  const footer = at === null ? el('p', { class: 'meta' }) : meta(at, from);
  if (from === 'end_user') footer.append(statusMark());
  node.append(footer);
  return node;
}

export function renderPending(out: Outgoing): HTMLElement {
  const node = messageBubble('end_user', out.text, null);
  node.dataset.clientId = out.client_id;
  const time = el('time', {}, hhmm(Date.now()));
  node.querySelector('.meta')?.prepend(time);
  setStatus(node, 'pending');
  pending.append(node);
  scrollToEnd();
  return node;
}

export function findPending(clientId: string): HTMLElement | null {
  for (const node of pending.querySelectorAll<HTMLElement>('.msg')) {
    if (node.dataset.clientId === clientId) return node;
  }
  return null;
}

/** The service stored our message as `ev`: settle the pending bubble. */
export function acknowledge(clientId: string, ev: SessionEvent): void {
  const s = page.session;
  if (s) {
    s.outbox = s.outbox.filter((o) => o.client_id !== clientId);
    persist();
  }
  page.inflight.delete(clientId);
  if (page.shown.has(ev.seq)) {
    findPending(clientId)?.remove();
    return;
  }
  page.shown.add(ev.seq);
  let node = findPending(clientId);
  if (node) {
    node.querySelector('.meta')?.replaceWith(meta(ev.at, 'end_user'));
    node.querySelector('.meta')?.append(statusMark());
    node.querySelector('.retry')?.remove();
  } else if (ev.data.type === 'message') {
    node = messageBubble('end_user', ev.data.text, ev.at);
  } else {
    return;
  }
  node.dataset.clientId = clientId;
  setStatus(node, 'sent');
  place(node, ev.seq);
  refreshMarks();
}

export function systemLine(seq: number, key: Key, args?: Args): HTMLElement {
  const node = el('p', { class: 'sys', 'data-testid': 'system' });
  setText(node, key, args);
  place(node, seq);
  return node;
}

export function fileBubble(ev: SessionEvent, file: FileInfo): void {
  const from = file.from;
  const name = el('p', { class: 'file-name', 'data-testid': 'file-name' }, file.name);
  const size = el('p', { class: 'file-size' }, formatBytes(file.size, lang()));
  const row = el(
    'div',
    { class: 'file-row' },
    el('span', { class: 'file-icon', 'aria-hidden': 'true' }),
    el('div', { class: 'file-info' }, name, size),
  );
  if (from === 'technician') {
    const link = el('button', {
      type: 'button',
      class: 'btn btn-sm btn-download',
      'data-testid': 'file-download',
    });
    setText(link, 'download');
    link.setAttribute('aria-describedby', `file-${file.id}`);
    name.id = `file-${file.id}`;
    link.addEventListener('click', () => void download(file, link));
    row.append(link);
  }
  const node = el(
    'div',
    {
      class: `msg msg-${from} msg-file`,
      'data-testid': 'file',
      'data-file-id': file.id,
      'data-from': from,
    },
    row,
    meta(ev.at, from),
  );
  if (from === 'end_user') {
    node.querySelector('.meta')?.append(statusMark());
    setStatus(node, 'sent');
  }
  place(node, ev.seq);
}

export async function download(file: FileInfo, button: HTMLButtonElement): Promise<void> {
  const s = page.session;
  if (!s) return;
  button.disabled = true;
  try {
    const link = await api<DownloadLink>('POST', `/api/v1/files/${file.id}/link`, {
      token: s.end_user_token,
    });
    const a = el('a', { href: link.url, download: file.name, class: 'sr-only' });
    document.body.append(a);
    a.click();
    a.remove();
  } catch (err) {
    showError(describe(err));
  } finally {
    button.disabled = false;
  }
}
