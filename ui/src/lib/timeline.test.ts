import { describe, expect, it } from 'vitest';
import type { EventData, SessionEvent } from './backend/types';
import { mergeEvents, statusAfter, timeline, unreadAfter } from './timeline';

const session = 'session-1';
const ev = (seq: number, data: EventData): SessionEvent => ({
  session_id: session,
  seq,
  at: 1000 * seq,
  data,
});
const msg = (seq: number, from: 'technician' | 'end_user', text: string) =>
  ev(seq, { type: 'message', from, client_id: `c${seq}`, text });

describe('timeline', () => {
  it('marks the technician’s messages delivered, then read, by the end user’s receipts', () => {
    const events = [
      msg(1, 'technician', 'one'),
      msg(2, 'technician', 'two'),
      ev(3, { type: 'delivered', by: 'end_user', up_to_seq: 2 }),
      ev(4, { type: 'read', by: 'end_user', up_to_seq: 1 }),
    ];
    const marks = timeline(events).map((i) => (i.kind === 'message' ? i.mark : null));
    expect(marks).toEqual(['read', 'delivered']);
  });

  it('shows a consent request as pending until it is answered', () => {
    const asked = ev(1, { type: 'consent_requested', request_id: 'r1', kind: 'view_screen' });
    expect(timeline([asked])[0]).toMatchObject({ kind: 'consent', state: 'pending' });
    const declined = ev(2, {
      type: 'consent_answered',
      request_id: 'r1',
      kind: 'view_screen',
      accepted: false,
    });
    expect(timeline([asked, declined])[0]).toMatchObject({ kind: 'consent', state: 'declined' });
  });

  it('keeps message text as typed, markup included', () => {
    const [item] = timeline([msg(1, 'end_user', '<img src=x onerror=alert(1)>')]);
    expect(item).toMatchObject({ kind: 'message', text: '<img src=x onerror=alert(1)>' });
  });
});

describe('mergeEvents', () => {
  it('keeps each seq once and in order, whatever order events arrive in', () => {
    const merged = mergeEvents([msg(2, 'end_user', 'b')], [msg(1, 'end_user', 'a'), msg(2, 'end_user', 'b')]);
    expect(merged.map((e) => e.seq)).toEqual([1, 2]);
  });
});

describe('statusAfter and unreadAfter', () => {
  it('turns waiting into active on arrival and ended at the end', () => {
    const joined = ev(1, { type: 'end_user_joined', name: 'Erika' });
    expect(statusAfter('waiting', [joined])).toBe('active');
    expect(statusAfter('waiting', [joined, ev(2, { type: 'session_ended', by: 'end_user' })])).toBe('ended');
  });

  it('counts only the end user’s messages after what was seen', () => {
    const events = [msg(1, 'end_user', 'a'), msg(2, 'technician', 'b'), msg(3, 'end_user', 'c')];
    expect(unreadAfter(events, 0)).toBe(2);
    expect(unreadAfter(events, 1)).toBe(1);
  });
});
