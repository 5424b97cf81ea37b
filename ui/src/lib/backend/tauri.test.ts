import { emit } from '@tauri-apps/api/event';
import { clearMocks, mockIPC, mockWindows } from '@tauri-apps/api/mocks';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { BackendError } from './index';
import { tauriBackend } from './tauri';

// The Tauri implementation over Tauri's own IPC mocks: what the shell receives and what
// the native side's events turn into.
describe('tauriBackend', () => {
  afterEach(() => clearMocks());

  it('hands over the paths of files dropped on the window, and nothing while they hover', async () => {
    mockWindows('main');
    mockIPC(() => null, { shouldMockEvents: true });
    const dropped = vi.fn();
    const stop = await tauriBackend.onFileDrop(dropped);
    await emit('tauri://drag-enter', { paths: ['/home/tina/a.log'], position: { x: 1, y: 2 } });
    await emit('tauri://drag-over', { position: { x: 3, y: 4 } });
    await emit('tauri://drag-drop', {
      paths: ['/home/tina/a.log', '/home/tina/b.png'],
      position: { x: 5, y: 6 },
    });
    await emit('tauri://drag-leave', null);
    expect(dropped.mock.calls).toEqual([[['/home/tina/a.log', '/home/tina/b.png']]]);
    await stop();
  });

  it('opens mailto: links through the opener plugin', async () => {
    const calls: Array<[string, unknown]> = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return null;
    });
    await tauriBackend.openUrl('mailto:?subject=Remote%20support');
    expect(calls).toEqual([['plugin:opener|open_url', { url: 'mailto:?subject=Remote%20support' }]]);
  });

  it('turns a refused command into a BackendError with its code', async () => {
    mockIPC(() => {
      throw { code: 'invalid_input', message: 'not an email address' };
    });
    const refused = tauriBackend.sendEmail('s1', 'nobody');
    await expect(refused).rejects.toBeInstanceOf(BackendError);
    await expect(refused).rejects.toMatchObject({ code: 'invalid_input', message: 'not an email address' });
  });

  it('invokes each generated command by its table name, with its arguments camelCased', async () => {
    const calls: Array<[string, unknown]> = [];
    mockIPC((cmd, args) => {
      calls.push([cmd, args]);
      return null;
    });
    await tauriBackend.markRead('s1', 7);
    await tauriBackend.setRequestControlOnArrival('s1', true);
    await tauriBackend.signInHandedOver();
    expect(calls).toEqual([
      ['mark_read', { sessionId: 's1', upToSeq: 7 }],
      ['set_request_control_on_arrival', { sessionId: 's1', value: true }],
      ['sign_in_handed_over', {}],
    ]);
  });

  it('asks for a handed-over sign-in only when the shell did not say there is none', async () => {
    const calls: string[] = [];
    mockIPC((cmd) => {
      calls.push(cmd);
      return null;
    });
    const flagged = window as { __LIFELINE_HANDOVER__?: boolean };
    flagged.__LIFELINE_HANDOVER__ = false;
    expect(await tauriBackend.signInHandedOver()).toBeNull();
    expect(calls).toEqual([]);
    flagged.__LIFELINE_HANDOVER__ = true;
    await tauriBackend.signInHandedOver();
    expect(calls).toEqual(['sign_in_handed_over']);
    delete flagged.__LIFELINE_HANDOVER__;
  });
});
