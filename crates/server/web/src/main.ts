// The end-user join page: key → name → chat with the technician.
import { api, RequestFailed } from './api';
import { byId, el, formatBytes, groupKey, hhmm, initials, parseKey, uuidv4 } from './dom';
import { type Args, initLang, type Key, lang, relabel, setLang, setText, t } from './i18n';
import { type ConnState, Realtime } from './realtime';
import { canShareScreen, pickScreen, ScreenShare, type ShareEnd } from './share';
import { cancelUpload, uploadFile } from './upload';
import type {
  ConsentAnswer,
  ConsentKind,
  DownloadLink,
  EndUserSessionView,
  FileInfo,
  JoinInfo,
  JoinRequest,
  JoinResponse,
  Party,
  SendMessage,
  ServerFrame,
  ServerInfo,
  SessionEvent,
} from './wire';

const MAX_MESSAGE_CHARS = 4000;
const STORE_KEY = 'lifeline.session';
const TYPING_IDLE_MS = 3000;
const TYPING_SHOW_MS = 10_000;

// ---------------------------------------------------------------- state

interface Outgoing {
  client_id: string;
  text: string;
}

/** What survives a reload, in sessionStorage. */
interface Saved {
  session_id: string;
  end_user_token: string;
  /** The last seq this tab processed. */
  last_seq: number;
  key: string | null;
  technician_name: string;
  company_name: string;
  end_user_name: string | null;
  /** Messages not yet acknowledged; resent with the same client_id after a reload. */
  outbox: Outgoing[];
}

let session: Saved | null = null;
let rt: Realtime | null = null;
/** Highest seq processed in this page; the resume cursor. */
let lastSeq = 0;
/** Events up to here were seen before a reload: shown, but not announced again. */
let announcedUpTo = 0;
const shown = new Set<number>();
let techDelivered = 0;
let techRead = 0;
let lastTechSeq = 0;
let sentDelivered = 0;
let sentRead = 0;
let ended = false;
let maxUpload = Number.POSITIVE_INFINITY;
let unseen = 0;
const inflight = new Set<string>();
const consents = new Map<string, { kind: ConsentKind; answered: boolean }>();
let consentShown: string | null = null;
let share: ScreenShare | null = null;

// ---------------------------------------------------------------- elements

const app = byId('app');
const errorBanner = byId('error-banner');
const errorText = byId('error-text');
const views = {
  loading: byId('view-loading'),
  key: byId('view-key'),
  join: byId('view-join'),
  chat: byId('view-chat'),
};
const keyState = byId('key-state');
const keyForm = byId<HTMLFormElement>('key-form');
const keyInput = byId<HTMLInputElement>('key-input');
const joinForm = byId<HTMLFormElement>('join-form');
const nameInput = byId<HTMLInputElement>('name-input');
const joinButton = byId<HTMLButtonElement>('join-button');
const logScroll = byId('log-scroll');
const log = byId('log');
const pending = byId('pending');
const conn = byId('conn');
const typingEl = byId('typing');
const consentEl = byId('consent');
const endedEl = byId('ended');
const uploads = byId('uploads');
const composer = byId<HTMLFormElement>('composer');
const input = byId<HTMLTextAreaElement>('message-input');
const fileInput = byId<HTMLInputElement>('file-input');
const counter = byId('counter');
const endButton = byId<HTMLButtonElement>('end-button');
const endBar = byId('end-confirm-bar');
const announcer = byId('announcer');
const presence = byId('presence');
const drop = byId('drop');
const shareBar = byId('share-bar');

// ---------------------------------------------------------------- small helpers

function tech(): string {
  return session?.technician_name ?? '';
}

function show(view: keyof typeof views): void {
  for (const [name, node] of Object.entries(views)) node.hidden = name !== view;
  app.dataset.view = view;
}

function showError(message: string): void {
  errorText.textContent = message;
  errorBanner.hidden = false;
}

function hideError(): void {
  errorBanner.hidden = true;
}

function describe(err: unknown): string {
  if (err instanceof RequestFailed) {
    if (err.code === 'network') return t('error_network');
    if (err.code !== 'unknown' && err.message) return err.message;
  }
  return t('error_generic');
}

function announce(text: string): void {
  const line = el('p', {}, text);
  announcer.append(line);
  while (announcer.childElementCount > 5) announcer.firstElementChild?.remove();
}

function nearBottom(): boolean {
  return logScroll.scrollHeight - logScroll.scrollTop - logScroll.clientHeight < 80;
}

function scrollToEnd(): void {
  logScroll.scrollTop = logScroll.scrollHeight;
}

function updateTitle(): void {
  const base = t('page_title');
  document.title = unseen > 0 ? t('new_title', { count: String(unseen), title: base }) : base;
}

function persist(): void {
  if (!session) return;
  session.last_seq = Math.max(session.last_seq, lastSeq);
  try {
    sessionStorage.setItem(STORE_KEY, JSON.stringify(session));
  } catch {
    // Without storage a reload needs a new key; everything else still works.
  }
}

function loadSaved(): Saved | null {
  try {
    const raw = sessionStorage.getItem(STORE_KEY);
    if (!raw) return null;
    const saved = JSON.parse(raw) as Saved;
    if (typeof saved.session_id !== 'string' || typeof saved.end_user_token !== 'string') return null;
    saved.outbox = Array.isArray(saved.outbox) ? saved.outbox : [];
    saved.last_seq = Number(saved.last_seq) || 0;
    return saved;
  } catch {
    return null;
  }
}

function clearSaved(): void {
  try {
    sessionStorage.removeItem(STORE_KEY);
  } catch {
    // Nothing to clear.
  }
}

// ---------------------------------------------------------------- key and join

type KeyProblem = 'key_invalid' | 'key_unknown' | 'key_expired' | 'key_used' | 'key_ended';

function showKeyView(problem: KeyProblem | null, message?: string): void {
  show('key');
  if (problem || message) {
    keyState.hidden = false;
    keyState.dataset.state = problem ?? 'error';
    keyState.replaceChildren();
    const main = el('p', { class: 'notice-main' });
    if (problem) setText(main, problem);
    else main.textContent = message ?? '';
    keyState.append(main);
    if (problem && problem !== 'key_invalid') {
      const more = el('p', { class: 'notice-more' });
      setText(more, 'key_retry');
      keyState.append(more);
    }
  } else {
    keyState.hidden = true;
    keyState.removeAttribute('data-state');
  }
  keyInput.focus();
}

function keyProblemOf(err: unknown): KeyProblem | null {
  if (err instanceof RequestFailed) {
    if (err.code === 'key_unknown' || err.code === 'not_found') return 'key_unknown';
    if (err.code === 'key_expired') return 'key_expired';
    if (err.code === 'key_used') return 'key_used';
    if (err.code === 'session_ended') return 'key_ended';
    if (err.code === 'invalid_input') return 'key_invalid';
  }
  return null;
}

async function checkKey(key: string): Promise<void> {
  show('loading');
  hideError();
  try {
    const info = await api<JoinInfo>('GET', `/api/v1/join/${key}`);
    showJoinView(key, info);
  } catch (err) {
    const problem = keyProblemOf(err);
    // A mistyped key is easier to fix than to retype.
    if (problem === 'key_unknown' && !keyInput.value) keyInput.value = groupKey(key);
    showKeyView(problem, problem ? undefined : describe(err));
  }
}

let joinKey = '';

function showJoinView(key: string, info: JoinInfo): void {
  joinKey = key;
  if (location.pathname !== `/join/${key}`) history.replaceState(null, '', `/join/${key}`);
  byId('join-avatar').textContent = initials(info.technician_name);
  const args: Args = { tech: info.technician_name, company: info.company_name };
  setText(byId('join-heading'), 'join_heading', args);
  setText(byId('join-company'), 'join_company', args);
  setText(byId('name-hint'), 'join_name_hint', args);
  setText(byId('join-note'), 'join_note', args);
  show('join');
  nameInput.focus();
}

async function join(): Promise<void> {
  hideError();
  joinButton.disabled = true;
  joinButton.setAttribute('aria-busy', 'true');
  const name = nameInput.value.trim();
  const body: JoinRequest = { key: joinKey, name: name || null };
  try {
    const res = await api<JoinResponse>('POST', '/api/v1/join', { body });
    session = {
      session_id: res.session_id,
      end_user_token: res.end_user_token,
      last_seq: 0,
      key: joinKey,
      technician_name: res.technician_name,
      company_name: res.company_name,
      end_user_name: res.end_user_name,
      outbox: [],
    };
    persist();
    enterChat();
  } catch (err) {
    const problem = keyProblemOf(err);
    if (problem && problem !== 'key_invalid') showKeyView(problem);
    else showError(describe(err));
  } finally {
    joinButton.disabled = false;
    joinButton.removeAttribute('aria-busy');
  }
}

// ---------------------------------------------------------------- chat

function setConn(state: ConnState | 'ended'): void {
  conn.dataset.state = state;
  if (state === 'connecting') setText(conn, 'conn_connecting');
  else if (state === 'reconnecting') setText(conn, 'conn_reconnecting');
  else if (state === 'online') setText(conn, 'conn_online');
  else {
    conn.textContent = '';
    conn.removeAttribute('data-i18n');
  }
}

function enterChat(): void {
  const s = session;
  if (!s) return;
  byId('chat-avatar').textContent = initials(s.technician_name);
  byId('chat-title').textContent = s.technician_name;
  byId('chat-company').textContent = s.company_name;
  setText(byId('log-intro'), 'welcome_hint', { tech: s.technician_name });
  show('chat');
  for (const out of s.outbox) renderPending(out);
  setConn('connecting');
  rt = new Realtime({
    token: s.end_user_token,
    sessionId: s.session_id,
    cursor: () => lastSeq,
    onFrame,
    onState: (state) => {
      if (ended) return;
      setConn(state);
      if (state === 'online') {
        flushOutbox();
        scheduleAcks();
      } else {
        setTyping(false);
      }
    },
    onFatal: (error) => {
      if (error.code === 'session_ended' || lastSeq > 0) {
        // Keep the transcript on screen; the session is over for this page.
        endState();
      } else {
        clearSaved();
        session = null;
        rt?.stop();
        showKeyView(null, t('session_gone'));
      }
    },
  });
  rt.start();
  focusComposer();
}

/** Focus the message box, except on touch screens where that pops up the keyboard. */
function focusComposer(): void {
  if (!ended && matchMedia('(pointer: fine)').matches) input.focus();
}

function onFrame(frame: ServerFrame): void {
  const s = session;
  if (!s) return;
  switch (frame.type) {
    case 'event':
      onEvent(frame.event);
      break;
    case 'typing':
      if (frame.session_id === s.session_id && frame.from === 'technician') setTyping(frame.typing);
      break;
    case 'presence':
      if (frame.session_id === s.session_id && frame.party === 'technician') {
        presence.hidden = false;
        presence.dataset.online = String(frame.online);
        setText(presence, frame.online ? 'presence_online' : 'presence_offline');
        if (!frame.online) setTyping(false);
      }
      break;
    case 'error':
      showError(frame.error.message);
      break;
    default:
      break;
  }
}

let typingTimer: number | undefined;

function setTyping(on: boolean): void {
  window.clearTimeout(typingTimer);
  typingEl.hidden = !on;
  if (on) {
    setText(typingEl, 'typing', { tech: tech() });
    typingTimer = window.setTimeout(() => setTyping(false), TYPING_SHOW_MS);
  }
}

/** Puts an item into the log in seq order. */
function place(node: HTMLElement, seq: number): void {
  const follow = nearBottom();
  node.dataset.seq = String(seq);
  let before: Element | null = null;
  for (let i = log.children.length - 1; i >= 0; i--) {
    const child = log.children[i] as HTMLElement;
    if (Number(child.dataset.seq) > seq) before = child;
    else break;
  }
  log.insertBefore(node, before);
  if (follow || seq <= announcedUpTo || node.dataset.from === 'end_user') scrollToEnd();
}

function meta(at: number, from: Party): HTMLElement {
  const time = el('time', { datetime: new Date(at).toISOString() }, hhmm(at));
  const line = el('p', { class: 'meta' });
  if (from === 'technician') line.append(el('span', { class: 'meta-who' }, tech()), time);
  else line.append(time);
  return line;
}

function statusMark(): HTMLElement {
  return el(
    'span',
    { class: 'status', 'data-testid': 'message-status' },
    el('span', { class: 'status-icon', 'aria-hidden': 'true' }),
    el('span', { class: 'status-text' }),
  );
}

function setStatus(node: HTMLElement, status: 'pending' | 'sent' | 'delivered' | 'read' | 'failed'): void {
  node.dataset.status = status;
  const text = node.querySelector('.status-text');
  if (text) setText(text, `status_${status}` as Key);
}

function refreshMarks(): void {
  for (const node of log.querySelectorAll<HTMLElement>('.msg[data-from="end_user"][data-seq]')) {
    const seq = Number(node.dataset.seq);
    if (seq <= techRead) setStatus(node, 'read');
    else if (seq <= techDelivered) setStatus(node, 'delivered');
  }
}

function messageBubble(from: Party, text: string, at: number | null): HTMLElement {
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

function renderPending(out: Outgoing): HTMLElement {
  const node = messageBubble('end_user', out.text, null);
  node.dataset.clientId = out.client_id;
  const time = el('time', {}, hhmm(Date.now()));
  node.querySelector('.meta')?.prepend(time);
  setStatus(node, 'pending');
  pending.append(node);
  scrollToEnd();
  return node;
}

function findPending(clientId: string): HTMLElement | null {
  for (const node of pending.querySelectorAll<HTMLElement>('.msg')) {
    if (node.dataset.clientId === clientId) return node;
  }
  return null;
}

/** The service stored our message as `ev`: settle the pending bubble. */
function acknowledge(clientId: string, ev: SessionEvent): void {
  const s = session;
  if (s) {
    s.outbox = s.outbox.filter((o) => o.client_id !== clientId);
    persist();
  }
  inflight.delete(clientId);
  if (shown.has(ev.seq)) {
    findPending(clientId)?.remove();
    return;
  }
  shown.add(ev.seq);
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

function systemLine(seq: number, key: Key, args?: Args): HTMLElement {
  const node = el('p', { class: 'sys', 'data-testid': 'system' });
  setText(node, key, args);
  place(node, seq);
  return node;
}

function fileBubble(ev: SessionEvent, file: FileInfo): void {
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

async function download(file: FileInfo, button: HTMLButtonElement): Promise<void> {
  const s = session;
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

function onEvent(ev: SessionEvent): void {
  const s = session;
  if (!s || ev.session_id !== s.session_id || ev.seq <= lastSeq) return;
  lastSeq = ev.seq;
  const live = ev.seq > announcedUpTo;
  const d = ev.data;
  switch (d.type) {
    case 'end_user_joined':
      if (d.name) systemLine(ev.seq, 'joined_self_named', { name: d.name });
      else systemLine(ev.seq, 'joined_self');
      break;
    case 'message':
      if (d.from === 'end_user') {
        acknowledge(d.client_id, ev);
      } else if (!shown.has(ev.seq)) {
        shown.add(ev.seq);
        lastTechSeq = ev.seq;
        setTyping(false);
        place(messageBubble('technician', d.text, ev.at), ev.seq);
        if (live) {
          announce(t('announce_message', { who: tech(), text: d.text }));
          noteUnseen();
        }
      }
      break;
    case 'file_shared':
      if (!shown.has(ev.seq)) {
        shown.add(ev.seq);
        fileBubble(ev, d.file);
        for (const row of uploads.querySelectorAll<HTMLElement>('.upload')) {
          if (row.dataset.fileId === d.file.id) row.remove();
        }
        if (d.file.from === 'technician') {
          lastTechSeq = ev.seq;
          if (live) {
            announce(t('announce_file', { who: tech(), name: d.file.name }));
            noteUnseen();
          }
        }
      }
      break;
    case 'delivered':
    case 'read':
      if (d.by === 'technician') {
        if (d.type === 'read') techRead = Math.max(techRead, d.up_to_seq);
        techDelivered = Math.max(techDelivered, d.up_to_seq);
        refreshMarks();
      } else if (d.type === 'read') {
        sentRead = Math.max(sentRead, d.up_to_seq);
      } else {
        sentDelivered = Math.max(sentDelivered, d.up_to_seq);
      }
      break;
    case 'consent_requested':
      lastTechSeq = ev.seq;
      consents.set(d.request_id, { kind: d.kind, answered: false });
      showConsent(d.request_id, live);
      break;
    case 'consent_answered': {
      const known = consents.get(d.request_id);
      if (known) known.answered = true;
      if (consentShown === d.request_id) hideConsent();
      const key = `consent_${d.kind}_${d.accepted ? 'allowed' : 'declined'}` as Key;
      systemLine(ev.seq, key, { tech: tech() });
      break;
    }
    case 'session_ended':
      systemLine(ev.seq, d.by === 'technician' ? 'ended_by_technician' : 'ended_by_end_user', {
        tech: tech(),
      });
      endState();
      break;
    case 'screen_share_started':
    case 'screen_share_stopped':
    case 'screen_share_failed':
      if (!shown.has(ev.seq)) {
        shown.add(ev.seq);
        shareLine(ev.seq, d);
      }
      break;
    default:
      break;
  }
  if (!ended) persist();
  scheduleAcks();
}

// ---------------------------------------------------------------- delivered / read

let ackTimer: number | undefined;

/** Acks go out at most every 250 ms, so a replay burst costs one frame of each kind. */
function scheduleAcks(): void {
  if (ackTimer !== undefined) return;
  ackTimer = window.setTimeout(() => {
    ackTimer = undefined;
    flushAcks();
  }, 250);
}

function pageSeen(): boolean {
  return document.visibilityState === 'visible';
}

function flushAcks(): void {
  const s = session;
  if (!s || !rt || ended) return;
  if (lastTechSeq > sentDelivered) {
    if (rt.send({ type: 'delivered', session_id: s.session_id, up_to_seq: lastSeq })) sentDelivered = lastSeq;
  }
  if (pageSeen() && lastTechSeq > sentRead) {
    if (rt.send({ type: 'read', session_id: s.session_id, up_to_seq: lastSeq })) sentRead = lastSeq;
  }
}

function noteUnseen(): void {
  if (pageSeen() && document.hasFocus()) return;
  unseen += 1;
  updateTitle();
}

function onSeen(): void {
  if (!pageSeen()) return;
  unseen = 0;
  updateTitle();
  flushAcks();
}

// ---------------------------------------------------------------- sending messages

function charCount(text: string): number {
  return Array.from(text).length;
}

function flushOutbox(): void {
  for (const out of session?.outbox ?? []) {
    if (!inflight.has(out.client_id)) void deliver(out, 0);
  }
}

async function deliver(out: Outgoing, attempt: number): Promise<void> {
  const s = session;
  if (!s || ended) return;
  inflight.add(out.client_id);
  const node = findPending(out.client_id);
  if (node) {
    setStatus(node, 'pending');
    node.querySelector('.retry')?.remove();
    node.querySelector('.msg-error')?.remove();
  }
  const body: SendMessage = { client_id: out.client_id, text: out.text };
  try {
    const ev = await api<SessionEvent>('POST', `/api/v1/sessions/${s.session_id}/messages`, {
      body,
      token: s.end_user_token,
    });
    acknowledge(out.client_id, ev);
  } catch (err) {
    if (err instanceof RequestFailed && err.retryable && attempt < 6 && !ended) {
      // Same client_id: the service stores the message once however often it arrives.
      window.setTimeout(() => void deliver(out, attempt + 1), Math.min(15_000, 1000 * 2 ** attempt));
      return;
    }
    inflight.delete(out.client_id);
    failMessage(out, err);
  }
}

function failMessage(out: Outgoing, err: unknown): void {
  const node = findPending(out.client_id);
  const permanent = err instanceof RequestFailed && !err.retryable;
  if (permanent && session) {
    session.outbox = session.outbox.filter((o) => o.client_id !== out.client_id);
    persist();
  }
  if (!node) return;
  setStatus(node, 'failed');
  node.append(el('p', { class: 'msg-error', role: 'alert' }, describe(err)));
  if (!permanent) {
    const retry = el('button', { type: 'button', class: 'btn btn-sm btn-link retry' });
    setText(retry, 'retry');
    retry.addEventListener('click', () => void deliver(out, 0));
    node.append(retry);
  }
}

function sendMessage(): void {
  const s = session;
  if (!s || ended) return;
  const text = input.value.trim();
  if (!text) return;
  if (charCount(text) > MAX_MESSAGE_CHARS) {
    showError(t('too_long', { max: String(MAX_MESSAGE_CHARS) }));
    return;
  }
  const out: Outgoing = { client_id: uuidv4(), text };
  s.outbox.push(out);
  persist();
  input.value = '';
  updateCounter();
  stopTyping();
  renderPending(out);
  void deliver(out, 0);
}

function updateCounter(): void {
  const n = charCount(input.value);
  counter.hidden = n < MAX_MESSAGE_CHARS - 500;
  counter.textContent = `${n} / ${MAX_MESSAGE_CHARS}`;
  counter.dataset.over = String(n > MAX_MESSAGE_CHARS);
}

let typingSent = false;
let typingIdle: number | undefined;

function sendTyping(typing: boolean): void {
  const s = session;
  if (!s || !rt) return;
  if (rt.send({ type: 'typing', session_id: s.session_id, typing })) typingSent = typing;
}

function stopTyping(): void {
  window.clearTimeout(typingIdle);
  if (typingSent) sendTyping(false);
  typingSent = false;
}

function onInput(): void {
  updateCounter();
  if (!input.value.trim()) {
    stopTyping();
    return;
  }
  if (!typingSent) sendTyping(true);
  window.clearTimeout(typingIdle);
  typingIdle = window.setTimeout(stopTyping, TYPING_IDLE_MS);
}

// ---------------------------------------------------------------- consent

function showConsent(requestId: string, live: boolean): void {
  const c = consents.get(requestId);
  if (!c || c.answered || ended) return;
  consentShown = requestId;
  consentEl.hidden = false;
  consentEl.dataset.requestId = requestId;
  consentEl.dataset.kind = c.kind;
  const key: Key = c.kind === 'control' ? 'consent_control' : 'consent_view_screen';
  setText(byId('consent-text'), key, { tech: tech() });
  const explain: Key = !canShareScreen()
    ? 'share_unsupported'
    : c.kind === 'control'
      ? 'share_control_explain'
      : 'share_explain';
  setText(byId('consent-explain'), explain, { tech: tech() });
  if (live) {
    announce(t(key, { tech: tech() }));
    noteUnseen();
  }
}

function hideConsent(): void {
  consentShown = null;
  consentEl.hidden = true;
  // Another request may still wait for an answer.
  for (const [id, c] of consents) {
    if (!c.answered) {
      showConsent(id, false);
      break;
    }
  }
}

async function answerConsent(accepted: boolean): Promise<void> {
  const s = session;
  const requestId = consentShown;
  if (!s || !requestId) return;
  const buttons = consentEl.querySelectorAll('button');
  for (const b of buttons) b.disabled = true;
  try {
    await api<unknown>('POST', `/api/v1/sessions/${s.session_id}/consent/${requestId}`, {
      body: { accepted } satisfies ConsentAnswer,
      token: s.end_user_token,
    });
    const c = consents.get(requestId);
    if (c) c.answered = true;
    if (consentShown === requestId) hideConsent();
    focusComposer();
    if (accepted) await beginSharing();
  } catch (err) {
    if (err instanceof RequestFailed && (err.code === 'conflict' || err.code === 'not_found')) {
      // Already answered or withdrawn.
      const c = consents.get(requestId);
      if (c) c.answered = true;
      hideConsent();
    }
    showError(describe(err));
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}

// ---------------------------------------------------------------- screen sharing

/** After the person allowed a view: the browser's picker, then the stream. */
async function beginSharing(): Promise<void> {
  const s = session;
  if (!s || share || ended) return;
  const picked = await pickScreen();
  if (typeof picked === 'string') {
    try {
      await api<unknown>('POST', `/api/v1/sessions/${s.session_id}/screen-share/failed`, {
        body: { reason: picked },
        token: s.end_user_token,
      });
    } catch (err) {
      showError(describe(err));
    }
    return;
  }
  const current = new ScreenShare(picked, {
    token: s.end_user_token,
    sessionId: s.session_id,
    onLive: () => {
      setText(byId('share-text'), 'share_bar', { tech: tech() });
      shareBar.hidden = false;
    },
    onEnd: (reason: ShareEnd) => {
      if (share === current) share = null;
      shareBar.hidden = true;
      if (reason === 'connection_lost' && !ended) announce(t('share_stopped_lost'));
    },
  });
  share = current;
  try {
    await current.start();
  } catch (err) {
    current.stop();
    showError(describe(err));
  }
}

function shareLine(seq: number, data: SessionEvent['data']): void {
  const args = { tech: tech() };
  if (data.type === 'screen_share_started') {
    systemLine(seq, 'share_started', args);
  } else if (data.type === 'screen_share_stopped') {
    const key: Key =
      data.reason === 'session_ended'
        ? 'share_stopped_ended'
        : data.reason === 'connection_lost'
          ? 'share_stopped_lost'
          : data.by === 'technician'
            ? 'share_stopped_by_tech'
            : 'share_stopped_by_you';
    systemLine(seq, key, args);
  } else if (data.type === 'screen_share_failed') {
    systemLine(seq, `share_failed_${data.reason}` as Key, args);
  }
}

// ---------------------------------------------------------------- ending

function endState(): void {
  if (ended) return;
  ended = true;
  rt?.stop();
  share?.stop();
  shareBar.hidden = true;
  clearSaved();
  window.clearTimeout(typingIdle);
  setTyping(false);
  consentEl.hidden = true;
  endBar.hidden = true;
  endButton.hidden = true;
  composer.hidden = true;
  counter.hidden = true;
  for (const row of uploads.querySelectorAll<HTMLElement>('.upload')) {
    row.dispatchEvent(new Event('lifeline:cancel'));
  }
  pending.replaceChildren();
  uploads.replaceChildren();
  setConn('ended');
  endedEl.hidden = false;
  setText(endedEl, 'ended');
  announce(t('ended'));
}

async function endSession(): Promise<void> {
  const s = session;
  if (!s) return;
  const confirmButton = byId<HTMLButtonElement>('end-confirm');
  confirmButton.disabled = true;
  try {
    await api<unknown>('POST', `/api/v1/sessions/${s.session_id}/end`, { token: s.end_user_token });
    endState();
  } catch (err) {
    if (err instanceof RequestFailed && err.code === 'session_ended') endState();
    else showError(describe(err));
  } finally {
    confirmButton.disabled = false;
  }
}

// ---------------------------------------------------------------- uploads

let uploadChain: Promise<void> = Promise.resolve();

function queueFiles(files: FileList | File[]): void {
  for (const file of Array.from(files)) {
    const row = uploadRow(file);
    if (file.size > maxUpload) {
      failRow(row, t('upload_too_big', { name: file.name, max: formatBytes(maxUpload, lang()) }));
      continue;
    }
    uploadChain = uploadChain.then(() => runUpload(file, row));
  }
}

interface Row {
  node: HTMLElement;
  progress: HTMLProgressElement;
  status: HTMLElement;
  button: HTMLButtonElement;
}

function uploadRow(file: File): Row {
  const progress = el('progress', { max: '100', 'data-testid': 'upload-progress' });
  progress.value = 0;
  progress.setAttribute('data-i18n-aria-label', 'upload_progress_label');
  progress.setAttribute('data-i18n-args', JSON.stringify({ name: file.name }));
  progress.setAttribute('aria-label', t('upload_progress_label', { name: file.name }));
  const status = el('span', { class: 'upload-status', 'data-testid': 'upload-status' });
  setText(status, 'upload_hashing');
  const button = el('button', {
    type: 'button',
    class: 'btn btn-sm btn-link',
    'data-testid': 'upload-cancel',
  });
  setText(button, 'cancel');
  const node = el(
    'div',
    { class: 'upload', 'data-testid': 'upload', 'data-state': 'queued' },
    el(
      'div',
      { class: 'upload-top' },
      el('span', { class: 'file-name', 'data-testid': 'upload-name' }, file.name),
      el('span', { class: 'file-size' }, formatBytes(file.size, lang())),
    ),
    progress,
    el('div', { class: 'upload-bottom' }, status, button),
  );
  uploads.append(node);
  return { node, progress, status, button };
}

function failRow(row: Row, message: string): void {
  row.node.dataset.state = 'failed';
  row.progress.hidden = true;
  row.status.removeAttribute('data-i18n');
  row.status.textContent = message;
  row.status.setAttribute('role', 'alert');
  setText(row.button, 'dismiss');
  row.button.onclick = () => row.node.remove();
}

async function runUpload(file: File, row: Row): Promise<void> {
  const s = session;
  if (!s || ended || !row.node.isConnected) return;
  const abort = new AbortController();
  let url: string | null = null;
  const cancel = (): void => {
    abort.abort();
    if (url) cancelUpload(url, s.end_user_token);
    row.node.remove();
  };
  row.button.onclick = cancel;
  row.node.addEventListener('lifeline:cancel', cancel);
  try {
    const info = await uploadFile(file, s.session_id, s.end_user_token, abort.signal, {
      created: (fileId, uploadUrl) => {
        url = uploadUrl;
        row.node.dataset.fileId = fileId;
      },
      progress: (phase, fraction) => {
        row.node.dataset.state = phase;
        const pct = Math.floor(fraction * 100);
        if (phase === 'hashing') {
          row.progress.value = pct;
          setText(row.status, 'upload_hashing');
        } else if (phase === 'retrying') {
          setText(row.status, 'upload_retrying');
        } else if (phase === 'verifying') {
          row.progress.value = 100;
          setText(row.status, 'upload_verifying');
        } else {
          row.progress.value = pct;
          setText(row.status, 'upload_sending', { percent: String(pct) });
        }
      },
    });
    row.node.dataset.state = 'done';
    row.button.hidden = true;
    row.progress.value = 100;
    setText(row.status, 'status_sent');
    // The file_shared event removes the row when it arrives (or already did).
    if (info && log.querySelector(`[data-file-id="${info.id}"]`)) row.node.remove();
  } catch (err) {
    if (abort.signal.aborted) return;
    if (url) cancelUpload(url, s.end_user_token);
    failRow(row, t('upload_failed', { reason: describe(err) }));
  }
}

function setupDrop(): void {
  let depth = 0;
  const hasFiles = (e: DragEvent): boolean => Array.from(e.dataTransfer?.types ?? []).includes('Files');
  const chat = views.chat;
  chat.addEventListener('dragenter', (e) => {
    if (!hasFiles(e) || ended) return;
    e.preventDefault();
    depth += 1;
    drop.hidden = false;
  });
  chat.addEventListener('dragover', (e) => {
    if (!hasFiles(e) || ended) return;
    e.preventDefault();
    if (e.dataTransfer) e.dataTransfer.dropEffect = 'copy';
  });
  chat.addEventListener('dragleave', () => {
    depth = Math.max(0, depth - 1);
    if (depth === 0) drop.hidden = true;
  });
  chat.addEventListener('drop', (e) => {
    depth = 0;
    drop.hidden = true;
    if (!hasFiles(e) || ended) return;
    e.preventDefault();
    if (e.dataTransfer?.files.length) queueFiles(e.dataTransfer.files);
  });
}

// ---------------------------------------------------------------- boot

function keyFromPath(path: string): string | null | 'invalid' {
  const m = /^\/join\/([^/]+)\/?$/.exec(path);
  if (!m) return null;
  let raw = m[1];
  try {
    raw = decodeURIComponent(raw);
  } catch {
    return 'invalid';
  }
  return parseKey(raw) ?? 'invalid';
}

function syncLangButtons(): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>('.lang-btn')) {
    b.setAttribute('aria-pressed', String(b.dataset.lang === lang()));
  }
  updateTitle();
}

async function resume(saved: Saved): Promise<void> {
  session = saved;
  announcedUpTo = saved.last_seq;
  enterChat();
  try {
    const view = await api<EndUserSessionView>('GET', '/api/v1/end-user/session', {
      token: saved.end_user_token,
    });
    if (session !== saved) return;
    saved.technician_name = view.technician_name;
    saved.company_name = view.company_name;
    byId('chat-title').textContent = view.technician_name;
    byId('chat-company').textContent = view.company_name;
    if (view.status === 'ended' || view.status === 'expired') {
      // The replay brings the transcript and its session_ended event; if it does not
      // come soon, show the ended state anyway.
      window.setTimeout(endState, 3000);
    }
  } catch (err) {
    if (err instanceof RequestFailed && (err.status === 401 || err.status === 404)) {
      rt?.stop();
      clearSaved();
      session = null;
      showKeyView(null, t('session_gone'));
    }
    // Otherwise the socket keeps trying and shows "reconnecting…".
  }
}

function wire(): void {
  for (const b of document.querySelectorAll<HTMLButtonElement>('.lang-btn')) {
    b.addEventListener('click', () => {
      setLang(b.dataset.lang === 'de' ? 'de' : 'en');
      syncLangButtons();
    });
  }
  byId('error-close').addEventListener('click', hideError);
  keyForm.addEventListener('submit', (e) => {
    e.preventDefault();
    const key = parseKey(keyInput.value);
    if (!key) {
      showKeyView('key_invalid');
      return;
    }
    keyInput.value = groupKey(key);
    void checkKey(key);
  });
  joinForm.addEventListener('submit', (e) => {
    e.preventDefault();
    void join();
  });
  composer.addEventListener('submit', (e) => {
    e.preventDefault();
    sendMessage();
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      sendMessage();
    }
  });
  input.addEventListener('input', onInput);
  input.addEventListener('blur', stopTyping);
  fileInput.addEventListener('change', () => {
    if (fileInput.files?.length) queueFiles(fileInput.files);
    fileInput.value = '';
  });
  endButton.addEventListener('click', () => {
    endBar.hidden = false;
    byId('end-cancel').focus();
  });
  byId('end-cancel').addEventListener('click', () => {
    endBar.hidden = true;
    endButton.focus();
  });
  byId('end-confirm').addEventListener('click', () => void endSession());
  byId('consent-allow').addEventListener('click', () => void answerConsent(true));
  byId('consent-decline').addEventListener('click', () => void answerConsent(false));
  byId('share-stop').addEventListener('click', () => share?.stop());
  document.addEventListener('visibilitychange', onSeen);
  window.addEventListener('focus', onSeen);
  document.addEventListener('keydown', (e) => {
    if (e.key === 'Escape' && !endBar.hidden) {
      endBar.hidden = true;
      endButton.focus();
    }
  });
  setupDrop();
}

function boot(): void {
  initLang();
  relabel(document);
  syncLangButtons();
  wire();
  api<ServerInfo>('GET', '/api/v1/info')
    .then((info) => {
      maxUpload = info.max_upload_bytes;
    })
    .catch(() => undefined);
  const urlKey = keyFromPath(location.pathname);
  const saved = loadSaved();
  if (saved && (urlKey === null || urlKey === saved.key)) {
    void resume(saved);
    return;
  }
  if (saved) clearSaved();
  if (urlKey === null) showKeyView(null);
  else if (urlKey === 'invalid') showKeyView('key_invalid');
  else void checkKey(urlKey);
}

boot();
