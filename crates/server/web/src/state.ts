// The join page's pure state rules: what each session event changes, and what is due
// to be sent. No DOM and no I/O, so node's test runner checks them (state.test.ts).
import type { SessionEvent } from './wire';

export interface Marks {
  /** How far the technician has received and read what the end user said. */
  techDelivered: number;
  techRead: number;
  /** The newest event of the technician's side that a mark should cover. */
  lastTechSeq: number;
  /** How far this page's own marks already reach. */
  sentDelivered: number;
  sentRead: number;
}

/** The marks after one event of the session. */
export function noteEvent(current: Marks, ev: SessionEvent): Marks {
  const next = { ...current };
  const d = ev.data;
  switch (d.type) {
    case 'message':
      if (d.from === 'technician') next.lastTechSeq = Math.max(next.lastTechSeq, ev.seq);
      break;
    case 'file_shared':
      if (d.file.from === 'technician') next.lastTechSeq = Math.max(next.lastTechSeq, ev.seq);
      break;
    case 'consent_requested':
      next.lastTechSeq = Math.max(next.lastTechSeq, ev.seq);
      break;
    case 'delivered':
    case 'read':
      if (d.by === 'technician') {
        if (d.type === 'read') next.techRead = Math.max(next.techRead, d.up_to_seq);
        next.techDelivered = Math.max(next.techDelivered, d.up_to_seq);
      } else if (d.type === 'read') {
        next.sentRead = Math.max(next.sentRead, d.up_to_seq);
      } else {
        next.sentDelivered = Math.max(next.sentDelivered, d.up_to_seq);
      }
      break;
    default:
      break;
  }
  return next;
}

/** Which marks to send now: only for technician events not yet marked; read only when seen. */
export function dueMarks(current: Marks, seen: boolean): { delivered: boolean; read: boolean } {
  return {
    delivered: current.lastTechSeq > current.sentDelivered,
    read: seen && current.lastTechSeq > current.sentRead,
  };
}
