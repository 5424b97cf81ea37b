// The desktop app's command contract, written once. `build.rs` reads the names from it
// (one permission each), `commands/mod.rs` generates the `#[tauri::command]` adapters
// and the invoke handler from it, and the `bindings` test writes the UI's typed
// `ui/src/lib/backend/commands.ts` and `capabilities/commands.json` from it.
//
// A line is `module::command(argument: RustType, ...) -> ReturnedType;`: the adapter
// calls `module::command(&desk, arguments...)`, which returns `IpcResult<ReturnedType>`.
// `as "..."` gives the TypeScript type where ts-rs has none (a channel) or another one
// (a sequence number is a JavaScript number). Doc comments become the TypeScript docs.
command_table! {
    /// `second_factor`: the authenticator app's code or a recovery code, when asked for.
    auth::sign_in(server_url: String, email: String, password: String, second_factor: Option<String>, remember: bool) -> SignedIn;
    /// Signs in with the keychain's refresh token; `null` when nothing usable is kept.
    auth::resume_sign_in(server_url: String, email: String) -> Option<SignedIn>;
    /// The sign-in handed over when the app was started (scripts/run), once; `null` without one.
    auth::sign_in_handed_over() -> Option<SignedIn>;
    auth::sign_out() -> ();
    /// Changes this technician's password; their other sign-ins end, this one stays.
    auth::change_password(current_password: String, new_password: String) -> ();
    /// Starts setting up a second factor: the secret for the authenticator app, shown once.
    auth::setup_second_factor(password: String) -> SecondFactorSetup;
    /// Confirms the setup with the app's code; the recovery codes, shown once.
    auth::enable_second_factor(code: String) -> RecoveryCodes;
    auth::disable_second_factor(password: String, code: String) -> ();
    /// Admins: whether every technician of the company needs a second factor.
    auth::security_policy() -> SecurityPolicy;
    auth::set_security_policy(policy: SecurityPolicy) -> SecurityPolicy;
    auth::server_info() -> ServerInfo;

    sessions::list_sessions() -> Vec<SessionSummary>;
    sessions::start_session(request_control_on_arrival: bool) -> SessionSummary;
    sessions::set_request_control_on_arrival(session_id: Uuid, value: bool) -> SessionSummary;
    sessions::session_events(session_id: Uuid, since: u64 as "number") -> Vec<SessionEvent>;
    sessions::request_consent(session_id: Uuid, kind: ConsentKind) -> SessionEvent;
    /// Stops waiting for the end user's Lifeline app, or closes a running app's access.
    sessions::cancel_attended_app(session_id: Uuid) -> SessionEvent;
    sessions::end_session(session_id: Uuid) -> SessionEvent;
    sessions::transcript_text(session_id: Uuid) -> String;
    sessions::export_transcript(session_id: Uuid, path: PathBuf) -> ();

    chat::send_message(session_id: Uuid, text: String) -> SessionEvent;
    chat::set_typing(session_id: Uuid, typing: bool) -> ();
    chat::mark_read(session_id: Uuid, up_to_seq: u64 as "number") -> ();

    invites::copy_to_clipboard(text: String) -> ();
    invites::send_sms(session_id: Uuid, to: String) -> InviteSent;
    invites::send_email(session_id: Uuid, to: String) -> InviteSent;
    /// The join link as a QR code, an SVG document.
    invites::invite_qr(link: String) -> String;

    /// Starts sending the file at `path`; returns the transfer id.
    files::send_file(session_id: Uuid, path: PathBuf) -> Uuid;
    /// Starts saving a shared file to `dest` (chosen in a save dialog); returns the transfer id.
    files::save_file(session_id: Uuid, file: FileInfo, dest: PathBuf) -> Uuid;
    files::cancel_transfer(transfer_id: Uuid) -> ();

    settings::set_preferences(preferences: Preferences) -> ();

    /// The technician's canned replies and the company's, by title.
    replies::canned_replies() -> Vec<CannedReply>;
    /// Adds a canned reply to this technician's list, or (admins) to the company's.
    replies::add_canned_reply(reply: SaveCannedReply) -> CannedReply;
    replies::update_canned_reply(id: Uuid, reply: SaveCannedReply) -> CannedReply;
    replies::delete_canned_reply(id: Uuid) -> ();

    /// Prepares an ad-hoc session; the password stays on this computer (only its verifier goes out).
    adhoc::prepare_adhoc(email: String, password: String, confirmation: String) -> AdhocPrepared;
    adhoc::list_adhoc_sessions() -> Vec<AdhocSessionSummary>;
    adhoc::list_computers() -> Vec<ComputerGroup>;
    /// Connects to an ad-hoc computer; its agent checks the password. Opens as a session.
    adhoc::connect_computer(adhoc_session_id: Uuid, password: String) -> SessionSummary;
    adhoc::adhoc_connections(adhoc_session_id: Uuid) -> Vec<AdhocConnectionRecord>;
    adhoc::end_adhoc(adhoc_session_id: Uuid) -> AdhocSessionSummary;
    /// Admins: whether the person at an ad-hoc computer must allow a view or control.
    adhoc::adhoc_policy() -> AdhocPolicy;
    adhoc::set_adhoc_policy(policy: AdhocPolicy) -> AdhocPolicy;

    /// Watches the session's screen until its stream stops: notes as objects, pictures as
    /// `ArrayBuffer`s framed as on the media socket. `codecs`: what the decoder reads.
    screen::watch_screen(
        session_id: Uuid,
        codecs: Vec<VideoCodec>,
        on_message: Channel<InvokeResponseBody> as "Channel<ScreenNote | ArrayBuffer>",
    ) -> ();
    /// Everything up to `seq` was decoded and drawn.
    screen::screen_decoded(session_id: Uuid, seq: u64 as "number") -> ();
    screen::screen_keyframe(session_id: Uuid) -> ();
    /// The screen is no longer shown (its tab went to the back); the stream goes on.
    screen::close_screen(session_id: Uuid) -> ();
    /// Stop viewing: the stream ends on both sides.
    screen::stop_viewing(session_id: Uuid) -> ();
    /// The technician's pointer or keyboard, for a computer whose user allowed control.
    screen::send_input(session_id: Uuid, event: InputEvent) -> ();
    /// Shows another of the computer's displays.
    screen::select_display(session_id: Uuid, display_id: String) -> ();
    /// Puts this computer's clipboard on the controlled computer's clipboard.
    screen::send_clipboard(session_id: Uuid) -> ();
    /// Types this computer's clipboard on the controlled computer, for fields that refuse paste.
    screen::type_clipboard(session_id: Uuid) -> ();
}
