import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Backend } from '../lib/backend';
import { SessionState } from '../lib/stores/desk.svelte';
import { Settings } from '../lib/stores/settings.svelte';
import { sessionSummary } from '../lib/testing/fixtures';
import InvitePanel from './InvitePanel.svelte';

const summary = sessionSummary();

function setup(emailByServer = false) {
  const backend = {
    copyToClipboard: vi.fn(async () => {}),
    openUrl: vi.fn(async () => {}),
    sendSms: vi.fn(async (_id: string, to: string) => ({ id: 'i1', channel: 'sms', to, sent_at: 0 })),
    sendEmail: vi.fn(async (_id: string, to: string) => ({ id: 'i2', channel: 'email', to, sent_at: 0 })),
  } as unknown as Backend;
  const settings = new Settings(undefined);
  settings.language = 'en';
  render(InvitePanel, { session: new SessionState(summary), settings, backend, emailByServer });
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

  it('offers Send by server only when the service can send email', () => {
    setup(false);
    expect(screen.queryByText('Send by server')).toBeNull();
  });

  it('sends by server: a bad address is refused in place, a good one is sent and named', async () => {
    const backend = setup(true);
    await fireEvent.click(screen.getByText('Send by server'));
    const input = screen.getByLabelText('Email address');
    await fireEvent.input(input, { target: { value: 'erika at example' } });
    await fireEvent.click(screen.getByText('Send'));
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(backend.sendEmail).not.toHaveBeenCalled();
    await fireEvent.input(input, { target: { value: '  erika@example.com ' } });
    await fireEvent.click(screen.getByText('Send'));
    expect(await screen.findByText('The invitation was emailed to erika@example.com.')).toBeTruthy();
    expect(backend.sendEmail).toHaveBeenCalledWith('s1', 'erika@example.com');
  });

  it('opens a mailto: message holding the link', async () => {
    const backend = setup();
    await fireEvent.click(screen.getByText('Send email'));
    const url = vi.mocked(backend.openUrl).mock.calls[0]?.[0] ?? '';
    expect(url.startsWith('mailto:?subject=')).toBe(true);
    expect(decodeURIComponent(url)).toContain('http://x/join/482913605');
  });
});
