// The technician's view of a session's events. The rules both sides share (marks, what
// each side authored, status, the live screen) are the protocol's, in
// crates/protocol/ts/session.ts, which the join page uses too.
import {
  consentAnswers,
  controlAllowed,
  lastAuthoredBy,
  type Marks,
  type MessageMark,
  marksOf,
  messageMark,
} from '../../../crates/protocol/ts/session';
import type {
  ConsentKind,
  EventData,
  FileInfo,
  Party,
  SessionEvent,
  ShareFailure,
  StopReason,
} from './backend/types';

export {
  type AttendedApp,
  attendedApp,
  controlAllowed,
  liveScreen,
  mergeEvents,
  statusAfter,
} from '../../../crates/protocol/ts/session';

export type Mark = MessageMark;
export type ConsentState = 'pending' | 'accepted' | 'declined';

/** One line of a session's chat panel, derived from the stored events. */
export type TimelineItem =
  | { kind: 'message'; seq: number; at: number; from: Party; text: string; mark: Mark }
  | { kind: 'file'; seq: number; at: number; file: FileInfo }
  | { kind: 'joined'; seq: number; at: number; name: string | null }
  | { kind: 'consent'; seq: number; at: number; requestId: string; consent: ConsentKind; state: ConsentState }
  | { kind: 'ended'; seq: number; at: number; by: Party }
  | { kind: 'filesExpired'; seq: number; at: number; count: number; days: number }
  | { kind: 'screen'; seq: number; at: number; screen: ScreenLine }
  | { kind: 'app'; seq: number; at: number; app: AppLine };

/** What the chat says about the end user's Lifeline app (attended control). */
export type AppLine =
  | { state: 'downloaded'; platform: string }
  | { state: 'joined'; hostname: string; os: string }
  | { state: 'left'; by: Party };

/** What the chat says about a screen view: started, stopped by whom and why, or failed. */
export type ScreenLine =
  | { state: 'started'; width: number; height: number; control: boolean }
  | { state: 'stopped'; by: Party; reason: StopReason; control?: boolean }
  | { state: 'failed'; reason: ShareFailure };

/** The chat panel's lines, with the technician's messages marked delivered or read. */
export function timeline(events: SessionEvent[]): TimelineItem[] {
  const marks = marksOf(events, 'technician');
  const answers = consentAnswers(events);
  const items: TimelineItem[] = [];
  // Control is the agent's screen shown while a control consent stands (the service's rule).
  let allowed = false;
  let controlled: string | null = null;
  for (const { seq, at, data } of events) {
    allowed = controlAllowed([{ session_id: '', seq, at, data }]) || (allowed && stillAllowed(data));
    const item = toItem(seq, at, data, marks, answers);
    if (item?.kind === 'screen' && item.screen.state === 'started' && data.type === 'screen_share_started') {
      item.screen.control = allowed && data.source === 'agent';
      if (item.screen.control) controlled = data.stream_id;
    }
    if (item?.kind === 'screen' && item.screen.state === 'stopped' && data.type === 'screen_share_stopped') {
      item.screen.control = controlled === data.stream_id;
    }
    if (item) items.push(item);
  }
  return items;
}

/** Whether a standing control consent survives this event. */
function stillAllowed(data: EventData): boolean {
  if (data.type === 'screen_share_stopped') return data.reason === 'handed_to_app';
  return data.type !== 'session_ended';
}

function toItem(
  seq: number,
  at: number,
  data: EventData,
  marks: Marks,
  answers: Map<string, boolean>,
): TimelineItem | null {
  switch (data.type) {
    case 'message': {
      return { kind: 'message', seq, at, from: data.from, text: data.text, mark: messageMark(marks, seq) };
    }
    case 'file_shared':
      return { kind: 'file', seq, at, file: data.file };
    case 'end_user_joined':
      return { kind: 'joined', seq, at, name: data.name };
    case 'consent_requested': {
      const answer = answers.get(data.request_id);
      const state: ConsentState = answer === undefined ? 'pending' : answer ? 'accepted' : 'declined';
      return { kind: 'consent', seq, at, requestId: data.request_id, consent: data.kind, state };
    }
    case 'session_ended':
      return { kind: 'ended', seq, at, by: data.by };
    case 'files_expired':
      return { kind: 'filesExpired', seq, at, count: data.count, days: data.after_days };
    case 'screen_share_started':
      return {
        kind: 'screen',
        seq,
        at,
        screen: { state: 'started', width: data.width, height: data.height, control: false },
      };
    case 'screen_share_stopped':
      return { kind: 'screen', seq, at, screen: { state: 'stopped', by: data.by, reason: data.reason } };
    case 'screen_share_failed':
      return { kind: 'screen', seq, at, screen: { state: 'failed', reason: data.reason } };
    case 'agent_downloaded':
      return { kind: 'app', seq, at, app: { state: 'downloaded', platform: data.platform } };
    case 'agent_joined':
      return { kind: 'app', seq, at, app: { state: 'joined', hostname: data.hostname, os: data.os } };
    case 'agent_left':
      return { kind: 'app', seq, at, app: { state: 'left', by: data.by } };
    default:
      return null;
  }
}

/** The end user's messages after `seenUpTo`: what the tab counts as unread. */
export function unreadAfter(events: SessionEvent[], seenUpTo: number): number {
  return events.filter((e) => e.seq > seenUpTo && e.data.type === 'message' && e.data.from === 'end_user')
    .length;
}

/**
 * The seq of the newest event from the end user's side that a read mark should cover:
 * what they said, sent or answered. Marks, and events nobody authored, never need one,
 * so a read mark is never an answer to a read mark.
 */
export function lastFromEndUser(events: readonly SessionEvent[]): number {
  return lastAuthoredBy(events, 'end_user');
}

/** How far the technician's stored read mark reaches in `events`. */
export function technicianReadUpTo(events: readonly SessionEvent[]): number {
  return marksOf(events, 'technician').myRead;
}

/**
 * Since when the end user has waited for an answer: the time of their oldest message
 * after the technician last wrote, or `null` when nothing waits (or the session ended).
 * A help desk serves whoever has waited longest first.
 */
export function waitingSince(events: readonly SessionEvent[]): number | null {
  let since: number | null = null;
  for (const { at, data } of events) {
    if (data.type === 'session_ended') return null;
    if (data.type !== 'message') continue;
    if (data.from === 'technician') since = null;
    else if (since === null) since = at;
  }
  return since;
}
