// The session rules both sides share, from each side's seat. Run by `npm run test:rules`
// (node's test runner); the desktop app's Vitest suite checks its timeline over them too.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { EventData } from '../bindings/EventData';
import type { SessionEvent } from '../bindings/SessionEvent';
import {
  attendedApp,
  authoredBy,
  controlAllowed,
  dueMarks,
  lastAuthoredBy,
  liveScreen,
  marksOf,
  mergeEvents,
  messageMark,
  noMarks,
  statusAfter,
} from './session';

const ev = (seq: number, data: EventData): SessionEvent => ({ session_id: 's', seq, at: seq, data });
const said = (seq: number, from: 'technician' | 'end_user'): SessionEvent =>
  ev(seq, { type: 'message', from, client_id: `c${seq}`, text: 'hi' });

test('a technician message makes both of the end user’s marks due; read only once the page is seen', () => {
  const m = marksOf([said(1, 'technician')], 'end_user');
  assert.deepEqual(dueMarks(m, false), { delivered: true, read: false });
  assert.deepEqual(dueMarks(m, true), { delivered: true, read: true });
});

test('marks, one’s own messages and joins never make a mark due, on either side', () => {
  const events = [
    ev(1, { type: 'end_user_joined', name: null }),
    said(2, 'end_user'),
    ev(3, { type: 'read', by: 'technician', up_to_seq: 2 }),
    ev(4, { type: 'delivered', by: 'technician', up_to_seq: 3 }),
  ];
  const endUser = marksOf(events, 'end_user');
  assert.deepEqual(dueMarks(endUser, true), { delivered: false, read: false });
  assert.equal(endUser.theirRead, 2);
  assert.equal(endUser.theirDelivered, 3);
  const technician = marksOf(events, 'technician');
  assert.equal(technician.lastFromThem, 2, 'the end user’s message, not the marks after it');
  assert.equal(technician.myRead, 2);
  assert.deepEqual(dueMarks(technician, true), { delivered: false, read: false });
});

test('one’s own stored marks settle what was due, and stay settled when echoed', () => {
  const m = marksOf(
    [
      said(1, 'technician'),
      ev(2, { type: 'delivered', by: 'end_user', up_to_seq: 1 }),
      ev(3, { type: 'read', by: 'end_user', up_to_seq: 2 }),
      ev(4, { type: 'read', by: 'technician', up_to_seq: 3 }),
    ],
    'end_user',
  );
  assert.deepEqual(dueMarks(m, true), { delivered: false, read: false });
});

test('what each side authored: files, consent requests and answers, system information', () => {
  const file = (from: 'technician' | 'end_user'): EventData => ({
    type: 'file_shared',
    file: { id: 'f', name: 'a.txt', size: 1, sha256: 'x', from },
  });
  assert.ok(authoredBy(file('technician'), 'technician'));
  assert.ok(!authoredBy(file('technician'), 'end_user'));
  const asked: EventData = { type: 'consent_requested', request_id: 'r', kind: 'view_screen' };
  assert.ok(authoredBy(asked, 'technician'));
  const answered: EventData = {
    type: 'consent_answered',
    request_id: 'r',
    kind: 'view_screen',
    accepted: true,
  };
  assert.ok(authoredBy(answered, 'end_user'));
  assert.equal(marksOf([ev(5, asked)], 'end_user').lastFromThem, 5);
  const events = [ev(5, asked), ev(6, answered), ev(7, { type: 'read', by: 'end_user', up_to_seq: 6 })];
  assert.equal(lastAuthoredBy(events, 'end_user'), marksOf(events, 'technician').lastFromThem);
  assert.equal(lastAuthoredBy(events, 'technician'), 5);
  assert.equal(lastAuthoredBy([], 'technician'), 0);
  assert.equal(marksOf([ev(5, asked), ev(6, answered)], 'technician').lastFromThem, 6);
});

test('a message is sent, then delivered, then read; a read mark implies delivery', () => {
  const events = [said(1, 'technician'), said(2, 'technician')];
  const none = marksOf(events, 'technician');
  assert.equal(messageMark(none, 1), 'sent');
  const delivered = marksOf(
    [...events, ev(3, { type: 'delivered', by: 'end_user', up_to_seq: 2 })],
    'technician',
  );
  assert.equal(messageMark(delivered, 2), 'delivered');
  const read = marksOf([...events, ev(3, { type: 'read', by: 'end_user', up_to_seq: 1 })], 'technician');
  assert.equal(messageMark(read, 1), 'read');
  assert.equal(messageMark(read, 2), 'sent');
  assert.deepEqual(marksOf([], 'technician'), noMarks);
});

test('events merge by seq, each once; status and the live screen follow them', () => {
  const merged = mergeEvents([said(2, 'end_user')], [said(1, 'end_user'), said(2, 'end_user')]);
  assert.deepEqual(
    merged.map((e) => e.seq),
    [1, 2],
  );
  assert.equal(statusAfter('waiting', [ev(1, { type: 'end_user_joined', name: 'Eve' })]), 'active');
  assert.equal(statusAfter('active', [ev(1, { type: 'session_ended', by: 'technician' })]), 'ended');
  const started: EventData = {
    type: 'screen_share_started',
    stream_id: 'v1',
    source: 'browser',
    surface: 'monitor',
    width: 1280,
    height: 720,
  };
  assert.equal(liveScreen([ev(1, started)]), 'v1');
  assert.equal(liveScreen([ev(1, started), ev(2, { type: 'session_ended', by: 'end_user' })]), null);
});

test('control stands from an allowed control request until the screen stops', () => {
  const allowed = (kind: 'control' | 'view_screen', accepted = true): EventData => ({
    type: 'consent_answered',
    request_id: 'r',
    kind,
    accepted,
  });
  const stopped: EventData = {
    type: 'screen_share_stopped',
    stream_id: 'v1',
    by: 'end_user',
    reason: 'stopped_sharing',
  };
  assert.equal(controlAllowed([ev(1, allowed('view_screen'))]), false, 'a view is not control');
  assert.equal(controlAllowed([ev(1, allowed('control', false))]), false);
  assert.equal(controlAllowed([ev(1, allowed('control'))]), true);
  assert.equal(controlAllowed([ev(1, allowed('control')), ev(2, stopped)]), false, 'Stop ends control');
  assert.equal(controlAllowed([ev(1, allowed('control')), ev(2, stopped), ev(3, allowed('control'))]), true);
  const handed: EventData = { ...stopped, reason: 'handed_to_app' };
  assert.equal(controlAllowed([ev(1, allowed('control')), ev(2, handed)]), true, 'the app takes over');
  const failed: EventData = { type: 'screen_share_failed', reason: 'picker_cancelled' };
  assert.equal(controlAllowed([ev(1, allowed('control')), ev(2, failed)]), true, 'the app may still show it');
});

test('the attended app is awaited after control is allowed, runs once joined, and is gone when it leaves', () => {
  const allowed: EventData = { type: 'consent_answered', request_id: 'r', kind: 'control', accepted: true };
  const view: EventData = { ...allowed, kind: 'view_screen' };
  const joined: EventData = { type: 'agent_joined', hostname: 'pc', os: 'Linux' };
  assert.equal(attendedApp([]), 'none');
  assert.equal(attendedApp([ev(1, view)]), 'none', 'a view needs no app');
  assert.equal(attendedApp([ev(1, allowed)]), 'waiting');
  assert.equal(attendedApp([ev(1, allowed), ev(2, joined)]), 'joined');
  assert.equal(
    attendedApp([ev(1, allowed), ev(2, joined), ev(3, allowed)]),
    'joined',
    'a new yes keeps the app',
  );
  const cancelled: EventData = { type: 'agent_left', by: 'technician' };
  assert.equal(attendedApp([ev(1, allowed), ev(2, cancelled)]), 'none');
  assert.equal(attendedApp([ev(1, allowed), ev(2, { type: 'session_ended', by: 'technician' })]), 'none');
});
