import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Backend } from '../lib/backend';
import { DeskStore } from '../lib/stores/desk.svelte';
import { Settings } from '../lib/stores/settings.svelte';
import { signedIn } from '../lib/testing/fixtures';
import SettingsPage from './SettingsPage.svelte';

describe('SettingsPage', () => {
  afterEach(cleanup);

  it('lets an admin choose when the person at an ad hoc computer is asked', async () => {
    const backend = {
      adhocPolicy: vi.fn(async () => ({ control_confirmation: 'when_present' })),
      setAdhocPolicy: vi.fn(async (policy: unknown) => policy),
      securityPolicy: vi.fn(async () => ({ require_second_factor: false })),
    } as unknown as Backend;
    const settings = new Settings(undefined);
    settings.language = 'en';
    const desk = new DeskStore(backend);
    desk.signedIn = signedIn();
    render(SettingsPage, { desk, settings, backend });
    const select = (await screen.findByLabelText(
      /When a technician asks to see or control/,
    )) as HTMLSelectElement;
    expect(select.value).toBe('when_present');
    await fireEvent.change(select, { target: { value: 'never' } });
    expect(backend.setAdhocPolicy).toHaveBeenCalledWith({ control_confirmation: 'never' });
    await screen.findByText('Saved.');
  });

  it('shows a technician no company rule', async () => {
    const backend = { adhocPolicy: vi.fn() } as unknown as Backend;
    const settings = new Settings(undefined);
    settings.language = 'en';
    const desk = new DeskStore(backend);
    const me = signedIn();
    desk.signedIn = { ...me, technician: { ...me.technician, is_admin: false } };
    render(SettingsPage, { desk, settings, backend });
    await screen.findByText('Notify me when an end user arrives');
    expect(backend.adhocPolicy).not.toHaveBeenCalled();
    expect(screen.queryByLabelText(/When a technician asks/)).toBeNull();
  });

  it('sets up two-step sign-in: the key for the app, its code, then the recovery codes', async () => {
    const backend = {
      adhocPolicy: vi.fn(async () => ({ control_confirmation: 'when_present' })),
      securityPolicy: vi.fn(async () => ({ require_second_factor: false })),
      setSecurityPolicy: vi.fn(async (policy: unknown) => policy),
      setupSecondFactor: vi.fn(async () => ({ secret: 'JBSWY3DPEHPK3PXP', otpauth_url: 'otpauth://totp/x' })),
      enableSecondFactor: vi.fn(async () => ({ codes: ['abcd-efgh-jkmn-pqrs-tuvw'] })),
    } as unknown as Backend;
    const settings = new Settings(undefined);
    settings.language = 'en';
    const desk = new DeskStore(backend);
    desk.signedIn = signedIn();
    render(SettingsPage, { desk, settings, backend });
    await fireEvent.input(screen.getByLabelText('Your password'), {
      target: { value: 'first admin password' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Set up two-step sign-in' }));
    await screen.findByText('JBSWY3DPEHPK3PXP');
    expect(backend.setupSecondFactor).toHaveBeenCalledWith('first admin password');
    await fireEvent.input(screen.getByLabelText('Code the app shows'), { target: { value: ' 123456 ' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Turn on' }));
    await screen.findByText('abcd-efgh-jkmn-pqrs-tuvw');
    expect(backend.enableSecondFactor).toHaveBeenCalledWith('123456');
    const rule = (await screen.findByLabelText(/Require two-step sign-in/)) as HTMLInputElement;
    await fireEvent.click(rule);
    expect(backend.setSecurityPolicy).toHaveBeenCalledWith({ require_second_factor: true });
  });
});
