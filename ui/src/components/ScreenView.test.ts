import { cleanup, fireEvent, render, screen } from '@testing-library/svelte';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { Backend } from '../lib/backend';
import type { ScreenNote } from '../lib/backend/types';
import { Settings } from '../lib/stores/settings.svelte';
import ScreenView from './ScreenView.svelte';

const agentStream: ScreenNote = {
  type: 'stream',
  stream: {
    stream_id: 'v1',
    session_id: 's1',
    started_at: 0,
    format: {
      source: 'agent',
      display_id: '0',
      codec: 'jpeg',
      codec_string: '',
      width: 1280,
      height: 800,
      surface: 'monitor',
    },
  },
};

function setup(auto: boolean) {
  let deliver: (note: ScreenNote) => void = () => {};
  const backend = {
    watchScreen: vi.fn(async (_id: string, _codecs: unknown, onMessage: (m: ScreenNote) => void) => {
      deliver = onMessage;
    }),
    closeScreen: vi.fn(async () => {}),
    copyToClipboard: vi.fn(async () => {}),
    sendClipboard: vi.fn(async () => {}),
    typeClipboard: vi.fn(async () => {}),
    sendInput: vi.fn(async () => {}),
    selectDisplay: vi.fn(async () => {}),
  } as unknown as Backend;
  const settings = new Settings(undefined);
  settings.language = 'en';
  settings.clipboardAuto = auto;
  render(ScreenView, { sessionId: 's1', name: 'Erika', settings, backend, control: true });
  return { backend, deliver: (note: ScreenNote) => deliver(note) };
}

describe('ScreenView clipboard', () => {
  afterEach(cleanup);

  it('sends or types this clipboard, and takes theirs only when asked', async () => {
    const { backend, deliver } = setup(false);
    await vi.waitFor(() => expect(backend.watchScreen).toHaveBeenCalled());
    deliver(agentStream);
    await fireEvent.click(await screen.findByRole('button', { name: 'Send my clipboard' }));
    expect(backend.sendClipboard).toHaveBeenCalledWith('s1');
    await fireEvent.click(screen.getByRole('button', { name: 'Type my clipboard' }));
    expect(backend.typeClipboard).toHaveBeenCalledWith('s1');
    deliver({ type: 'clipboard', text: 'kopiert am Computer' });
    await fireEvent.click(await screen.findByRole('button', { name: 'Copy their clipboard' }));
    expect(backend.copyToClipboard).toHaveBeenCalledWith('kopiert am Computer');
    await screen.findByText('Their clipboard is on yours now.');
  });

  it('with automatic sharing, copies theirs at once and sends this one when the picture takes the focus', async () => {
    const { backend, deliver } = setup(true);
    await vi.waitFor(() => expect(backend.watchScreen).toHaveBeenCalled());
    deliver(agentStream);
    deliver({ type: 'clipboard', text: 'C:\\log.txt' });
    await vi.waitFor(() => expect(backend.copyToClipboard).toHaveBeenCalledWith('C:\\log.txt'));
    expect(screen.queryByRole('button', { name: 'Copy their clipboard' })).toBeNull();
    await fireEvent.focus(document.getElementById('screen-canvas') as HTMLElement);
    expect(backend.sendClipboard).toHaveBeenCalledWith('s1');
  });
});

describe('ScreenView display picker', () => {
  afterEach(cleanup);

  it('lists the computer’s displays when there are several and shows the one picked', async () => {
    const { backend, deliver } = setup(false);
    await vi.waitFor(() => expect(backend.watchScreen).toHaveBeenCalled());
    deliver(agentStream);
    deliver({
      type: 'displays',
      displays: [
        { id: '0', name: 'Built-in', width: 1280, height: 800, primary: true },
        { id: '1', name: 'DELL U2720Q', width: 3840, height: 2160, primary: false },
      ],
    });
    const picker = (await screen.findByLabelText('Display')) as HTMLSelectElement;
    expect(picker.value).toBe('0');
    await fireEvent.change(picker, { target: { value: '1' } });
    expect(backend.selectDisplay).toHaveBeenCalledWith('s1', '1');
  });

  it('shows no picker for one display', async () => {
    const { backend, deliver } = setup(false);
    await vi.waitFor(() => expect(backend.watchScreen).toHaveBeenCalled());
    deliver(agentStream);
    deliver({
      type: 'displays',
      displays: [{ id: '0', name: 'Built-in', width: 1280, height: 800, primary: true }],
    });
    await screen.findByText('Send my clipboard');
    expect(screen.queryByLabelText('Display')).toBeNull();
  });
});

describe('ScreenView blocked control', () => {
  afterEach(cleanup);

  it('says in plain words what the computer’s app cannot reach, while it lasts', async () => {
    const { backend, deliver } = setup(false);
    await vi.waitFor(() => expect(backend.watchScreen).toHaveBeenCalled());
    deliver(agentStream);
    deliver({ type: 'blocked', block: 'secure_desktop' });
    expect((await screen.findByRole('alert')).textContent).toContain('Only Erika can answer it');
    deliver({ type: 'blocked', block: null });
    await vi.waitFor(() => expect(screen.queryByRole('alert')).toBeNull());
  });
});
