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

const values = {
  end_user: 'Erika',
  technician: 'Tina Tech',
  company: 'Acme IT',
  support_key: '482 913 605',
  join_link: 'http://x/join/482913605',
};
const replies = [
  {
    id: 'r1',
    title: 'Greeting',
    text_en: 'Hello {end_user}, this is {technician} from {company}.',
    text_de: 'Hallo {end_user}, hier ist {technician} von {company}.',
    scope: 'company' as const,
    author_name: 'Lifeline Admin',
    updated_at: 0,
    editable: false,
  },
  {
    id: 'r2',
    title: 'Printer',
    text_en: 'Please restart the printer.',
    text_de: 'Bitte starten Sie den Drucker neu.',
    scope: 'personal' as const,
    author_name: 'Tina Tech',
    updated_at: 0,
    editable: true,
  },
];

function setup(events: SessionEvent[] = [], language: 'en' | 'de' = 'en') {
  const backend = {
    sendMessage: vi.fn(async () => ev(99, { type: 'message', from: 'technician', client_id: 'c', text: '' })),
    setTyping: vi.fn(async () => {}),
  } as unknown as Backend;
  const settings = new Settings(undefined);
  settings.language = language;
  const session = new SessionState(summary);
  session.events = events;
  render(Chat, { session, settings, backend, open: true, replies, values });
  return { backend, session };
}

describe('Chat', () => {
  afterEach(cleanup);

  it('puts a canned reply picked after / into the box, filled in, in the UI’s language', async () => {
    const { backend } = setup([], 'de');
    const box = screen.getByRole('textbox', { name: /Enter sendet/ }) as HTMLTextAreaElement;
    await fireEvent.input(box, { target: { value: '/dru' } });
    const options = screen.getAllByRole('option');
    expect(options.map((o) => o.querySelector('strong')?.textContent)).toEqual(['Printer']);
    await fireEvent.keyDown(box, { key: 'Enter' });
    expect(box.value).toBe('Bitte starten Sie den Drucker neu.');
    expect(backend.sendMessage).not.toHaveBeenCalled();
    expect(screen.queryByRole('listbox')).toBeNull();

    // The Replies button opens the whole list; the arrows move, Enter takes the reply.
    await fireEvent.input(box, { target: { value: '' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Textbausteine' }));
    expect(screen.getAllByRole('option')).toHaveLength(2);
    await fireEvent.keyDown(box, { key: 'ArrowDown' });
    await fireEvent.keyDown(box, { key: 'ArrowDown' });
    await fireEvent.keyDown(box, { key: 'Enter' });
    expect(box.value).toBe('Hallo Erika, hier ist Tina Tech von Acme IT.');
    await fireEvent.keyDown(box, { key: 'Enter' });
    expect(backend.sendMessage).toHaveBeenCalledWith('s1', 'Hallo Erika, hier ist Tina Tech von Acme IT.');
  });

  it('closes the replies menu with Esc and leaves the box empty', async () => {
    setup();
    const box = screen.getByRole('textbox', { name: /Enter sends/ }) as HTMLTextAreaElement;
    await fireEvent.input(box, { target: { value: '/gre' } });
    expect(screen.getByRole('option').textContent).toContain('Hello Erika, this is Tina Tech from Acme IT.');
    await fireEvent.keyDown(box, { key: 'Escape' });
    expect(screen.queryByRole('listbox')).toBeNull();
    expect(box.value).toBe('');
  });

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
