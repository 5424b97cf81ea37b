// The rules both sides of a support session apply to its events, written once: the join
// page (end user) and the desktop app (technician) import this module, each naming the
// party it is. Pure functions over the wire types: no DOM, no I/O, no framework, so
// node's test runner checks them (session.test.ts) and both bundles can take them in.
import type { EventData } from '../bindings/EventData';
import type { Party } from '../bindings/Party';
import type { SessionEvent } from '../bindings/SessionEvent';
import type { SessionStatus } from '../bindings/SessionStatus';

/** The other side of a session. */
export function otherParty(party: Party): Party {
  return party === 'technician' ? 'end_user' : 'technician';
}

/**
 * Whether `party` authored the event: said, sent, asked or answered something the other
 * side should acknowledge. Marks, typing and events nobody authored are not, so a mark is
 * never an answer to a mark (the service stores none that covers only those).
 */
export function authoredBy(data: EventData, party: Party): boolean {
  switch (data.type) {
    case 'message':
      return data.from === party;
    case 'file_shared':
      return data.file.from === party;
    case 'consent_requested':
      return party === 'technician';
    case 'consent_answered':
    case 'system_info':
      return party === 'end_user';
    default:
      return false;
  }
}

/**
 * The seq of the newest event `party` authored, 0 when none. It scans from the end, so
 * asking after every new event costs little however long the session is.
 */
export function lastAuthoredBy(events: readonly SessionEvent[], party: Party): number {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const event = events[i];
    if (event && authoredBy(event.data, party)) return event.seq;
  }
  return 0;
}

/** Where the delivered and read marks of a session stand, as seen by one side (`me`). */
export interface Marks {
  /** How far the other side has received and read what I said. Read implies delivered. */
  theirDelivered: number;
  theirRead: number;
  /** The newest event the other side authored: what a mark of mine should cover. */
  lastFromThem: number;
  /** How far my own stored marks reach. */
  myDelivered: number;
  myRead: number;
}

export const noMarks: Marks = { theirDelivered: 0, theirRead: 0, lastFromThem: 0, myDelivered: 0, myRead: 0 };

/** The marks after one more event of the session, seen by `me`. */
export function noteMarks(current: Marks, event: SessionEvent, me: Party): Marks {
  const next = { ...current };
  const data = event.data;
  if (authoredBy(data, otherParty(me))) next.lastFromThem = Math.max(next.lastFromThem, event.seq);
  if (data.type === 'delivered' || data.type === 'read') {
    const read = data.type === 'read';
    if (data.by === me) {
      if (read) next.myRead = Math.max(next.myRead, data.up_to_seq);
      else next.myDelivered = Math.max(next.myDelivered, data.up_to_seq);
    } else {
      if (read) next.theirRead = Math.max(next.theirRead, data.up_to_seq);
      next.theirDelivered = Math.max(next.theirDelivered, data.up_to_seq);
    }
  }
  return next;
}

/** The marks after all of `events`, seen by `me`. */
export function marksOf(events: readonly SessionEvent[], me: Party): Marks {
  return events.reduce((marks, event) => noteMarks(marks, event, me), noMarks);
}

/** Which marks of mine are due: only over events of theirs not yet marked; read only when seen. */
export function dueMarks(marks: Marks, seen: boolean): { delivered: boolean; read: boolean } {
  return {
    delivered: marks.lastFromThem > marks.myDelivered,
    read: seen && marks.lastFromThem > marks.myRead,
  };
}

/** What the other side has done with my message at `seq`. */
export type MessageMark = 'sent' | 'delivered' | 'read';

export function messageMark(marks: Marks, seq: number): MessageMark {
  if (marks.theirRead >= seq) return 'read';
  return marks.theirDelivered >= seq ? 'delivered' : 'sent';
}

/** Adds `incoming` to `events`, keeping them ordered by `seq` and each once. */
export function mergeEvents(events: SessionEvent[], incoming: SessionEvent[]): SessionEvent[] {
  const bySeq = new Map(events.map((e) => [e.seq, e]));
  for (const event of incoming) bySeq.set(event.seq, event);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** The answer to each consent request answered so far, by request id. */
export function consentAnswers(events: readonly SessionEvent[]): Map<string, boolean> {
  const answers = new Map<string, boolean>();
  for (const { data } of events) {
    if (data.type === 'consent_answered') answers.set(data.request_id, data.accepted);
  }
  return answers;
}

/** The session's status after its events, from the status it was loaded with. */
export function statusAfter(status: SessionStatus, events: readonly SessionEvent[]): SessionStatus {
  let current = status;
  for (const { data } of events) {
    if (data.type === 'end_user_joined' && current === 'waiting') current = 'active';
    if (data.type === 'session_ended') current = 'ended';
  }
  return current;
}

/** The stream the end user shares now, if one is live: its id, from the last start not yet stopped. */
export function liveScreen(events: readonly SessionEvent[]): string | null {
  let live: string | null = null;
  for (const { data } of events) {
    if (data.type === 'screen_share_started') live = data.stream_id;
    else if (data.type === 'screen_share_stopped' && data.stream_id === live) live = null;
    else if (data.type === 'session_ended') live = null;
  }
  return live;
}

/**
 * Whether the end user's consent to control stands: a control request was allowed after
 * the last screen share stopped (stopping the screen ends control), as the service
 * decides it. A handover from the browser to the attended app is no stop, and a browser
 * that could not share does not withdraw it: the app may still show the screen.
 */
export function controlAllowed(events: readonly SessionEvent[]): boolean {
  let allowed = false;
  for (const { data } of events) {
    if (data.type === 'consent_answered' && data.kind === 'control' && data.accepted) allowed = true;
    else if (data.type === 'screen_share_stopped' && data.reason !== 'handed_to_app') allowed = false;
    else if (data.type === 'session_ended') allowed = false;
  }
  return allowed;
}

/**
 * Where the attended app of a keyed session stands: `waiting` once the end user allowed
 * control (the page offers the download) until the app joins, `joined` while it runs,
 * `none` before, after it left or was cancelled, and after the end. Not for ad-hoc
 * connections, whose end user is the app already.
 */
export type AttendedApp = 'none' | 'waiting' | 'joined';

export function attendedApp(events: readonly SessionEvent[]): AttendedApp {
  return events.reduce((state: AttendedApp, { data }) => noteAttendedApp(state, data), 'none');
}

/** Where the attended app stands after one more event. */
export function noteAttendedApp(state: AttendedApp, data: EventData): AttendedApp {
  if (data.type === 'consent_answered' && data.kind === 'control' && data.accepted) {
    return state === 'none' ? 'waiting' : state;
  }
  if (data.type === 'agent_joined') return 'joined';
  if (data.type === 'agent_left' || data.type === 'session_ended') return 'none';
  return state;
}
