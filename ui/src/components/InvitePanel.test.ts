import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Backend } from '../lib/backend';
import type { SessionSummary } from '../lib/backend/types';
import { SessionState } from '../lib/stores/desk.svelte';
import { Settings } from '../lib/stores/settings.svelte';
import InvitePanel from './InvitePanel.svelte';

const summary: SessionSummary = {
  id: 's1',
  support_key: '482913605',
  support_key_display: '482 913 605',
  join_url: 'http://x/join/482913605',
  key_expires_at: Date.now() + 3_600_000,
  request_control_on_arrival: false,
  status: 'waiting',
  technician_name: 'Tina',
  end_user_name: null,
  created_at: Date.now(),
  ended_at: null,
  last_seq: 0,
  adhoc_session_id: null,
};

function setup() {
  const backend = {
    copyToClipboard: vi.fn(async () => {}),
    openUrl: vi.fn(async () => {}),
    sendSms: vi.fn(async (_id: string, to: string) => ({ id: 'i1', channel: 'sms', to, sent_at: 0 })),
    sendEmail: vi.fn(),
  } as unknown as Backend;
  const settings = new Settings(undefined);
  settings.language = 'en';
  render(InvitePanel, { session: new SessionState(summary), settings, backend, emailByServer: false });
  return backend;
}

describe('InvitePanel', () => {
  afterEach(cleanup);

  it('copies the join link and confirms it', async () => {
    const backend = setup();
    await fireEvent.click(screen.getByText('Copy to clipboard'));
    expect(backend.copyToClipboard).toHaveBeenCalledWith('http://x/join/482913605');
    expect(await screen.findByText('Link copied to the clipboard.')).toBeTruthy();
  });

  it('refuses a bad number in place, then sends and names the number, then Done closes', async () => {
    const backend = setup();
    await fireEvent.click(screen.getByText('Send SMS'));
    const input = screen.getByLabelText('Mobile number');
    await fireEvent.input(input, { target: { value: '12' } });
    await fireEvent.click(screen.getByText('Send'));
    expect(screen.getByRole('alert').textContent).toContain('country code');
    expect(backend.sendSms).not.toHaveBeenCalled();

    await fireEvent.input(input, { target: { value: '+49 151 12345678' } });
    await fireEvent.click(screen.getByText('Send'));
    expect(backend.sendSms).toHaveBeenCalledWith('s1', '+4915112345678');
    expect(await screen.findByText('The invitation was sent to +4915112345678.')).toBeTruthy();
    await fireEvent.click(screen.getByText('Done'));
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('opens a mailto: message holding the link', async () => {
    const backend = setup();
    await fireEvent.click(screen.getByText('Send email'));
    const url = vi.mocked(backend.openUrl).mock.calls[0]?.[0] ?? '';
    expect(url.startsWith('mailto:?subject=')).toBe(true);
    expect(decodeURIComponent(url)).toContain('http://x/join/482913605');
  });
});
