// What the agent's window asks of the agent (crates/agent/src/shell.rs), typed by the
// generated bindings. Tests pass a fake with the same shape.

import { listen } from '@tauri-apps/api/event';
import { getCurrentWindow } from '@tauri-apps/api/window';
import { open } from '@tauri-apps/plugin-dialog';
import type { AgentUpdate } from '$agent-bindings/AgentUpdate';
import type { AgentView } from '$agent-bindings/AgentView';
import { call } from '../lib/backend/tauri';

export type { AgentUpdate } from '$agent-bindings/AgentUpdate';
export type { AgentView } from '$agent-bindings/AgentView';
export type { Notice } from '$agent-bindings/Notice';

/** The app event every change arrives on (AGENT_EVENT in shell.rs). */
const AGENT_EVENT = 'agent';

export interface Agent {
  view(): Promise<AgentView>;
  enroll(code: string): Promise<AgentView>;
  say(text: string): Promise<void>;
  sendFile(path: string): Promise<void>;
  /** The person's answer to the technician's request waiting in the view. */
  answerConsent(allow: boolean): Promise<void>;
  /** Stops showing the screen, at once. */
  stopSharing(): Promise<void>;
  endSession(): Promise<void>;
  onUpdate(handler: (update: AgentUpdate) => void): Promise<() => void>;
  /** Closes the window, which ends the app once the session is over. */
  close(): Promise<void>;
  /** A file the person picks to send, or `null`. */
  pickFile(title: string): Promise<string | null>;
}

export const tauriAgent: Agent = {
  view: () => call('agent_view'),
  enroll: (code) => call('enroll', { code }),
  say: (text) => call('say', { text }),
  sendFile: (path) => call('send_file', { path }),
  answerConsent: (allow) => call('answer_consent', { allow }),
  stopSharing: () => call('stop_sharing'),
  endSession: () => call('end_session'),
  onUpdate: (handler) => listen<AgentUpdate>(AGENT_EVENT, (event) => handler(event.payload)),
  close: () => getCurrentWindow().close(),
  pickFile: async (title) => {
    const picked = await open({ title, multiple: false, directory: false });
    return typeof picked === 'string' ? picked : null;
  },
};
