// Generated from src-tauri/src/commands/table.rs by the `bindings` test; do not edit.
// Regenerate with `LIFELINE_UPDATE_BINDINGS=1 cargo test --test app bindings`.
import type { Channel } from '@tauri-apps/api/core';
import type { AdhocConnectionRecord, AdhocPolicy, AdhocPrepared, AdhocSessionSummary, CannedReply, ComputerGroup, ConsentKind, FileInfo, InputEvent, InviteSent, Preferences, RecoveryCodes, SaveCannedReply, ScreenNote, SecondFactorSetup, SecurityPolicy, ServerInfo, SessionEvent, SessionSummary, SignedIn, VideoCodec } from './types';

/** Invokes one command by name; the app's turns a failure into a `BackendError`. */
export type Invoke = <T>(command: string, args?: Record<string, unknown>) => Promise<T>;

/** Every command of the desktop app, typed as its table declares it. */
export function commands(invoke: Invoke) {
  return {
    /** `second_factor`: the authenticator app's code or a recovery code, when asked for. */
    signIn: (serverUrl: string, email: string, password: string, secondFactor: string | null, remember: boolean) => invoke<SignedIn>('sign_in', { serverUrl, email, password, secondFactor, remember }),
    /** Signs in with the keychain's refresh token; `null` when nothing usable is kept. */
    resumeSignIn: (serverUrl: string, email: string) => invoke<SignedIn | null>('resume_sign_in', { serverUrl, email }),
    /** The sign-in handed over when the app was started (scripts/run), once; `null` without one. */
    signInHandedOver: () => invoke<SignedIn | null>('sign_in_handed_over'),
    signOut: () => invoke<void>('sign_out'),
    /** Changes this technician's password; their other sign-ins end, this one stays. */
    changePassword: (currentPassword: string, newPassword: string) => invoke<void>('change_password', { currentPassword, newPassword }),
    /** Starts setting up a second factor: the secret for the authenticator app, shown once. */
    setupSecondFactor: (password: string) => invoke<SecondFactorSetup>('setup_second_factor', { password }),
    /** Confirms the setup with the app's code; the recovery codes, shown once. */
    enableSecondFactor: (code: string) => invoke<RecoveryCodes>('enable_second_factor', { code }),
    disableSecondFactor: (password: string, code: string) => invoke<void>('disable_second_factor', { password, code }),
    /** Admins: whether every technician of the company needs a second factor. */
    securityPolicy: () => invoke<SecurityPolicy>('security_policy'),
    setSecurityPolicy: (policy: SecurityPolicy) => invoke<SecurityPolicy>('set_security_policy', { policy }),
    serverInfo: () => invoke<ServerInfo>('server_info'),
    listSessions: () => invoke<Array<SessionSummary>>('list_sessions'),
    startSession: (requestControlOnArrival: boolean) => invoke<SessionSummary>('start_session', { requestControlOnArrival }),
    setRequestControlOnArrival: (sessionId: string, value: boolean) => invoke<SessionSummary>('set_request_control_on_arrival', { sessionId, value }),
    sessionEvents: (sessionId: string, since: number) => invoke<Array<SessionEvent>>('session_events', { sessionId, since }),
    requestConsent: (sessionId: string, kind: ConsentKind) => invoke<SessionEvent>('request_consent', { sessionId, kind }),
    /** Stops waiting for the end user's Lifeline app, or closes a running app's access. */
    cancelAttendedApp: (sessionId: string) => invoke<SessionEvent>('cancel_attended_app', { sessionId }),
    endSession: (sessionId: string) => invoke<SessionEvent>('end_session', { sessionId }),
    transcriptText: (sessionId: string) => invoke<string>('transcript_text', { sessionId }),
    exportTranscript: (sessionId: string, path: string) => invoke<void>('export_transcript', { sessionId, path }),
    sendMessage: (sessionId: string, text: string) => invoke<SessionEvent>('send_message', { sessionId, text }),
    setTyping: (sessionId: string, typing: boolean) => invoke<void>('set_typing', { sessionId, typing }),
    markRead: (sessionId: string, upToSeq: number) => invoke<void>('mark_read', { sessionId, upToSeq }),
    copyToClipboard: (text: string) => invoke<void>('copy_to_clipboard', { text }),
    sendSms: (sessionId: string, to: string) => invoke<InviteSent>('send_sms', { sessionId, to }),
    sendEmail: (sessionId: string, to: string) => invoke<InviteSent>('send_email', { sessionId, to }),
    /** The join link as a QR code, an SVG document. */
    inviteQr: (link: string) => invoke<string>('invite_qr', { link }),
    /** Starts sending the file at `path`; returns the transfer id. */
    sendFile: (sessionId: string, path: string) => invoke<string>('send_file', { sessionId, path }),
    /** Starts saving a shared file to `dest` (chosen in a save dialog); returns the transfer id. */
    saveFile: (sessionId: string, file: FileInfo, dest: string) => invoke<string>('save_file', { sessionId, file, dest }),
    cancelTransfer: (transferId: string) => invoke<void>('cancel_transfer', { transferId }),
    setPreferences: (preferences: Preferences) => invoke<void>('set_preferences', { preferences }),
    /** The technician's canned replies and the company's, by title. */
    cannedReplies: () => invoke<Array<CannedReply>>('canned_replies'),
    /** Adds a canned reply to this technician's list, or (admins) to the company's. */
    addCannedReply: (reply: SaveCannedReply) => invoke<CannedReply>('add_canned_reply', { reply }),
    updateCannedReply: (id: string, reply: SaveCannedReply) => invoke<CannedReply>('update_canned_reply', { id, reply }),
    deleteCannedReply: (id: string) => invoke<void>('delete_canned_reply', { id }),
    /** Prepares an ad-hoc session; the password stays on this computer (only its verifier goes out). */
    prepareAdhoc: (email: string, password: string, confirmation: string) => invoke<AdhocPrepared>('prepare_adhoc', { email, password, confirmation }),
    listAdhocSessions: () => invoke<Array<AdhocSessionSummary>>('list_adhoc_sessions'),
    listComputers: () => invoke<Array<ComputerGroup>>('list_computers'),
    /** Connects to an ad-hoc computer; its agent checks the password. Opens as a session. */
    connectComputer: (adhocSessionId: string, password: string) => invoke<SessionSummary>('connect_computer', { adhocSessionId, password }),
    adhocConnections: (adhocSessionId: string) => invoke<Array<AdhocConnectionRecord>>('adhoc_connections', { adhocSessionId }),
    endAdhoc: (adhocSessionId: string) => invoke<AdhocSessionSummary>('end_adhoc', { adhocSessionId }),
    /** Admins: whether the person at an ad-hoc computer must allow a view or control. */
    adhocPolicy: () => invoke<AdhocPolicy>('adhoc_policy'),
    setAdhocPolicy: (policy: AdhocPolicy) => invoke<AdhocPolicy>('set_adhoc_policy', { policy }),
    /** Watches the session's screen until its stream stops: notes as objects, pictures as `ArrayBuffer`s framed as on the media socket. `codecs`: what the decoder reads. */
    watchScreen: (sessionId: string, codecs: Array<VideoCodec>, onMessage: Channel<ScreenNote | ArrayBuffer>) => invoke<void>('watch_screen', { sessionId, codecs, onMessage }),
    /** Everything up to `seq` was decoded and drawn. */
    screenDecoded: (sessionId: string, seq: number) => invoke<void>('screen_decoded', { sessionId, seq }),
    screenKeyframe: (sessionId: string) => invoke<void>('screen_keyframe', { sessionId }),
    /** The screen is no longer shown (its tab went to the back); the stream goes on. */
    closeScreen: (sessionId: string) => invoke<void>('close_screen', { sessionId }),
    /** Stop viewing: the stream ends on both sides. */
    stopViewing: (sessionId: string) => invoke<void>('stop_viewing', { sessionId }),
    /** The technician's pointer or keyboard, for a computer whose user allowed control. */
    sendInput: (sessionId: string, event: InputEvent) => invoke<void>('send_input', { sessionId, event }),
    /** Shows another of the computer's displays. */
    selectDisplay: (sessionId: string, displayId: string) => invoke<void>('select_display', { sessionId, displayId }),
    /** Puts this computer's clipboard on the controlled computer's clipboard. */
    sendClipboard: (sessionId: string) => invoke<void>('send_clipboard', { sessionId }),
    /** Types this computer's clipboard on the controlled computer, for fields that refuse paste. */
    typeClipboard: (sessionId: string) => invoke<void>('type_clipboard', { sessionId }),
  };
}

export type Commands = ReturnType<typeof commands>;
