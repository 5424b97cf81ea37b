// The end-user join page: key → name → chat with the technician. This module boots the
// page and owns the views, the realtime connection, the composer and the end; the log,
// marks, uploads and consent (with screen sharing) live in modules of their own.

import { api, RequestFailed } from './api';
import { appLine, showAppOffer } from './app';
import {
  answerConsent,
  endConsentAndSharing,
  noteConsentAnswered,
  noteConsentRequested,
  shareLine,
  stopSharing,
} from './consent';
import { byId, el, groupKey, initials, parseKey } from './dom';
import { type Change, type EventState, reduceEvent } from './events';
import { type Args, initLang, type Key, lang, relabel, setLang, setText, t } from './i18n';
import {
  acknowledge,
  announce,
  fileBubble,
  messageBubble,
  place,
  refreshMarks,
  renderPending,
  systemLine,
} from './log';
import { marks, noteUnseen, onSeen, scheduleAcks, updateTitle } from './marks';
import { cancelTyping, flushOutbox, onInput, sendMessage, stopTyping } from './outbox';
import {
  clearSaved,
  describe,
  focusComposer,
  hideError,
  loadSaved,
  page,
  persist,
  type Saved,
  showError,
  tech,
} from './page';
import { type ConnState, Realtime } from './realtime';
import { queueFiles, setupDrop } from './uploads';
import type {
  EndUserSessionView,
  JoinInfo,
  JoinRequest,
  JoinResponse,
  ServerFrame,
  ServerInfo,
  SessionEvent,
} from './wire';

const TYPING_SHOW_MS = 10_000;

// ---------------------------------------------------------------- elements

const app = byId('app');
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
const pending = byId('pending');
const conn = byId('conn');
const typingEl = byId('typing');
const endedEl = byId('ended');
const uploads = byId('uploads');
const composer = byId<HTMLFormElement>('composer');
const input = byId<HTMLTextAreaElement>('message-input');
const fileInput = byId<HTMLInputElement>('file-input');
const counter = byId('counter');
const endButton = byId<HTMLButtonElement>('end-button');
const endBar = byId('end-confirm-bar');
const presence = byId('presence');

// ---------------------------------------------------------------- small helpers

function show(view: keyof typeof views): void {
  for (const [name, node] of Object.entries(views)) node.hidden = name !== view;
  app.dataset.view = view;
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
    page.session = {
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
  const s = page.session;
  if (!s) return;
  byId('chat-avatar').textContent = initials(s.technician_name);
  byId('chat-title').textContent = s.technician_name;
  byId('chat-company').textContent = s.company_name;
  setText(byId('log-intro'), 'welcome_hint', { tech: s.technician_name });
  show('chat');
  for (const out of s.outbox) renderPending(out);
  setConn('connecting');
  page.rt = new Realtime({
    token: s.end_user_token,
    sessionId: s.session_id,
    cursor: () => page.lastSeq,
    onFrame,
    onState: (state) => {
      if (page.ended) return;
      setConn(state);
      if (state === 'online') {
        flushOutbox();
        scheduleAcks();
      } else {
        setTyping(false);
      }
    },
    onFatal: (error) => {
      if (error.code === 'session_ended' || page.lastSeq > 0) {
        // Keep the transcript on screen; the session is over for this page.
        endState();
      } else {
        clearSaved();
        page.session = null;
        page.rt?.stop();
        showKeyView(null, t('session_gone'));
      }
    },
  });
  page.rt.start();
  focusComposer();
}

function onFrame(frame: ServerFrame): void {
  const s = page.session;
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

function onEvent(ev: SessionEvent): void {
  const s = page.session;
  if (!s) return;
  const before: EventState = {
    sessionId: s.session_id,
    lastSeq: page.lastSeq,
    announcedUpTo: page.announcedUpTo,
    shown: page.shown,
    marks: { ...marks },
    ended: page.ended,
    app: page.app,
  };
  const { state, changes } = reduceEvent(before, ev);
  if (state === before) return;
  page.lastSeq = state.lastSeq;
  if (state.shown !== page.shown) page.shown = new Set(state.shown);
  Object.assign(marks, state.marks);
  page.app = state.app;
  for (const change of changes) showChange(change);
  if (!page.ended) persist();
  scheduleAcks();
}

/** Puts one change of the session on the page. */
function showChange(change: Change): void {
  switch (change.kind) {
    case 'joined':
      if (change.name) systemLine(change.seq, 'joined_self_named', { name: change.name });
      else systemLine(change.seq, 'joined_self');
      break;
    case 'own_message':
      acknowledge(change.clientId, change.event);
      break;
    case 'technician_message':
      setTyping(false);
      place(messageBubble('technician', change.text, change.at), change.seq);
      if (change.announce) {
        announce(t('announce_message', { who: tech(), text: change.text }));
        noteUnseen();
      }
      break;
    case 'file':
      fileBubble(change.event, change.file);
      for (const row of uploads.querySelectorAll<HTMLElement>('.upload')) {
        if (row.dataset.fileId === change.file.id) row.remove();
      }
      if (change.announce) {
        announce(t('announce_file', { who: tech(), name: change.file.name }));
        noteUnseen();
      }
      break;
    case 'marks':
      refreshMarks();
      break;
    case 'consent_requested':
      noteConsentRequested(change.requestId, change.consent, change.announce);
      break;
    case 'consent_answered': {
      noteConsentAnswered(change.requestId);
      const key = `consent_${change.consent}_${change.accepted ? 'allowed' : 'declined'}` as Key;
      systemLine(change.seq, key, { tech: tech() });
      break;
    }
    case 'ended':
      systemLine(change.seq, change.by === 'technician' ? 'ended_by_technician' : 'ended_by_end_user', {
        tech: tech(),
      });
      endState();
      break;
    case 'share':
      shareLine(change.seq, change.data);
      break;
    case 'app_line':
      appLine(change.seq, change.data);
      break;
    case 'app':
      showAppOffer(change.app);
      break;
  }
}

// ---------------------------------------------------------------- delivered / read

// ---------------------------------------------------------------- consent

// ---------------------------------------------------------------- ending

function endState(): void {
  if (page.ended) return;
  page.ended = true;
  page.rt?.stop();
  endConsentAndSharing();
  clearSaved();
  cancelTyping();
  setTyping(false);
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
  const s = page.session;
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
  page.session = saved;
  page.announcedUpTo = saved.last_seq;
  enterChat();
  try {
    const view = await api<EndUserSessionView>('GET', '/api/v1/end-user/session', {
      token: saved.end_user_token,
    });
    if (page.session !== saved) return;
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
    if (err instanceof RequestFailed && err.code === 'session_ended') {
      // The token ended with the session: the page shows that it is over (and keeps
      // nothing for a next visit).
      endState();
      return;
    }
    if (err instanceof RequestFailed && (err.status === 401 || err.status === 404)) {
      page.rt?.stop();
      clearSaved();
      page.session = null;
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
  byId('share-stop').addEventListener('click', stopSharing);
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
      page.maxUpload = info.max_upload_bytes;
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
