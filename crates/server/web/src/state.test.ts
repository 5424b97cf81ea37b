// The join page's mark rule, run by `npm run test:join` (node's test runner).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { dueMarks, type Marks, noteEvent } from './state';
import type { EventData, SessionEvent } from './wire';

const none: Marks = { techDelivered: 0, techRead: 0, lastTechSeq: 0, sentDelivered: 0, sentRead: 0 };
const ev = (seq: number, data: EventData): SessionEvent => ({ session_id: 's', seq, at: seq, data });
const apply = (events: SessionEvent[]): Marks => events.reduce(noteEvent, none);

test('a technician message makes both marks due; read only once the page is seen', () => {
  const m = apply([ev(1, { type: 'message', from: 'technician', client_id: 'c', text: 'hi' })]);
  assert.deepEqual(dueMarks(m, false), { delivered: true, read: false });
  assert.deepEqual(dueMarks(m, true), { delivered: true, read: true });
});

test('marks, own messages and joins never make a mark due', () => {
  const m = apply([
    ev(1, { type: 'end_user_joined', name: null }),
    ev(2, { type: 'message', from: 'end_user', client_id: 'c', text: 'hello' }),
    ev(3, { type: 'read', by: 'technician', up_to_seq: 2 }),
    ev(4, { type: 'delivered', by: 'technician', up_to_seq: 3 }),
  ]);
  assert.deepEqual(dueMarks(m, true), { delivered: false, read: false });
  assert.equal(m.techRead, 2);
  assert.equal(m.techDelivered, 3);
});

test('the page’s own stored marks settle what was due, and stay settled when echoed', () => {
  const m = apply([
    ev(1, { type: 'message', from: 'technician', client_id: 'c', text: 'hi' }),
    ev(2, { type: 'delivered', by: 'end_user', up_to_seq: 1 }),
    ev(3, { type: 'read', by: 'end_user', up_to_seq: 2 }),
    ev(4, { type: 'read', by: 'technician', up_to_seq: 3 }),
  ]);
  assert.deepEqual(dueMarks(m, true), { delivered: false, read: false });
});

test('a file or a consent request from the technician is worth a mark', () => {
  const file = apply([
    ev(1, {
      type: 'file_shared',
      file: { id: 'f', name: 'a.txt', size: 1, sha256: 'x', from: 'technician' },
    }),
  ]);
  assert.equal(file.lastTechSeq, 1);
  const asked = apply([ev(5, { type: 'consent_requested', request_id: 'r', kind: 'view_screen' })]);
  assert.equal(asked.lastTechSeq, 5);
});
