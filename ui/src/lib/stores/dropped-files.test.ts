import { describe, expect, it, vi } from 'vitest';
import { type Backend, BackendError } from '../backend';
import { sessionSummary } from '../testing/fixtures';
import { DeskStore } from './desk.svelte';

function setup(sendFile: Backend['sendFile']) {
  const backend = {
    sessionEvents: vi.fn(async () => []),
    markRead: vi.fn(async () => {}),
    setBadge: vi.fn(async () => {}),
    sendFile: vi.fn(sendFile),
  } as unknown as Backend;
  return { backend, desk: new DeskStore(backend) };
}

describe('files dropped on the window', () => {
  it('go to the session in front, each of them', async () => {
    const { backend, desk } = setup(async () => 'transfer');
    await desk.open(sessionSummary({ id: 's1' }), false);
    await desk.open(sessionSummary({ id: 's2' }));
    await desk.sendDropped(['/home/tina/a.log', '/home/tina/b.png']);
    expect(vi.mocked(backend.sendFile).mock.calls).toEqual([
      ['s2', '/home/tina/a.log'],
      ['s2', '/home/tina/b.png'],
    ]);
    expect(desk.dropError).toBeNull();
  });

  it('are ignored when no session is in front', async () => {
    const { backend, desk } = setup(async () => 'transfer');
    await desk.open(sessionSummary(), false);
    desk.show({ kind: 'support' });
    await desk.sendDropped(['/home/tina/a.log']);
    expect(backend.sendFile).not.toHaveBeenCalled();
  });

  it('that cannot be sent say why, and the others still go', async () => {
    const { backend, desk } = setup(async (_id, path) => {
      if (path.endsWith('a.log')) throw new BackendError({ code: 'not_signed_in', message: 'not signed in' });
      return 'transfer';
    });
    await desk.open(sessionSummary());
    await desk.sendDropped(['/home/tina/a.log', '/home/tina/b.png']);
    expect(desk.dropError).toBe('not signed in');
    expect(backend.sendFile).toHaveBeenCalledWith('s1', '/home/tina/b.png');
  });
});
