import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Backend, BackendError } from '../lib/backend';
import { Settings } from '../lib/stores/settings.svelte';
import PasswordCard from './PasswordCard.svelte';

function fill(current: string, fresh: string, confirmation: string): Promise<boolean> {
  void fireEvent.input(screen.getByLabelText('Current password'), { target: { value: current } });
  void fireEvent.input(screen.getByLabelText('New password'), { target: { value: fresh } });
  void fireEvent.input(screen.getByLabelText('New password again'), { target: { value: confirmation } });
  return fireEvent.submit(screen.getByRole('button', { name: 'Change password' }));
}

describe('PasswordCard', () => {
  afterEach(cleanup);

  function setup(changePassword: Backend['changePassword']) {
    const backend = { changePassword: vi.fn(changePassword) } as unknown as Backend;
    const settings = new Settings(undefined);
    settings.language = 'en';
    render(PasswordCard, { settings, backend });
    return backend;
  }

  it('changes the password and says the other sign-ins ended', async () => {
    const backend = setup(async () => {});
    await fill('old secret words', 'lantern orbit velvet 42', 'lantern orbit velvet 42');
    expect(backend.changePassword).toHaveBeenCalledWith('old secret words', 'lantern orbit velvet 42');
    await screen.findByText('Your password was changed. Your other sign-ins have ended.');
    expect((screen.getByLabelText('Current password') as HTMLInputElement).value).toBe('');
  });

  it('checks the confirmation here and branches on the service’s error codes', async () => {
    const backend = setup(async () => {
      throw new BackendError({ code: 'wrong_password', message: 'the current password is wrong' });
    });
    await fill('old', 'lantern orbit velvet 42', 'lantern orbit velvet 43');
    await screen.findByText('The two new passwords are not the same.');
    expect(backend.changePassword).not.toHaveBeenCalled();
    await fill('old', 'lantern orbit velvet 42', 'lantern orbit velvet 42');
    await screen.findByText('The current password is wrong.');
  });
});
