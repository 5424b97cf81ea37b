import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BackendError } from '../lib/backend';
import AgentApp from './AgentApp.svelte';
import type { Agent, AgentUpdate, AgentView } from './backend';
import { de, en } from './i18n';

const active: AgentView = {
  phase: 'active',
  technician: 'Tina Tech',
  until: Date.UTC(2026, 11, 3, 9, 15),
  online: true,
  connectedNow: null,
  downloads: '/home/erika/Downloads',
  asking: null,
  screenShared: false,
  controlled: false,
};

/** A fake agent whose updates the test pushes, as the shell's events would arrive. */
function fakeAgent(first: AgentView) {
  let push: (update: AgentUpdate) => void = () => {};
  const agent: Agent = {
    view: vi.fn(async () => first),
    enroll: vi.fn(async () => active),
    say: vi.fn(async () => {}),
    sendFile: vi.fn(async () => {}),
    answerConsent: vi.fn(async () => {}),
    stopSharing: vi.fn(async () => {}),
    endSession: vi.fn(async () => {}),
    onUpdate: vi.fn(async (handler) => {
      push = handler;
      return () => {};
    }),
    pickFile: vi.fn(async () => '/home/erika/printer.log'),
    close: vi.fn(async () => {}),
  };
  return { agent, push: (update: AgentUpdate) => push(update) };
}

describe('the agent window', () => {
  afterEach(cleanup);

  it('as an attended copy, joins, says who controls the computer, and stops or leaves', async () => {
    const joining: AgentView = {
      phase: 'attended',
      technician: null,
      screenShared: false,
      controlled: false,
    };
    const { agent, push } = fakeAgent(joining);
    render(AgentApp, { agent, locale: 'en' });
    await screen.findByText('Joining the support session…');
    const controlled: AgentView = {
      ...joining,
      technician: 'Tina Tech',
      screenShared: true,
      controlled: true,
    };
    push({
      view: controlled,
      notice: { kind: 'screenShared', detail: { technician: 'Tina Tech', control: true } },
    });
    await screen.findByText('Tina Tech is controlling this computer');
    await fireEvent.click(screen.getByRole('button', { name: 'Stop' }));
    expect(agent.stopSharing).toHaveBeenCalledOnce();
    push({ view: { ...controlled, screenShared: false, controlled: false }, notice: null });
    await screen.findByText('Tina Tech does not see this screen now.');
    await fireEvent.click(screen.getByRole('button', { name: 'Close the app' }));
    expect(agent.endSession).toHaveBeenCalledOnce();
    push({ view: { phase: 'ended', finish: 'cancelled', problem: null }, notice: null });
    await screen.findByText('The technician closed this app’s access.');
  });

  it('refuses a wrong code in place, then shows with whom and until when', async () => {
    const { agent } = fakeAgent({ phase: 'enroll', problem: null });
    vi.mocked(agent.enroll).mockRejectedValueOnce(
      new BackendError({ code: 'code_invalid', message: 'the security code is wrong' }),
    );
    render(AgentApp, { agent, locale: 'en' });
    const field = await screen.findByLabelText('Security code');
    await fireEvent.input(field, { target: { value: '000 000 000' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    expect((await screen.findByRole('alert')).textContent).toContain('security code is not right');
    await fireEvent.input(field, { target: { value: '123 456 789' } });
    expect(screen.queryByRole('alert')).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Connect' }));
    expect(agent.enroll).toHaveBeenLastCalledWith('123 456 789');
    const status = await screen.findByText(/Connected to Tina Tech until/);
    expect(status.textContent).toContain('2026');
    expect(screen.getByText('No technician is connected now')).toBeTruthy();
  });

  it('waits for the technician’s app after the code, in either language', async () => {
    const { agent, push } = fakeAgent({ phase: 'enroll', problem: null });
    let finish: (view: AgentView) => void = () => {};
    vi.mocked(agent.enroll).mockImplementationOnce(() => new Promise((resolve) => (finish = resolve)));
    render(AgentApp, { agent, locale: 'de' });
    await fireEvent.input(await screen.findByLabelText('Sicherheitscode'), {
      target: { value: '123 456 789' },
    });
    await fireEvent.click(screen.getByRole('button', { name: 'Verbinden' }));
    push({ view: { phase: 'waiting', technician: 'Tina Tech', attemptsLeft: 4 }, notice: null });
    await screen.findByText('Warten auf die Bestätigung von Tina Tech in der Lifeline-App…');
    expect(screen.getByText(/bitten Sie Tina Tech, Lifeline/)).toBeTruthy();
    push({ view: active, notice: null });
    finish(active);
    await screen.findByText(/Verbunden mit Tina Tech bis/);
    expect(screen.queryByText(/Warten auf die Bestätigung/)).toBeNull();
  });

  it('says when a wrong password was tried and who is connected now, and chats', async () => {
    const { agent, push } = fakeAgent(active);
    render(AgentApp, { agent, locale: 'en' });
    await screen.findByText('No technician is connected now');
    push({ view: active, notice: { kind: 'wrongPassword', detail: { technician: 'Tina Tech' } } });
    expect((await screen.findByRole('alert')).textContent).toContain('with a wrong password');
    const connected = { ...active, connectedNow: 'Tina Tech' };
    push({ view: connected, notice: { kind: 'technicianConnected', detail: { technician: 'Tina Tech' } } });
    await screen.findByText('Tina Tech is connected to this computer now');
    expect(screen.queryByRole('alert')).toBeNull();
    push({
      view: connected,
      notice: { kind: 'message', detail: { from: 'Tina Tech', text: 'Hello Erika' } },
    });
    await screen.findByText('Hello Erika');
    await fireEvent.input(screen.getByPlaceholderText('Type a message'), { target: { value: 'Hi Tina' } });
    await fireEvent.click(screen.getByRole('button', { name: 'Send' }));
    expect(agent.say).toHaveBeenCalledWith('Hi Tina');
    await screen.findByText('Hi Tina');
    await fireEvent.click(screen.getByRole('button', { name: 'Send file…' }));
    await vi.waitFor(() => expect(agent.sendFile).toHaveBeenCalledWith('/home/erika/printer.log'));
  });

  it('asks before the technician sees the screen, then shows who is viewing with Stop', async () => {
    const connected = { ...active, connectedNow: 'Tina Tech' };
    const { agent, push } = fakeAgent(connected);
    render(AgentApp, { agent, locale: 'en' });
    const asking = {
      ...connected,
      asking: { requestId: 'r1', kind: 'view_screen' as const, expiresAt: Date.now() + 60_000 },
    };
    push({
      view: asking,
      notice: {
        kind: 'consentAsked',
        detail: { request_id: 'r1', kind: 'view_screen', technician: 'Tina Tech', answer_within_secs: 60 },
      },
    });
    await screen.findByText('Tina Tech asks to see your screen.');
    expect(document.getElementById('consent-countdown')?.textContent).toMatch(
      /Declined by itself in 6[01] s/,
    );
    await fireEvent.click(screen.getByRole('button', { name: 'Allow' }));
    expect(agent.answerConsent).toHaveBeenCalledWith(true);
    push({
      view: { ...connected, screenShared: true },
      notice: { kind: 'screenShared', detail: { technician: 'Tina Tech', control: false } },
    });
    await screen.findByText('Tina Tech is viewing this screen');
    expect(screen.queryByText('Tina Tech asks to see your screen.')).toBeNull();
    await fireEvent.click(screen.getByRole('button', { name: 'Stop' }));
    expect(agent.stopSharing).toHaveBeenCalledOnce();
    push({
      view: connected,
      notice: { kind: 'screenStopped', detail: { technician: 'Tina Tech', by_technician: false } },
    });
    await screen.findByText('You stopped showing your screen');
    expect(screen.queryByText('Tina Tech is viewing this screen')).toBeNull();
    push({
      view: { ...connected, asking: { requestId: 'r2', kind: 'control', expiresAt: Date.now() + 60_000 } },
      notice: null,
    });
    await fireEvent.click(await screen.findByRole('button', { name: 'Deny' }));
    expect(agent.answerConsent).toHaveBeenLastCalledWith(false);
    push({ view: connected, notice: { kind: 'consentExpired', detail: { technician: 'Tina Tech' } } });
    await screen.findByText('Nobody answered Tina Tech’s request in time, so it was declined');
  });

  it('ends the session only after the person confirms, and says everything is gone', async () => {
    const { agent, push } = fakeAgent(active);
    render(AgentApp, { agent, locale: 'en' });
    await fireEvent.click(await screen.findByRole('button', { name: 'End session' }));
    await fireEvent.click(screen.getByRole('button', { name: 'Keep it running' }));
    expect(agent.endSession).not.toHaveBeenCalled();
    await fireEvent.click(screen.getByRole('button', { name: 'End session' }));
    const dialog = await screen.findByRole('dialog');
    await fireEvent.click(dialog.querySelector('#end-confirm') as HTMLElement);
    expect(agent.endSession).toHaveBeenCalledOnce();
    push({ view: { phase: 'ended', finish: 'ended', problem: null }, notice: null });
    await screen.findByText('The session has ended.');
    expect(screen.getByText(/Everything this app set up was removed/)).toBeTruthy();
    await fireEvent.click(screen.getByRole('button', { name: 'Close' }));
    expect(agent.close).toHaveBeenCalledOnce();
  });

  it('speaks German, with every English string translated', async () => {
    expect(Object.keys(de).sort()).toEqual(Object.keys(en).sort());
    const { agent } = fakeAgent(active);
    render(AgentApp, { agent, locale: 'de' });
    await screen.findByText(/Verbunden mit Tina Tech bis/);
    expect(screen.getByRole('button', { name: 'Sitzung beenden' })).toBeTruthy();
  });
});
