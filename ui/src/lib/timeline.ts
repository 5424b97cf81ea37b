import type {
  ConsentKind,
  EventData,
  FileInfo,
  Party,
  SessionEvent,
  SessionStatus,
  ShareFailure,
  StopReason,
} from './backend/types';

export type Mark = 'sent' | 'delivered' | 'read';
export type ConsentState = 'pending' | 'accepted' | 'declined';

/** One line of a session's chat panel, derived from the stored events. */
export type TimelineItem =
  | { kind: 'message'; seq: number; at: number; from: Party; text: string; mark: Mark }
  | { kind: 'file'; seq: number; at: number; file: FileInfo }
  | { kind: 'joined'; seq: number; at: number; name: string | null }
  | { kind: 'consent'; seq: number; at: number; requestId: string; consent: ConsentKind; state: ConsentState }
  | { kind: 'ended'; seq: number; at: number; by: Party }
  | { kind: 'screen'; seq: number; at: number; screen: ScreenLine };

/** What the chat says about a screen view: started, stopped by whom and why, or failed. */
export type ScreenLine =
  | { state: 'started'; width: number; height: number }
  | { state: 'stopped'; by: Party; reason: StopReason }
  | { state: 'failed'; reason: ShareFailure };

/** Adds `incoming` to `events`, keeping them ordered by `seq` and each once. */
export function mergeEvents(events: SessionEvent[], incoming: SessionEvent[]): SessionEvent[] {
  const bySeq = new Map(events.map((e) => [e.seq, e]));
  for (const event of incoming) bySeq.set(event.seq, event);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** The chat panel's lines, with the technician's messages marked delivered or read. */
export function timeline(events: SessionEvent[]): TimelineItem[] {
  let deliveredUpTo = 0;
  let readUpTo = 0;
  const answers = new Map<string, boolean>();
  for (const { data } of events) {
    if (data.type === 'delivered' && data.by === 'end_user')
      deliveredUpTo = Math.max(deliveredUpTo, data.up_to_seq);
    if (data.type === 'read' && data.by === 'end_user') readUpTo = Math.max(readUpTo, data.up_to_seq);
    if (data.type === 'consent_answered') answers.set(data.request_id, data.accepted);
  }
  const items: TimelineItem[] = [];
  for (const { seq, at, data } of events) {
    const item = toItem(seq, at, data, deliveredUpTo, readUpTo, answers);
    if (item) items.push(item);
  }
  return items;
}

function toItem(
  seq: number,
  at: number,
  data: EventData,
  deliveredUpTo: number,
  readUpTo: number,
  answers: Map<string, boolean>,
): TimelineItem | null {
  switch (data.type) {
    case 'message': {
      const mark: Mark = readUpTo >= seq ? 'read' : deliveredUpTo >= seq ? 'delivered' : 'sent';
      return { kind: 'message', seq, at, from: data.from, text: data.text, mark };
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
    case 'screen_share_started':
      return {
        kind: 'screen',
        seq,
        at,
        screen: { state: 'started', width: data.width, height: data.height },
      };
    case 'screen_share_stopped':
      return { kind: 'screen', seq, at, screen: { state: 'stopped', by: data.by, reason: data.reason } };
    case 'screen_share_failed':
      return { kind: 'screen', seq, at, screen: { state: 'failed', reason: data.reason } };
    default:
      return null;
  }
}

/** The session's status after its events, from the status it was loaded with. */
export function statusAfter(status: SessionStatus, events: SessionEvent[]): SessionStatus {
  let current = status;
  for (const { data } of events) {
    if (data.type === 'end_user_joined' && current === 'waiting') current = 'active';
    if (data.type === 'session_ended') current = 'ended';
  }
  return current;
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
export function lastFromEndUser(events: SessionEvent[]): number {
  for (let i = events.length - 1; i >= 0; i -= 1) {
    const { seq, data } = events[i] as SessionEvent;
    if (fromEndUser(data)) return seq;
  }
  return 0;
}

function fromEndUser(data: EventData): boolean {
  switch (data.type) {
    case 'message':
      return data.from === 'end_user';
    case 'file_shared':
      return data.file.from === 'end_user';
    case 'consent_answered':
    case 'system_info':
      return true;
    default:
      return false;
  }
}

/** How far the technician's stored read mark reaches in `events`. */
export function technicianReadUpTo(events: SessionEvent[]): number {
  let upTo = 0;
  for (const { data } of events) {
    if (data.type === 'read' && data.by === 'technician') upTo = Math.max(upTo, data.up_to_seq);
  }
  return upTo;
}

/** The stream the end user shares now, if one is live: its id, from the last start not yet stopped. */
export function liveScreen(events: SessionEvent[]): string | null {
  let live: string | null = null;
  for (const { data } of events) {
    if (data.type === 'screen_share_started') live = data.stream_id;
    else if (data.type === 'screen_share_stopped' && data.stream_id === live) live = null;
    else if (data.type === 'session_ended') live = null;
  }
  return live;
}
