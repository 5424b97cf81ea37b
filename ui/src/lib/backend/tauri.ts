import { Channel, invoke } from '@tauri-apps/api/core';
import { listen } from '@tauri-apps/api/event';
import { TrayIcon } from '@tauri-apps/api/tray';
import { getCurrentWebview } from '@tauri-apps/api/webview';
import { getCurrentWindow, UserAttentionType } from '@tauri-apps/api/window';
import { open, save } from '@tauri-apps/plugin-dialog';
import { openUrl } from '@tauri-apps/plugin-opener';
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

export const tauriBackend: Backend = {
  signIn: (serverUrl, email, password, remember) => call('sign_in', { serverUrl, email, password, remember }),
  resumeSignIn: (serverUrl, email) => call('resume_sign_in', { serverUrl, email }),
  signInHandedOver: () => call('sign_in_handed_over'),
  signOut: () => call('sign_out'),
  serverInfo: () => call('server_info'),

  listSessions: () => call('list_sessions'),
  startSession: (requestControlOnArrival) => call('start_session', { requestControlOnArrival }),
  setRequestControlOnArrival: (sessionId, value) =>
    call('set_request_control_on_arrival', { sessionId, value }),
  sessionEvents: (sessionId, since) => call('session_events', { sessionId, since }),
  requestConsent: (sessionId, kind) => call('request_consent', { sessionId, kind }),
  endSession: (sessionId) => call('end_session', { sessionId }),
  transcriptText: (sessionId) => call('transcript_text', { sessionId }),
  exportTranscript: (sessionId, path) => call('export_transcript', { sessionId, path }),

  sendMessage: (sessionId, text) => call('send_message', { sessionId, text }),
  setTyping: (sessionId, typing) => call('set_typing', { sessionId, typing }),
  markRead: (sessionId, upToSeq) => call('mark_read', { sessionId, upToSeq }),

  copyToClipboard: (text) => call('copy_to_clipboard', { text }),
  sendSms: (sessionId, to) => call('send_sms', { sessionId, to }),
  sendEmail: (sessionId, to) => call('send_email', { sessionId, to }),
  openUrl: (url) => openUrl(url),

  sendFile: (sessionId, path) => call('send_file', { sessionId, path }),
  saveFile: (sessionId, file, dest) => call('save_file', { sessionId, file, dest }),
  cancelTransfer: (transferId) => call('cancel_transfer', { transferId }),
  pickFiles: async () => {
    const picked = await open({ multiple: true, directory: false });
    if (picked === null) return [];
    return Array.isArray(picked) ? picked : [picked];
  },
  pickSavePath: (suggestedName) => save({ defaultPath: suggestedName }),

  watchScreen: (sessionId, codecs, onMessage) => {
    const channel = new Channel<ScreenNote | ArrayBuffer>();
    channel.onmessage = onMessage;
    return call('watch_screen', { sessionId, codecs, onMessage: channel });
  },
  screenDecoded: (sessionId, seq) => call('screen_decoded', { sessionId, seq }),
  screenKeyframe: (sessionId) => call('screen_keyframe', { sessionId }),
  closeScreen: (sessionId) => call('close_screen', { sessionId }),
  stopViewing: (sessionId) => call('stop_viewing', { sessionId }),

  prepareAdhoc: (email, password, confirmation) => call('prepare_adhoc', { email, password, confirmation }),
  listAdhocSessions: () => call('list_adhoc_sessions'),
  listComputers: () => call('list_computers'),
  connectComputer: (adhocSessionId, password) => call('connect_computer', { adhocSessionId, password }),
  adhocConnections: (adhocSessionId) => call('adhoc_connections', { adhocSessionId }),
  endAdhoc: (adhocSessionId) => call('end_adhoc', { adhocSessionId }),

  setPreferences: (preferences) => call('set_preferences', { preferences }),
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
