import { describe, expect, it } from 'vitest';
import type { EventData, SessionEvent } from './backend/types';
import { liveScreen, mergeEvents, statusAfter, timeline, unreadAfter, waitingSince } from './timeline';

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

describe('waitingSince', () => {
  it('runs from the oldest message the technician has not answered', () => {
    expect(waitingSince([])).toBeNull();
    expect(waitingSince([msg(1, 'end_user', 'hello'), msg(2, 'end_user', 'anyone?')])).toBe(1000);
    expect(waitingSince([msg(1, 'end_user', 'hello'), msg(2, 'technician', 'hi')])).toBeNull();
    const again = [
      msg(1, 'end_user', 'a'),
      msg(2, 'technician', 'b'),
      ev(3, { type: 'end_user_joined', name: null }),
      msg(4, 'end_user', 'c'),
    ];
    expect(waitingSince(again)).toBe(4000);
    expect(waitingSince([...again, ev(5, { type: 'session_ended', by: 'end_user' })])).toBeNull();
  });
});

describe('mergeEvents', () => {
  it('keeps each seq once and in order, whatever order events arrive in', () => {
    const merged = mergeEvents([msg(2, 'end_user', 'b')], [msg(1, 'end_user', 'a'), msg(2, 'end_user', 'b')]);
    expect(merged.map((e) => e.seq)).toEqual([1, 2]);
  });
});

describe('statusAfter and unreadAfter', () => {
  it('says when the retention rule deleted the session’s files', () => {
    const expired = ev(5, { type: 'files_expired', count: 2, after_days: 30 });
    expect(timeline([expired])).toEqual([{ kind: 'filesExpired', seq: 5, at: 5000, count: 2, days: 30 }]);
  });

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

describe('screen views', () => {
  const started = (seq: number, id: string) =>
    ev(seq, {
      type: 'screen_share_started',
      stream_id: id,
      source: 'browser',
      surface: 'monitor',
      width: 1280,
      height: 720,
    });
  const stopped = (seq: number, id: string) =>
    ev(seq, { type: 'screen_share_stopped', stream_id: id, by: 'end_user', reason: 'stopped_sharing' });

  it('knows which stream is live, and none after its stop or the end of the session', () => {
    expect(liveScreen([started(1, 's1')])).toBe('s1');
    expect(liveScreen([started(1, 's1'), stopped(2, 's1')])).toBeNull();
    expect(liveScreen([started(1, 's1'), stopped(2, 's1'), started(3, 's2')])).toBe('s2');
    expect(liveScreen([started(1, 's1'), ev(2, { type: 'session_ended', by: 'technician' })])).toBeNull();
  });

  it('shows start, stop and a failed share as lines of the chat', () => {
    const items = timeline([
      started(1, 's1'),
      stopped(2, 's1'),
      ev(3, { type: 'screen_share_failed', reason: 'picker_cancelled' }),
    ]);
    expect(items.map((i) => (i.kind === 'screen' ? i.screen.state : i.kind))).toEqual([
      'started',
      'stopped',
      'failed',
    ]);
  });

  it('calls the agent’s screen shown while control stands remote control, from start to end', () => {
    const allowed = ev(1, { type: 'consent_answered', request_id: 'r', kind: 'control', accepted: true });
    const browser = started(2, 'b1');
    const handed = ev(3, {
      type: 'screen_share_stopped',
      stream_id: 'b1',
      by: 'end_user',
      reason: 'handed_to_app',
    });
    const agent = ev(4, {
      type: 'screen_share_started',
      stream_id: 'a1',
      source: 'agent',
      surface: 'monitor',
      width: 1920,
      height: 1080,
    });
    const items = timeline([allowed, browser, handed, agent, stopped(5, 'a1')]).filter(
      (i) => i.kind === 'screen',
    );
    expect(
      items.map((i) =>
        i.kind === 'screen' && i.screen.state !== 'failed' ? [i.screen.state, i.screen.control ?? false] : [],
      ),
    ).toEqual([
      ['started', false],
      ['stopped', false],
      ['started', true],
      ['stopped', true],
    ]);
  });
});
