import type { Backend } from '../backend';
import type {
  AdhocSessionSummary,
  CannedReply,
  DeskEvent,
  IpcErrorCode,
  SessionEvent,
  SessionStatus,
  SessionSummary,
  SignedIn,
  TransferUpdate,
} from '../backend/types';
import {
  type AttendedApp,
  attendedApp,
  controlAllowed,
  lastFromEndUser,
  liveScreen,
  mergeEvents,
  statusAfter,
  technicianReadUpTo,
  unreadAfter,
  waitingSince,
} from '../timeline';
import { errorMessage } from './settings.svelte';

function endUserName(summary: SessionSummary, events: SessionEvent[]): string | null {
  for (const { data } of events) if (data.type === 'end_user_joined' && data.name) return data.name;
  return summary.end_user_name;
}

/** One open session tab. */
export class SessionState {
  summary = $state<SessionSummary>() as SessionSummary;
  events = $state<SessionEvent[]>([]);
  /** The newest seq the technician has seen (the tab was in front). */
  seenUpTo = $state(0);
  /**
   * The newest end-user event a read mark was sent for. Plain, not `$state`: nothing
   * shows it, and it only decides whether the next mark is worth sending.
   */
  readMarkedUpTo = 0;
  endUserTyping = $state(false);
  endUserOnline = $state(false);
  transfers = $state<Record<string, TransferUpdate>>({});
  readonly status: SessionStatus = $derived(statusAfter(this.summary.status, this.events));
  readonly unread: number = $derived(unreadAfter(this.events, this.seenUpTo));
  readonly lastSeq: number = $derived(this.events.at(-1)?.seq ?? 0);
  /** The end user's live screen share, by stream id; `null` while none is. */
  readonly liveScreen: string | null = $derived(liveScreen(this.events));
  /** The end user allowed control, and the screen has not stopped since. */
  readonly controlAllowed: boolean = $derived(controlAllowed(this.events));
  /** The end user's Lifeline app (attended control): awaited, running, or neither. */
  readonly attendedApp: AttendedApp = $derived(
    this.summary.adhoc_session_id === null ? attendedApp(this.events) : 'none',
  );
  /** The computer the end user's Lifeline app runs on, once it joined. */
  readonly appHost: string | null = $derived(
    this.events.reduce<string | null>(
      (host, e) => (e.data.type === 'agent_joined' ? e.data.hostname : host),
      null,
    ),
  );
  /** The name the end user gave on joining, if any (the summary predates the join). */
  readonly endUserName: string | null = $derived(endUserName(this.summary, this.events));

  /** Since when the end user has waited for an answer (Unix ms), or `null`. */
  readonly waitingSince: number | null = $derived(waitingSince(this.events));
  /** Where the session stands, as the session list shows it. */
  readonly listState: ListState = $derived(
    this.status === 'ended' || this.status === 'expired'
      ? 'ended'
      : this.status === 'waiting'
        ? 'waiting'
        : this.endUserOnline
          ? 'active'
          : 'offline',
  );

  constructor(summary: SessionSummary) {
    this.summary = summary;
  }
}

/** A session in the list: its end user not there yet, there, away, or the session over. */
export type ListState = 'waiting' | 'active' | 'offline' | 'ended';

/**
 * The order of the session list, as help desks keep it: sessions whose end user waits
 * for an answer first, longest waiting first; then the rest as they were opened.
 */
export function inServiceOrder(sessions: readonly SessionState[]): SessionState[] {
  const waiting = sessions
    .filter((s) => s.waitingSince !== null)
    .sort((a, b) => (a.waitingSince ?? 0) - (b.waitingSince ?? 0));
  return [...waiting, ...sessions.filter((s) => s.waitingSince === null)];
}

export type Tab =
  | { kind: 'support' }
  | { kind: 'adhoc' }
  | { kind: 'computers' }
  | { kind: 'settings' }
  | { kind: 'session'; id: string };

/**
 * The app's state: the sign-in, the open session tabs, and the connection; fed by
 * backend calls and by the desk events the shell pushes.
 */
export class DeskStore {
  signedIn = $state<SignedIn | null>(null);
  sessions = $state<SessionState[]>([]);
  active = $state<Tab>({ kind: 'support' });
  online = $state(true);
  /** Why the service ended the sign-in (its code, for the UI to explain), until the next one. */
  signedOut = $state<{ code: IpcErrorCode; reason: string } | null>(null);
  /** Remember me failed: the keychain's complaint, shown once after sign-in. */
  keychainError = $state<string | null>(null);
  /** Why files dropped on the window could not be sent, until dismissed. */
  dropError = $state<string | null>(null);
  readonly totalUnread: number = $derived(this.sessions.reduce((sum, s) => sum + s.unread, 0));
  /** The session list's order (see `inServiceOrder`). */
  readonly ordered: SessionState[] = $derived(inServiceOrder(this.sessions));
  /** The newest state of each ad-hoc session pushed since sign-in, by id. */
  adhoc = $state<Record<string, AdhocSessionSummary>>({});
  /** Counts ad-hoc changes, so pages that list computers know to reload. */
  adhocChanges = $state(0);
  /** Asked while the page in front holds something that would be lost by leaving it. */
  private leaveCheck: (() => boolean) | null = null;
  /** Where the technician wanted to go when the leave guard stopped them. */
  pendingTab = $state<Tab | null>(null);
  /** The technician's canned replies and the company's, as the service keeps them. */
  replies = $state<CannedReply[]>([]);

  constructor(private readonly backend: Backend) {}

  session(id: string): SessionState | undefined {
    return this.sessions.find((s) => s.summary.id === id);
  }

  isFront(id: string): boolean {
    return this.active.kind === 'session' && this.active.id === id;
  }

  /** After a sign-in: reopen the sessions that are still waiting or active. */
  async begin(signedIn: SignedIn): Promise<void> {
    this.signedIn = signedIn;
    this.keychainError = signedIn.keychain_error;
    this.signedOut = null;
    this.online = true;
    const { technician } = signedIn;
    if (technician.second_factor_required && !technician.second_factor) {
      // The company requires two-step sign-in: until it is set up, Settings is all the
      // service allows.
      this.navigate({ kind: 'settings' });
      return;
    }
    void this.loadReplies();
    const open = (await this.backend.listSessions()).filter(
      (s) => s.status === 'waiting' || s.status === 'active',
    );
    for (const summary of open) await this.open(summary, false);
  }

  /** Reads the canned replies again; a failure leaves the list as it was. */
  async loadReplies(): Promise<void> {
    try {
      this.replies = await this.backend.cannedReplies();
    } catch {
      // The menu shows what it had; Settings reports failures where replies are edited.
    }
  }

  /** Opens (or shows) a session's tab and fills in its history. */
  async open(summary: SessionSummary, front = true): Promise<SessionState> {
    let state = this.session(summary.id);
    if (!state) {
      state = new SessionState(summary);
      this.sessions.push(state);
      // Pushed events may already have arrived; merging by seq keeps each once.
      const history = await this.backend.sessionEvents(summary.id, 0);
      state.events = mergeEvents(state.events, history);
      state.seenUpTo = state.lastSeq;
      state.readMarkedUpTo = technicianReadUpTo(state.events);
    }
    if (front) this.show({ kind: 'session', id: summary.id });
    return state;
  }

  /** Files dropped on the window go to the session in front; elsewhere they are ignored. */
  async sendDropped(paths: string[]): Promise<void> {
    if (this.active.kind !== 'session') return;
    const sessionId = this.active.id;
    this.dropError = null;
    for (const path of paths) {
      try {
        await this.backend.sendFile(sessionId, path);
      } catch (err) {
        this.dropError = errorMessage(err);
      }
    }
  }

  async startSession(requestControlOnArrival: boolean): Promise<SessionState> {
    const summary = await this.backend.startSession(requestControlOnArrival);
    return this.open(summary);
  }

  /** Connects to an ad-hoc computer; the connection opens as a session tab. */
  async connectComputer(adhocSessionId: string, password: string): Promise<SessionState> {
    const summary = await this.backend.connectComputer(adhocSessionId, password);
    return this.open(summary);
  }

  /**
   * A page that holds something shown once asks before it is left: `check` says whether
   * it holds it now. Returns the function that withdraws the check. A check is asked,
   * not a flag kept in step by an `$effect`, so no effect writes to this store.
   */
  guardLeaving(check: () => boolean): () => void {
    this.leaveCheck = check;
    return () => {
      if (this.leaveCheck === check) this.leaveCheck = null;
    };
  }

  /** Whether leaving the page in front asks first. */
  get leaveGuard(): boolean {
    return this.leaveCheck?.() ?? false;
  }

  /** Shows `tab`, unless the page in front asks first (see `guardLeaving`). */
  navigate(tab: Tab): void {
    if (this.leaveGuard && this.active.kind !== tab.kind) {
      this.pendingTab = tab;
      return;
    }
    this.show(tab);
  }

  /** The technician confirmed leaving the guarded page. */
  leave(): void {
    const tab = this.pendingTab;
    this.leaveCheck = null;
    this.pendingTab = null;
    if (tab) this.show(tab);
  }

  stay(): void {
    this.pendingTab = null;
  }

  show(tab: Tab): void {
    this.active = tab;
    if (tab.kind === 'session') this.markSeen(tab.id);
  }

  /** The next (`step` 1) or previous (-1) session in the list's order, wrapping. */
  cycle(step: 1 | -1): void {
    const list = this.ordered;
    const active = this.active;
    const at = active.kind === 'session' ? list.findIndex((s) => s.summary.id === active.id) : -1;
    const next = at === -1 ? (step === 1 ? 0 : list.length - 1) : (at + step + list.length) % list.length;
    const session = list[next];
    if (session) this.navigate({ kind: 'session', id: session.summary.id });
  }

  /** The `n`th session of the list (from 1), if there is one. */
  showNth(n: number): void {
    const session = this.ordered[n - 1];
    if (session) this.navigate({ kind: 'session', id: session.summary.id });
  }

  close(id: string): void {
    this.sessions = this.sessions.filter((s) => s.summary.id !== id);
    if (this.isFront(id)) this.active = { kind: 'support' };
    this.updateBadge();
  }

  /**
   * The tab in front shows everything it holds. A read mark goes out only when that
   * covers an end-user event not marked yet: marks (the end user's and our own echoed
   * back), typing and presence never cause one, so marks cannot answer marks.
   */
  private markSeen(id: string): void {
    const state = this.session(id);
    if (!state) return;
    if (state.seenUpTo < state.lastSeq) state.seenUpTo = state.lastSeq;
    const fromEndUser = lastFromEndUser(state.events);
    if (fromEndUser > state.readMarkedUpTo) {
      state.readMarkedUpTo = fromEndUser;
      void this.backend.markRead(id, state.lastSeq);
    }
    this.updateBadge();
  }

  /** The count last shown on the tray and the window's badge; -1 before the first. */
  private shownBadge = -1;

  /** Tells the tray and badge the unread count, only when it changed. */
  private updateBadge(): void {
    const count = this.totalUnread;
    if (count === this.shownBadge) return;
    this.shownBadge = count;
    void this.backend.setBadge(count);
  }

  /** Applies one pushed desk event. */
  apply(event: DeskEvent): void {
    switch (event.type) {
      case 'connection':
        this.online = event.online;
        break;
      case 'signed_out':
        this.signedOut = { code: event.code, reason: event.reason };
        this.signedIn = null;
        this.sessions = [];
        this.leaveCheck = null;
        this.updateBadge();
        break;
      case 'session': {
        const state = this.session(event.event.session_id);
        if (!state) return;
        state.events = mergeEvents(state.events, [event.event]);
        if (this.isFront(state.summary.id) && document.hasFocus()) this.markSeen(state.summary.id);
        else this.updateBadge();
        break;
      }
      case 'typing': {
        const state = this.session(event.session_id);
        if (state) state.endUserTyping = event.typing;
        break;
      }
      case 'presence': {
        const state = this.session(event.session_id);
        if (state) state.endUserOnline = event.online;
        break;
      }
      case 'show_session':
        // The technician clicked the arrival notification: that session to the front.
        if (this.session(event.session_id)) this.navigate({ kind: 'session', id: event.session_id });
        break;
      case 'adhoc':
        this.adhoc[event.session.id] = event.session;
        this.adhocChanges += 1;
        break;
      case 'transfer': {
        const state = this.session(event.transfer.session_id);
        if (state) state.transfers[event.transfer.id] = event.transfer;
        break;
      }
    }
  }

  /** The window came to the front: what the front tab shows now counts as read. */
  focused(): void {
    if (this.active.kind === 'session') this.markSeen(this.active.id);
  }

  async signOut(): Promise<void> {
    await this.backend.signOut();
    this.signedIn = null;
    this.sessions = [];
    this.active = { kind: 'support' };
    this.updateBadge();
  }
}
