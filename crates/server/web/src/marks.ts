// Delivered and read marks from the end user's side. The rule is the service's: a mark
// is worth sending only when it covers something the technician said, sent or asked
// since the last one, so marks never answer marks. The rule itself is pure and shared
// with the desktop app (crates/protocol/ts/session.ts); this module sends what it decides.

import { dueMarks, type Marks, noMarks } from '../../../protocol/ts/session';
import { t } from './i18n';
import { page } from './page';

export const marks: Marks = { ...noMarks };

let ackTimer: number | undefined;

/** Acks go out at most every 250 ms, so a replay burst costs one frame of each kind. */
export function scheduleAcks(): void {
  if (ackTimer !== undefined) return;
  ackTimer = window.setTimeout(() => {
    ackTimer = undefined;
    flushAcks();
  }, 250);
}

export function pageSeen(): boolean {
  return document.visibilityState === 'visible';
}

function flushAcks(): void {
  const s = page.session;
  const rt = page.rt;
  if (!s || !rt || page.ended) return;
  const due = dueMarks(marks, pageSeen());
  const upTo = page.lastSeq;
  if (due.delivered && rt.send({ type: 'delivered', session_id: s.session_id, up_to_seq: upTo })) {
    marks.myDelivered = upTo;
  }
  if (due.read && rt.send({ type: 'read', session_id: s.session_id, up_to_seq: upTo })) marks.myRead = upTo;
}

export function noteUnseen(): void {
  if (pageSeen() && document.hasFocus()) return;
  page.unseen += 1;
  updateTitle();
}

export function onSeen(): void {
  if (!pageSeen()) return;
  page.unseen = 0;
  updateTitle();
  flushAcks();
}

export function updateTitle(): void {
  const base = t('page_title');
  document.title = page.unseen > 0 ? t('new_title', { count: String(page.unseen), title: base }) : base;
}
