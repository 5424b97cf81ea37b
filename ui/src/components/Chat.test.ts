import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Backend } from '../lib/backend';
import type { SessionEvent, SessionSummary } from '../lib/backend/types';
import { SessionState } from '../lib/stores/desk.svelte';
import { Settings } from '../lib/stores/settings.svelte';
import Chat from './Chat.svelte';

const summary = { id: 's1', status: 'active', end_user_name: null } as unknown as SessionSummary;
const ev = (seq: number, data: SessionEvent['data']): SessionEvent => ({
  session_id: 's1',
  seq,
  at: 0,
  data,
});

function setup(events: SessionEvent[] = []) {
  const backend = {
    sendMessage: vi.fn(async () => ev(99, { type: 'message', from: 'technician', client_id: 'c', text: '' })),
    setTyping: vi.fn(async () => {}),
  } as unknown as Backend;
  const settings = new Settings(undefined);
  settings.language = 'en';
  const session = new SessionState(summary);
  session.events = events;
  render(Chat, { session, settings, backend, open: true });
  return { backend, session };
}

describe('Chat', () => {
  afterEach(cleanup);

  it('sends with Enter and keeps Shift+Enter for a new line', async () => {
    const { backend } = setup();
    const box = screen.getByPlaceholderText(/Enter sends/);
    await fireEvent.input(box, { target: { value: 'line one' } });
    await fireEvent.keyDown(box, { key: 'Enter', shiftKey: true });
    expect(backend.sendMessage).not.toHaveBeenCalled();
    await fireEvent.keyDown(box, { key: 'Enter' });
    expect(backend.sendMessage).toHaveBeenCalledWith('s1', 'line one');
    expect(backend.setTyping).toHaveBeenCalledWith('s1', true);
  });

  it('shows chat text and file names as text, with read marks and the typing indicator', async () => {
    const { session } = setup([
      ev(1, { type: 'message', from: 'end_user', client_id: 'a', text: '<img src=x onerror=alert(1)>' }),
      ev(2, { type: 'message', from: 'technician', client_id: 'b', text: 'ok' }),
      ev(3, { type: 'read', by: 'end_user', up_to_seq: 2 }),
      ev(4, {
        type: 'file_shared',
        file: { id: 'f', name: '<b>evil</b>.txt', size: 1200, sha256: '00', from: 'end_user' },
      }),
    ]);
    expect(screen.getByText('<img src=x onerror=alert(1)>')).toBeTruthy();
    expect(document.querySelector('img')).toBeNull();
    expect(screen.getByText(/<b>evil<\/b>\.txt/)).toBeTruthy();
    expect(screen.getByText(/Read/)).toBeTruthy();
    session.endUserTyping = true;
    expect(await screen.findByText('The end user is typing…')).toBeTruthy();
  });
});
