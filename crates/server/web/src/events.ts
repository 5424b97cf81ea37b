// What one session event means for the join page, decided without the DOM: a pure
// reducer from the page's event state and one event to the next state and the changes
// to show. main.ts applies the changes (log lines, announcements, the consent prompt,
// the end); node's test runner checks the rules (events.test.ts).
import { type AttendedApp, type Marks, noteAttendedApp, noteMarks } from '../../../protocol/ts/session';
import type { ConsentKind, FileInfo, Party, SessionEvent } from './wire';

/** Where the page stands in the session's events. */
export interface EventState {
  sessionId: string;
  /** The highest seq processed: the resume cursor. Older or repeated events change nothing. */
  lastSeq: number;
  /** Events up to here were seen before a reload: shown again, but not announced. */
  announcedUpTo: number;
  /** Seqs already on screen (the page's own messages get there when their send returns). */
  shown: ReadonlySet<number>;
  marks: Marks;
  ended: boolean;
  /** The attended app: offered for download while `waiting`. */
  app: AttendedApp;
}

/** A screen-share event, as the log words it. */
export type ShareData = Extract<
  SessionEvent['data'],
  { type: 'screen_share_started' | 'screen_share_stopped' | 'screen_share_failed' }
>;

/** An event of the attended app, as the log words it. */
export type AppData = Extract<
  SessionEvent['data'],
  { type: 'agent_downloaded' | 'agent_joined' | 'agent_left' }
>;

/** What the page shows or does for one event. `announce`: new, so read out and counted. */
export type Change =
  | { kind: 'joined'; seq: number; name: string | null }
  | { kind: 'own_message'; clientId: string; event: SessionEvent }
  | { kind: 'technician_message'; seq: number; at: number; text: string; announce: boolean }
  | { kind: 'file'; event: SessionEvent; file: FileInfo; announce: boolean }
  | { kind: 'marks' }
  | { kind: 'consent_requested'; requestId: string; consent: ConsentKind; announce: boolean }
  | { kind: 'consent_answered'; seq: number; requestId: string; consent: ConsentKind; accepted: boolean }
  | { kind: 'ended'; seq: number; by: Party }
  | { kind: 'share'; seq: number; data: ShareData }
  | { kind: 'app_line'; seq: number; data: AppData }
  | { kind: 'app'; app: AttendedApp };

/** The state after `event`, and what to show for it. */
export function reduceEvent(
  state: EventState,
  event: SessionEvent,
): { state: EventState; changes: Change[] } {
  if (event.session_id !== state.sessionId || event.seq <= state.lastSeq) {
    return { state, changes: [] };
  }
  const { seq, at, data } = event;
  const live = seq > state.announcedUpTo;
  const fresh = !state.shown.has(seq);
  const next: EventState = {
    ...state,
    lastSeq: seq,
    marks: noteMarks(state.marks, event, 'end_user'),
    app: noteAttendedApp(state.app, data),
  };
  const show = (): void => {
    next.shown = new Set(state.shown).add(seq);
  };
  const changes: Change[] = [];
  switch (data.type) {
    case 'end_user_joined':
      changes.push({ kind: 'joined', seq, name: data.name });
      break;
    case 'message':
      if (data.from === 'end_user') {
        // Settling the pending bubble is idempotent: the send's answer may have come first.
        changes.push({ kind: 'own_message', clientId: data.client_id, event });
      } else if (fresh) {
        show();
        changes.push({ kind: 'technician_message', seq, at, text: data.text, announce: live });
      }
      break;
    case 'file_shared':
      if (fresh) {
        show();
        changes.push({
          kind: 'file',
          event,
          file: data.file,
          announce: live && data.file.from === 'technician',
        });
      }
      break;
    case 'delivered':
    case 'read':
      if (data.by === 'technician') changes.push({ kind: 'marks' });
      break;
    case 'consent_requested':
      changes.push({
        kind: 'consent_requested',
        requestId: data.request_id,
        consent: data.kind,
        announce: live,
      });
      break;
    case 'consent_answered':
      changes.push({
        kind: 'consent_answered',
        seq,
        requestId: data.request_id,
        consent: data.kind,
        accepted: data.accepted,
      });
      break;
    case 'session_ended':
      next.ended = true;
      changes.push({ kind: 'ended', seq, by: data.by });
      break;
    case 'screen_share_started':
    case 'screen_share_stopped':
    case 'screen_share_failed':
      if (fresh) {
        show();
        changes.push({ kind: 'share', seq, data });
      }
      break;
    case 'agent_downloaded':
    case 'agent_joined':
    case 'agent_left':
      if (fresh) {
        show();
        changes.push({ kind: 'app_line', seq, data });
      }
      break;
    default:
      break;
  }
  if (next.app !== state.app) changes.push({ kind: 'app', app: next.app });
  return { state: next, changes };
}
