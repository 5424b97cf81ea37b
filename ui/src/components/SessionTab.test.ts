import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Backend, BackendError } from '../lib/backend';
import { DeskStore, SessionState } from '../lib/stores/desk.svelte';
import { Settings } from '../lib/stores/settings.svelte';
import { sessionSummary, signedIn } from '../lib/testing/fixtures';
import SessionTab from './SessionTab.svelte';

function setup(pickSavePath: Backend['pickSavePath'], exportTranscript: Backend['exportTranscript']) {
  const backend = {
    serverInfo: vi.fn(async () => signedIn().server),
    transcriptText: vi.fn(async () => 'Tina: The printer queue is cleared'),
    pickSavePath: vi.fn(pickSavePath),
    exportTranscript: vi.fn(exportTranscript),
  } as unknown as Backend;
  const settings = new Settings(undefined);
  settings.language = 'en';
  const session = new SessionState(sessionSummary({ status: 'ended', ended_at: Date.now() }));
  render(SessionTab, { desk: new DeskStore(backend), session, settings, backend });
  return backend;
}

describe('SessionTab transcript export', () => {
  afterEach(cleanup);

  it('saves the transcript where the save dialog says and confirms it', async () => {
    const backend = setup(
      async () => '/home/tina/transcript.txt',
      async () => {},
    );
    await fireEvent.click(await screen.findByText('Export transcript'));
    await screen.findByText('Transcript saved.');
    expect(backend.pickSavePath).toHaveBeenCalledWith('lifeline-482913605.txt');
    expect(backend.exportTranscript).toHaveBeenCalledWith('s1', '/home/tina/transcript.txt');
  });

  it('does nothing when the dialog is cancelled', async () => {
    const backend = setup(
      async () => null,
      async () => {},
    );
    await fireEvent.click(await screen.findByText('Export transcript'));
    await vi.waitFor(() => expect(backend.pickSavePath).toHaveBeenCalled());
    expect(backend.exportTranscript).not.toHaveBeenCalled();
    expect(screen.queryByText('Transcript saved.')).toBeNull();
  });

  it('shows why the file could not be written', async () => {
    setup(
      async () => '/read-only/transcript.txt',
      async () => {
        throw new BackendError({ code: 'file', message: 'permission denied' });
      },
    );
    await fireEvent.click(await screen.findByText('Export transcript'));
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('permission denied');
  });
});

describe('SessionTab and the end user’s Lifeline app', () => {
  afterEach(cleanup);

  it('waits for the app once control is allowed, can stop waiting, and names the computer it joined from', async () => {
    const backend = {
      serverInfo: vi.fn(async () => signedIn().server),
      cancelAttendedApp: vi.fn(async () => ({})),
    } as unknown as Backend;
    const settings = new Settings(undefined);
    settings.language = 'en';
    const session = new SessionState(sessionSummary({ status: 'active' }));
    const at = Date.now();
    session.events = [
      { session_id: 's1', seq: 1, at, data: { type: 'end_user_joined', name: 'Erika' } },
      { session_id: 's1', seq: 2, at, data: { type: 'consent_requested', request_id: 'r', kind: 'control' } },
      {
        session_id: 's1',
        seq: 3,
        at,
        data: { type: 'consent_answered', request_id: 'r', kind: 'control', accepted: true },
      },
    ];
    render(SessionTab, { desk: new DeskStore(backend), session, settings, backend });
    await screen.findByText(/Waiting for Erika to run the Lifeline app/);
    await fireEvent.click(screen.getByRole('button', { name: 'Stop waiting' }));
    expect(backend.cancelAttendedApp).toHaveBeenCalledWith('s1');
    session.events = [
      ...session.events,
      { session_id: 's1', seq: 4, at, data: { type: 'agent_joined', hostname: 'erika-pc', os: 'Linux' } },
    ];
    await screen.findByText('The Lifeline app runs on erika-pc.');
    expect(screen.getByText('The Lifeline app joined from erika-pc (Linux).')).toBeTruthy();
  });
});
