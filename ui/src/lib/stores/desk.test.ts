import { describe, expect, it, vi } from 'vitest';
import type { Backend } from '../backend';
import type { SessionEvent } from '../backend/types';
import { sessionSummary } from '../testing/fixtures';
import { DeskStore } from './desk.svelte';

const summary = (id: string) => sessionSummary({ id });

const message = (session_id: string, seq: number): SessionEvent => ({
  session_id,
  seq,
  at: Date.now(),
  data: { type: 'message', from: 'end_user', client_id: `c${seq}`, text: `m${seq}` },
});

const mark = (
  session_id: string,
  seq: number,
  by: 'technician' | 'end_user',
  type: 'read' | 'delivered',
  up_to_seq: number,
): SessionEvent => ({ session_id, seq, at: Date.now(), data: { type, by, up_to_seq } });

function fakeBackend(): Backend {
  const fake: Partial<Backend> = {
    sessionEvents: vi.fn(async () => []),
    startSession: vi.fn(async () => summary('s1')),
    markRead: vi.fn(async () => {}),
    setBadge: vi.fn(async () => {}),
  };
  return fake as Backend;
}

describe('DeskStore', () => {
  it('counts unread messages on a tab in the back and clears them when it comes to the front', async () => {
    const backend = fakeBackend();
    const desk = new DeskStore(backend);
    await desk.open(summary('s1'), false);
    await desk.open(summary('s2'));
    desk.apply({ type: 'session', event: message('s1', 1) });
    desk.apply({ type: 'session', event: message('s1', 2) });
    expect(desk.session('s1')?.unread).toBe(2);
    expect(desk.totalUnread).toBe(2);

    desk.show({ kind: 'session', id: 's1' });
    expect(desk.session('s1')?.unread).toBe(0);
    expect(backend.markRead).toHaveBeenCalledWith('s1', 2);
  });

  it('sends one read mark for what the end user said, and none for marks echoed back', async () => {
    const backend = fakeBackend();
    const desk = new DeskStore(backend);
    vi.spyOn(document, 'hasFocus').mockReturnValue(true);
    await desk.open(summary('s1'));
    desk.apply({ type: 'session', event: message('s1', 1) });
    expect(backend.markRead).toHaveBeenCalledTimes(1);
    expect(backend.markRead).toHaveBeenLastCalledWith('s1', 1);
    // The service stores the mark and pushes it back; the end user's own marks arrive too.
    desk.apply({ type: 'session', event: mark('s1', 2, 'technician', 'read', 1) });
    desk.apply({ type: 'session', event: mark('s1', 3, 'end_user', 'delivered', 2) });
    desk.apply({ type: 'session', event: mark('s1', 4, 'end_user', 'read', 3) });
    desk.apply({ type: 'typing', session_id: 's1', typing: true });
    desk.apply({ type: 'presence', session_id: 's1', online: true });
    desk.focused();
    expect(backend.markRead, 'marks, typing and presence cause no mark').toHaveBeenCalledTimes(1);
    desk.apply({ type: 'session', event: message('s1', 5) });
    expect(backend.markRead).toHaveBeenCalledTimes(2);
    expect(backend.markRead).toHaveBeenLastCalledWith('s1', 5);
    vi.restoreAllMocks();
  });

  it('tells the tray and badge only when the unread count changes', async () => {
    const backend = fakeBackend();
    const desk = new DeskStore(backend);
    await desk.open(summary('s1'), false);
    await desk.open(summary('s2'));
    vi.mocked(backend.setBadge).mockClear();
    desk.apply({ type: 'session', event: message('s1', 1) });
    desk.apply({ type: 'session', event: mark('s1', 2, 'end_user', 'read', 1) });
    desk.apply({ type: 'session', event: mark('s1', 3, 'end_user', 'delivered', 2) });
    expect(backend.setBadge).toHaveBeenCalledTimes(1);
    expect(backend.setBadge).toHaveBeenLastCalledWith(1);
    desk.show({ kind: 'session', id: 's1' });
    expect(backend.setBadge).toHaveBeenCalledTimes(2);
    expect(backend.setBadge).toHaveBeenLastCalledWith(0);
  });

  it('does not mark again what an earlier read mark in the history covers', async () => {
    const backend = fakeBackend();
    backend.sessionEvents = vi.fn(async () => [message('s1', 1), mark('s1', 2, 'technician', 'read', 1)]);
    const desk = new DeskStore(backend);
    await desk.open(summary('s1'));
    desk.focused();
    expect(backend.markRead).not.toHaveBeenCalled();
  });

  it('applies each pushed event once, even when it was also in the loaded history', async () => {
    const backend = fakeBackend();
    backend.sessionEvents = vi.fn(async () => [message('s1', 1)]);
    const desk = new DeskStore(backend);
    await desk.open(summary('s1'), false);
    desk.apply({ type: 'session', event: message('s1', 1) });
    expect(desk.session('s1')?.events).toHaveLength(1);
  });

  it('shows the connection-lost state until the connection is back', () => {
    const desk = new DeskStore(fakeBackend());
    desk.apply({ type: 'connection', online: false, reason: 'reset' });
    expect(desk.online).toBe(false);
    desk.apply({ type: 'connection', online: true, reason: null });
    expect(desk.online).toBe(true);
  });

  it('returns to sign-in when the service refuses the sign-in', async () => {
    const desk = new DeskStore(fakeBackend());
    await desk.open(summary('s1'));
    desk.apply({ type: 'signed_out', code: 'unauthorized', reason: 'revoked' });
    expect(desk.signedIn).toBeNull();
    expect(desk.sessions).toHaveLength(0);
    expect(desk.signedOut).toEqual({ code: 'unauthorized', reason: 'revoked' });
  });

  it('asks before leaving a page that guards something shown once', () => {
    const desk = new DeskStore(fakeBackend());
    desk.show({ kind: 'adhoc' });
    const withdraw = desk.guardLeaving(() => true);
    desk.navigate({ kind: 'computers' });
    expect(desk.active.kind).toBe('adhoc');
    expect(desk.pendingTab).toEqual({ kind: 'computers' });
    desk.stay();
    expect(desk.pendingTab).toBeNull();
    expect(desk.active.kind).toBe('adhoc');
    desk.navigate({ kind: 'computers' });
    desk.leave();
    expect(desk.active.kind).toBe('computers');
    expect(desk.leaveGuard).toBe(false);
    withdraw();
  });

  it('lets the page go freely once what it guarded is no longer held', () => {
    const desk = new DeskStore(fakeBackend());
    desk.show({ kind: 'adhoc' });
    let holdsCode = true;
    const withdraw = desk.guardLeaving(() => holdsCode);
    holdsCode = false;
    desk.navigate({ kind: 'computers' });
    expect(desk.active.kind).toBe('computers');
    expect(desk.pendingTab).toBeNull();
    withdraw();
    expect(desk.leaveGuard).toBe(false);
  });

  it('opens a connection to an ad-hoc computer as a session tab', async () => {
    const backend = fakeBackend();
    const connection = { ...summary('c1'), status: 'active' as const, adhoc_session_id: 'a1' };
    backend.connectComputer = vi.fn(async () => connection);
    const desk = new DeskStore(backend);
    await desk.connectComputer('a1', 'Sunny-Day-42');
    expect(backend.connectComputer).toHaveBeenCalledWith('a1', 'Sunny-Day-42');
    expect(desk.isFront('c1')).toBe(true);
  });

  it('brings the session of a clicked notification to the front', async () => {
    const desk = new DeskStore(fakeBackend());
    await desk.open(summary('s1'), false);
    await desk.open(summary('s2'));
    desk.apply({ type: 'show_session', session_id: 's1' });
    expect(desk.active).toEqual({ kind: 'session', id: 's1' });
    desk.apply({ type: 'show_session', session_id: 'gone' });
    expect(desk.active).toEqual({ kind: 'session', id: 's1' });
  });

  it('keeps the newest state of each ad-hoc session and counts the changes', () => {
    const desk = new DeskStore(fakeBackend());
    const session = {
      id: 'a1',
      end_user_email: 'erika@example.test',
      technician_name: 'Tina',
      status: 'active' as const,
      created_at: 0,
      code_expires_at: 1,
      activated_at: 2,
      expires_at: 3,
      computer_id: 'k1',
      code_attempts_left: 4,
      enrollment: null,
    };
    desk.apply({ type: 'adhoc', session });
    desk.apply({ type: 'adhoc', session: { ...session, status: 'ended' } });
    expect(desk.adhoc.a1?.status).toBe('ended');
    expect(desk.adhocChanges).toBe(2);
  });
});
