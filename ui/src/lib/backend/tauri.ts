import { Channel, invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { TrayIcon } from '@tauri-apps/api/tray';
import { getCurrentWebview } from '@tauri-apps/api/webview';
import { getCurrentWindow, UserAttentionType } from '@tauri-apps/api/window';
import { open, save } from '@tauri-apps/plugin-dialog';
import { openUrl } from '@tauri-apps/plugin-opener';
import { commands } from './commands';
import { type Backend, BackendError, isIpcError } from './index';
import type { DeskEvent, ScreenNote } from './types';

/** The app event the shell forwards every desk event on (see src-tauri/src/lib.rs). */
const DESK_EVENT = 'desk';
/** The tray icon the shell creates (see src-tauri/src/tray.rs). */
const TRAY_ID = 'main';

/** Invokes a shell command; its `{code, message}` failure becomes a `BackendError`. */
export async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (error) {
    if (isIpcError(error)) throw new BackendError(error);
    throw new BackendError({ code: 'internal', message: String(error) });
  }
}

/** The shell's commands, each invoked through `call`. */
const app = commands(call);

/**
 * Whether the shell holds a sign-in handed over at start: it says so on `window` before
 * the page's scripts run (see `start_facts` in src-tauri/src/lib.rs). Unknown means ask.
 */
function handoverAtStart(): boolean {
  return (window as { __LIFELINE_HANDOVER__?: boolean }).__LIFELINE_HANDOVER__ !== false;
}

export const tauriBackend: Backend = {
  ...app,
  // No round trip at start when the shell has said there is nothing to hand over.
  signInHandedOver: () => (handoverAtStart() ? app.signInHandedOver() : Promise.resolve(null)),
  openUrl: (url) => openUrl(url),
  pickFiles: async () => {
    const picked = await open({ multiple: true, directory: false });
    if (picked === null) return [];
    return Array.isArray(picked) ? picked : [picked];
  },
  pickSavePath: (suggestedName) => save({ defaultPath: suggestedName }),

  watchScreen: (sessionId, codecs, onMessage) => {
    const channel = new Channel<ScreenNote | ArrayBuffer>();
    channel.onmessage = onMessage;
    return app.watchScreen(sessionId, codecs, channel);
  },

  setBadge: async (count) => {
    const window = getCurrentWindow();
    try {
      // Unread messages in the background also mark the window urgent in the taskbar.
      if (count > 0 && !document.hasFocus())
        await window.requestUserAttention(UserAttentionType.Informational);
      const tray = await TrayIcon.getById(TRAY_ID);
      await tray?.setTooltip(count > 0 ? `Lifeline (${count})` : 'Lifeline');
      await window.setBadgeCount(count > 0 ? count : undefined);
    } catch {
      // Not every desktop shows badges; the tab's count is the real signal.
    }
  },

  onEvent: (handler) => listen<DeskEvent>(DESK_EVENT, (event) => handler(event.payload)),
  onFileDrop: (handler) =>
    getCurrentWebview().onDragDropEvent((event) => {
      if (event.payload.type === 'drop') handler(event.payload.paths);
    }),
};
