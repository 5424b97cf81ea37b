// The join page's event reducer, run by `npm run test:rules` (node's test runner).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { noMarks } from '../../../protocol/ts/session';
import { type Change, type EventState, reduceEvent } from './events';
import type { EventData, SessionEvent } from './wire';

const start: EventState = {
  sessionId: 's',
  lastSeq: 0,
  announcedUpTo: 0,
  shown: new Set(),
  marks: noMarks,
  ended: false,
  app: 'none',
};
const ev = (seq: number, data: EventData, session_id = 's'): SessionEvent => ({
  session_id,
  seq,
  at: seq,
  data,
});
const fromTech = (seq: number, text = 'hi'): SessionEvent =>
  ev(seq, { type: 'message', from: 'technician', client_id: `t${seq}`, text });

/** Feeds `events` through the reducer from `from`, collecting every change. */
function run(events: SessionEvent[], from: EventState = start): { state: EventState; changes: Change[] } {
  let state = from;
  const changes: Change[] = [];
  for (const event of events) {
    const step = reduceEvent(state, event);
    state = step.state;
    changes.push(...step.changes);
  }
  return { state, changes };
}

test('a technician message is shown once and announced; a repeat or an older seq changes nothing', () => {
  const { state, changes } = run([fromTech(1, 'hello'), fromTech(1, 'hello')]);
  assert.deepEqual(changes, [{ kind: 'technician_message', seq: 1, at: 1, text: 'hello', announce: true }]);
  assert.equal(state.lastSeq, 1);
  assert.ok(state.shown.has(1));
  const again = reduceEvent(state, fromTech(1));
  assert.equal(again.state, state, 'the same state object: nothing to persist or render');
  assert.deepEqual(again.changes, []);
});

test('after a reload, the events seen before are shown again but not announced', () => {
  const { changes } = run([fromTech(1), fromTech(2)], { ...start, announcedUpTo: 1 });
  assert.deepEqual(
    changes.map((c) => (c.kind === 'technician_message' ? [c.seq, c.announce] : c.kind)),
    [
      [1, false],
      [2, true],
    ],
  );
});

test('the page’s own message settles its pending bubble, even when its send answered first', () => {
  const own = ev(3, { type: 'message', from: 'end_user', client_id: 'c1', text: 'mine' });
  const { changes } = run([own], { ...start, shown: new Set([3]) });
  assert.deepEqual(changes, [{ kind: 'own_message', clientId: 'c1', event: own }]);
});

test('events of another session are ignored', () => {
  const { state, changes } = run([ev(1, { type: 'end_user_joined', name: 'Eve' }, 'other')]);
  assert.equal(state, start);
  assert.deepEqual(changes, []);
});

test('the technician’s marks refresh the bubbles; the page’s own marks and joins only move the cursor', () => {
  const { state, changes } = run([
    ev(1, { type: 'end_user_joined', name: null }),
    ev(2, { type: 'message', from: 'end_user', client_id: 'c', text: 'x' }),
    ev(3, { type: 'read', by: 'technician', up_to_seq: 2 }),
    ev(4, { type: 'delivered', by: 'end_user', up_to_seq: 3 }),
  ]);
  assert.deepEqual(
    changes.map((c) => c.kind),
    ['joined', 'own_message', 'marks'],
  );
  assert.equal(state.marks.theirRead, 2);
  assert.equal(state.marks.myDelivered, 3);
  assert.equal(state.lastSeq, 4);
});

test('a consent request is announced when new; its answer is a log line; the end ends the page', () => {
  const { state, changes } = run(
    [
      ev(1, { type: 'consent_requested', request_id: 'r', kind: 'view_screen' }),
      ev(2, { type: 'consent_answered', request_id: 'r', kind: 'view_screen', accepted: true }),
      ev(3, { type: 'session_ended', by: 'technician' }),
    ],
    start,
  );
  assert.deepEqual(changes, [
    { kind: 'consent_requested', requestId: 'r', consent: 'view_screen', announce: true },
    { kind: 'consent_answered', seq: 2, requestId: 'r', consent: 'view_screen', accepted: true },
    { kind: 'ended', seq: 3, by: 'technician' },
  ]);
  assert.equal(state.ended, true);
  assert.equal(state.marks.lastFromThem, 1, 'the request is the technician’s; the answer is not');
});

test('files and screen-share lines are shown once; only the technician’s new file is announced', () => {
  const file = (seq: number, from: 'technician' | 'end_user'): SessionEvent =>
    ev(seq, { type: 'file_shared', file: { id: `f${seq}`, name: 'a.txt', size: 1, sha256: 'x', from } });
  const stopped = ev(3, {
    type: 'screen_share_stopped',
    stream_id: 'v',
    by: 'end_user',
    reason: 'stopped_sharing',
  });
  const { changes } = run([file(1, 'technician'), file(2, 'end_user'), stopped]);
  assert.deepEqual(
    changes.map((c) => (c.kind === 'file' ? [c.file.id, c.announce] : c.kind)),
    [['f1', true], ['f2', false], 'share'],
  );
  const shownBefore = run([stopped], { ...start, shown: new Set([3]) });
  assert.deepEqual(shownBefore.changes, []);
  assert.equal(shownBefore.state.lastSeq, 3);
});

test('allowing control offers the app until it joins; its events are lines once', () => {
  const allowed = ev(1, { type: 'consent_answered', request_id: 'r', kind: 'control', accepted: true });
  const downloaded = ev(2, { type: 'agent_downloaded', platform: 'linux-x86_64' });
  const joined = ev(3, { type: 'agent_joined', hostname: 'pc', os: 'Linux' });
  const left = ev(4, { type: 'agent_left', by: 'technician' });
  const { state, changes } = run([allowed, downloaded, joined, left]);
  assert.deepEqual(
    changes
      .filter((c) => c.kind === 'app' || c.kind === 'app_line')
      .map((c) => (c.kind === 'app' ? c.app : c.data.type)),
    ['waiting', 'agent_downloaded', 'agent_joined', 'joined', 'agent_left', 'none'],
  );
  assert.equal(state.app, 'none');
});
