import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Backend } from '../lib/backend';
import type { SessionEvent } from '../lib/backend/types';
import { DeskStore } from '../lib/stores/desk.svelte';
import { Settings } from '../lib/stores/settings.svelte';
import { sessionSummary, signedIn } from '../lib/testing/fixtures';
import Shell from './Shell.svelte';

/** A backend whose every call answers harmlessly; the shell only needs a few of them. */
function quietBackend(): Backend {
  return new Proxy({} as Backend, {
    get: (_, key) => {
      if (key === 'serverInfo') return async () => signedIn().server;
      if (key === 'onFileDrop') return async () => () => {};
      return vi.fn(async () => []);
    },
  });
}

const minute = 60_000;

function said(session_id: string, seq: number, from: 'technician' | 'end_user', agoMs: number): SessionEvent {
  return {
    session_id,
    seq,
    at: Date.now() - agoMs,
    data: { type: 'message', from, client_id: `${session_id}-${seq}`, text: `m${seq}` },
  };
}

async function busyDesk(): Promise<DeskStore> {
  const desk = new DeskStore(quietBackend());
  desk.signedIn = signedIn();
  const joined = (id: string, key: string) =>
    sessionSummary({ id, status: 'active', support_key: key, support_key_display: key });
  await desk.open(joined('answered', '111 111 111'), false);
  await desk.open(sessionSummary({ id: 'new', support_key_display: '222 222 222' }), false);
  await desk.open(joined('recent', '333 333 333'), false);
  await desk.open(joined('longest', '444 444 444'), false);
  const events: SessionEvent[] = [
    {
      session_id: 'recent',
      seq: 1,
      at: Date.now() - 2 * minute,
      data: { type: 'end_user_joined', name: 'Max' },
    },
    said('recent', 2, 'end_user', minute),
    {
      session_id: 'longest',
      seq: 1,
      at: Date.now() - 20 * minute,
      data: { type: 'end_user_joined', name: 'Erika' },
    },
    said('longest', 2, 'end_user', 10 * minute),
    said('longest', 3, 'end_user', 5 * minute),
    said('answered', 1, 'end_user', 30 * minute),
    said('answered', 2, 'technician', 29 * minute),
  ];
  for (const event of events) desk.apply({ type: 'session', event });
  return desk;
}

describe('the session list', () => {
  afterEach(cleanup);

  it('puts whoever waits longest first, names people, and warns past the threshold', async () => {
    const desk = await busyDesk();
    const settings = new Settings(undefined);
    settings.language = 'en';
    settings.waitWarnMinutes = 3;
    render(Shell, { desk, settings, backend: quietBackend() });
    const entries = screen.getAllByRole('button').filter((b) => b.classList.contains('session-tab'));
    expect(entries.map((e) => e.dataset.session)).toEqual(['longest', 'recent', 'answered', 'new']);
    expect(entries[0]?.textContent).toContain('Erika');
    expect(entries[0]?.textContent).toMatch(/waits 10:0\d/);
    expect(entries[0]?.querySelector('.waiting')?.classList.contains('overdue')).toBe(true);
    expect(entries[1]?.textContent).toContain('Max');
    expect(entries[1]?.querySelector('.waiting')?.classList.contains('overdue')).toBe(false);
    expect(entries[2]?.querySelector('.waiting')).toBeNull();
    expect(entries[3]?.textContent).toContain('Session 222 222 222');
    expect(entries[3]?.textContent).toContain('Waiting for the end user');
    expect(entries[0]?.querySelector('.badge')?.textContent).toBe('2');
    expect(screen.getByRole('navigation').querySelector('#tab-settings')).toBeTruthy();
    expect(screen.getByRole('main')).toBeTruthy();
  });

  it('switches with Ctrl+Tab, Ctrl+Shift+Tab and Ctrl+number', async () => {
    const desk = await busyDesk();
    const settings = new Settings(undefined);
    settings.language = 'de';
    render(Shell, { desk, settings, backend: quietBackend() });
    await fireEvent.keyDown(window, { key: 'Tab', ctrlKey: true });
    expect(desk.active).toEqual({ kind: 'session', id: 'longest' });
    await fireEvent.keyDown(window, { key: 'Tab', ctrlKey: true });
    expect(desk.active).toEqual({ kind: 'session', id: 'recent' });
    await fireEvent.keyDown(window, { key: '3', ctrlKey: true });
    expect(desk.active).toEqual({ kind: 'session', id: 'answered' });
    await fireEvent.keyDown(window, { key: 'Tab', ctrlKey: true, shiftKey: true });
    expect(desk.active).toEqual({ kind: 'session', id: 'recent' });
    // No ninth session: nothing changes.
    await fireEvent.keyDown(window, { key: '9', ctrlKey: true });
    expect(desk.active).toEqual({ kind: 'session', id: 'recent' });
    expect(screen.getByText('Sitzungen')).toBeTruthy();
  });

  it('closes a dialog with Esc, as its Cancel would', async () => {
    const desk = await busyDesk();
    const settings = new Settings(undefined);
    settings.language = 'en';
    desk.pendingTab = { kind: 'computers' };
    render(Shell, { desk, settings, backend: quietBackend() });
    expect(screen.getByRole('dialog')).toBeTruthy();
    await fireEvent.keyDown(window, { key: 'Escape' });
    expect(desk.pendingTab).toBeNull();
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});
