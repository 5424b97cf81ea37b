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
});
