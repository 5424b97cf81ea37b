import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Backend, BackendError } from '../lib/backend';
import { DeskStore } from '../lib/stores/desk.svelte';
import { Settings } from '../lib/stores/settings.svelte';
import { signedIn } from '../lib/testing/fixtures';
import SignIn from './SignIn.svelte';

function setup(signInHandedOver: Backend['signInHandedOver'], stored?: object) {
  localStorage.clear();
  if (stored) localStorage.setItem('lifeline.settings', JSON.stringify(stored));
  const backend = {
    signInHandedOver: vi.fn(signInHandedOver),
    resumeSignIn: vi.fn(async () => null),
    listSessions: vi.fn(async () => []),
    setBadge: vi.fn(async () => {}),
  } as unknown as Backend;
  const settings = new Settings(localStorage);
  settings.language = 'en';
  const desk = new DeskStore(backend);
  render(SignIn, { desk, settings, backend });
  return { backend, desk };
}

describe('SignIn', () => {
  afterEach(cleanup);

  it('enters with the sign-in handed over at start and keeps where and who, never a secret', async () => {
    const { backend, desk } = setup(async () => signedIn());
    await vi.waitFor(() => expect(desk.signedIn?.technician.email).toBe('admin@lifeline.local'));
    const stored = localStorage.getItem('lifeline.settings') ?? '';
    expect(JSON.parse(stored)).toMatchObject({
      serverUrl: 'http://127.0.0.1:8080',
      email: 'admin@lifeline.local',
      remember: true,
    });
    expect(stored).not.toMatch(/token|password/i);
    expect(backend.resumeSignIn).not.toHaveBeenCalled();
  });

  it('says why a handover failed and still resumes a remembered sign-in', async () => {
    const { backend } = setup(
      async () => {
        throw new BackendError({ code: 'handover', message: 'it works once' });
      },
      { serverUrl: 'https://support.example.com', email: 'tina@example.com', remember: true },
    );
    const alert = await screen.findByRole('alert');
    expect(alert.textContent).toContain('did not work');
    expect(alert.textContent).toContain('it works once');
    expect(backend.resumeSignIn).toHaveBeenCalledWith('https://support.example.com', 'tina@example.com');
  });

  it('says why the service signed the technician out from its code, in the UI language', async () => {
    const { desk } = setup(async () => null);
    desk.apply({ type: 'signed_out', code: 'forbidden', reason: 'account disabled' });
    expect((await screen.findByRole('alert')).textContent).toMatch(
      /account was disabled or no longer has access/,
    );
    desk.apply({ type: 'signed_out', code: 'unauthorized', reason: 'token revoked' });
    await vi.waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/expired or was revoked/));
    expect(screen.getByRole('alert').textContent).not.toMatch(/token revoked/);
  });

  it('asks for the second factor when the service does, and sends it with the password', async () => {
    const { backend, desk } = setup(async () => null, {
      serverUrl: 'http://127.0.0.1:8080',
      email: 'admin@lifeline.local',
      remember: false,
    });
    const signIn = vi
      .fn()
      .mockRejectedValueOnce(new BackendError({ code: 'second_factor_required', message: 'code needed' }))
      .mockResolvedValueOnce(signedIn());
    (backend as unknown as { signIn: typeof signIn }).signIn = signIn;
    await screen.findByRole('button', { name: 'Sign in' });
    await fireEvent.input(screen.getByLabelText('Password'), { target: { value: 'first admin password' } });
    await fireEvent.submit(screen.getByRole('button', { name: 'Sign in' }));
    const code = await screen.findByLabelText(/Code from your authenticator app/);
    await screen.findByText(/enter the code from your authenticator app/);
    await fireEvent.input(code, { target: { value: '123456' } });
    await fireEvent.input(screen.getByLabelText('Password'), { target: { value: 'first admin password' } });
    await fireEvent.submit(screen.getByRole('button', { name: 'Sign in' }));
    await vi.waitFor(() => expect(desk.signedIn).not.toBeNull());
    expect(signIn).toHaveBeenLastCalledWith(
      'http://127.0.0.1:8080',
      'admin@lifeline.local',
      'first admin password',
      '123456',
      false,
    );
  });
});
