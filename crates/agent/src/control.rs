//! The technician's pointer and keyboard applied to this computer with enigo (XTEST on
//! X11, SendInput on Windows). Enigo lives on a thread of its own; input reaches it in
//! order through a bounded queue, so a flood cannot grow memory or stall the sender.
//!
//! Keys: a key that types a character (`key` is one printable character) is typed as
//! that character, whatever the keyboard layout here, so `@`, `€`, `ß`, `ä` and `ö`
//! from a German technician come out right on a US or German computer: with the key
//! (and Shift) that types it on this layout where there is one (on X11, read from the
//! server), else through a spare key mapped for it. While Control, Alt or the Super key
//! is held, the letter or digit on the technician's key decides (Ctrl+Z is Ctrl+Z from
//! any layout), else the key's place on a US keyboard. Named keys (Enter, arrows, F1…)
//! go by their code. Anything else (a dead key, AltGr itself) is left out, never guessed.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};

use enigo::{Axis, Button, Coordinate, Direction, Enigo, Key, Keyboard, Mouse, Settings};
use lifeline_protocol::{InputEvent, PointerButton, SpecialKeys};

use crate::screen::capture::DisplayInfo;

/// Input events waiting for the thread, at most; more are dropped (pointer moves first
/// are the bulk of any flood).
const QUEUE: usize = 256;

/// Why control cannot run here.
#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("control is not available on Wayland: the desktop allows input only through its portal, with the person's approval each time")]
    Wayland,
    #[error("input cannot be sent to this desktop: {0}")]
    Unavailable(String),
}

/// Applies input to the display being streamed.
pub struct Injector {
    queue: mpsc::SyncSender<(InputEvent, DisplayInfo)>,
    /// False once control ended: what is still queued is dropped, typing stops.
    active: Arc<AtomicBool>,
}

impl Drop for Injector {
    fn drop(&mut self) {
        self.active.store(false, Ordering::Relaxed);
    }
}

impl Injector {
    /// Starts the input thread; fails where input cannot be injected.
    pub fn start() -> Result<Self, ControlError> {
        let wayland = std::env::var_os("WAYLAND_DISPLAY").is_some_and(|v| !v.is_empty())
            && std::env::var_os("DISPLAY").is_none_or(|v| v.is_empty());
        if cfg!(target_os = "linux") && wayland {
            return Err(ControlError::Wayland);
        }
        let (queue, received) = mpsc::sync_channel::<(InputEvent, DisplayInfo)>(QUEUE);
        let (ready, started) = mpsc::channel();
        let active = Arc::new(AtomicBool::new(true));
        let running = Arc::clone(&active);
        std::thread::Builder::new()
            .name("lifeline-input".into())
            .spawn(move || {
                let settings = Settings {
                    release_keys_when_dropped: true,
                    ..Settings::default()
                };
                let mut enigo = match Enigo::new(&settings) {
                    Ok(enigo) => {
                        let _ = ready.send(Ok(()));
                        enigo
                    }
                    Err(err) => {
                        let _ = ready.send(Err(err.to_string()));
                        return;
                    }
                };
                let mut keys = KeyState {
                    held: HashSet::new(),
                    active: running,
                    mapped: HashSet::new(),
                    #[cfg(target_os = "linux")]
                    layout: layout::Layout::open(),
                    #[cfg(target_os = "linux")]
                    keymap: None,
                };
                for (event, display) in received {
                    if !keys.active.load(Ordering::Relaxed) {
                        break;
                    }
                    if let Err(err) = keys.apply(&mut enigo, &event, &display) {
                        tracing::debug!(error = %err, "an input event was not applied");
                    }
                }
            })
            .map_err(|err| ControlError::Unavailable(err.to_string()))?;
        match started.recv() {
            Ok(Ok(())) => Ok(Self { queue, active }),
            Ok(Err(err)) => Err(ControlError::Unavailable(err)),
            Err(_) => Err(ControlError::Unavailable("the input thread stopped".into())),
        }
    }

    /// Queues `event` for `display`; false when the queue is full and it was dropped.
    pub fn apply(&self, event: InputEvent, display: &DisplayInfo) -> bool {
        self.queue.try_send((event, display.clone())).is_ok()
    }
}

/// Which modifiers the technician holds, to press physical keys under them and to let
/// them all go at the end.
struct KeyState {
    held: HashSet<String>,
    active: Arc<AtomicBool>,
    /// Characters typed before, whose mapping programs have seen.
    mapped: HashSet<char>,
    #[cfg(target_os = "linux")]
    layout: Option<layout::Layout>,
    /// The mapping read for the event being applied.
    #[cfg(target_os = "linux")]
    keymap: Option<layout::Keymap>,
}

/// What a key event becomes here.
#[derive(Debug, Clone, PartialEq)]
pub enum KeyAction {
    /// Press or release a named key (modifiers, Enter, arrows, F-keys, …).
    Named(Key),
    /// Type this character once (on press only; the browser repeats keydowns).
    Character(char),
    /// Not applied: a dead key, AltGr itself, or nothing known.
    Ignore,
}

/// Named keys by the browser's `KeyboardEvent.code`.
fn named(code: &str) -> Option<Key> {
    Some(match code {
        "Enter" | "NumpadEnter" => Key::Return,
        "Backspace" => Key::Backspace,
        "Tab" => Key::Tab,
        "Escape" => Key::Escape,
        "Space" => Key::Space,
        "Delete" => Key::Delete,
        "Insert" => Key::Insert,
        "Home" => Key::Home,
        "End" => Key::End,
        "PageUp" => Key::PageUp,
        "PageDown" => Key::PageDown,
        "ArrowUp" => Key::UpArrow,
        "ArrowDown" => Key::DownArrow,
        "ArrowLeft" => Key::LeftArrow,
        "ArrowRight" => Key::RightArrow,
        "ShiftLeft" => Key::LShift,
        "ShiftRight" => Key::RShift,
        "ControlLeft" => Key::LControl,
        "ControlRight" => Key::RControl,
        "AltLeft" => Key::Alt,
        "MetaLeft" | "MetaRight" | "OSLeft" | "OSRight" => Key::Meta,
        "F1" => Key::F1,
        "F2" => Key::F2,
        "F3" => Key::F3,
        "F4" => Key::F4,
        "F5" => Key::F5,
        "F6" => Key::F6,
        "F7" => Key::F7,
        "F8" => Key::F8,
        "F9" => Key::F9,
        "F10" => Key::F10,
        "F11" => Key::F11,
        "F12" => Key::F12,
        _ => return None,
    })
}

/// The character a physical key types on a US layout (`KeyA` → `a`, `Digit1` → `1`).
fn us_character(code: &str) -> Option<char> {
    let single = |rest: &str| {
        let mut chars = rest.chars();
        match (chars.next(), chars.next()) {
            (Some(c), None) => Some(c),
            _ => None,
        }
    };
    if let Some(letter) = code.strip_prefix("Key").and_then(single) {
        return letter
            .is_ascii_uppercase()
            .then(|| letter.to_ascii_lowercase());
    }
    if let Some(digit) = code.strip_prefix("Digit").and_then(single) {
        return digit.is_ascii_digit().then_some(digit);
    }
    Some(match code {
        "Minus" => '-',
        "Equal" => '=',
        "BracketLeft" => '[',
        "BracketRight" => ']',
        "Backslash" => '\\',
        "Semicolon" => ';',
        "Quote" => '\'',
        "Backquote" => '`',
        "Comma" => ',',
        "Period" => '.',
        "Slash" => '/',
        _ => return None,
    })
}

/// What the key with `code` that typed `key` does here, with `shortcut` true while
/// Control, Alt or Super is held.
pub fn key_action(code: &str, key: &str, shortcut: bool) -> KeyAction {
    if let Some(named) = named(code) {
        return KeyAction::Named(named);
    }
    if shortcut {
        // The letter or digit the technician's layout puts on the key (Ctrl+Z is Z on a
        // German keyboard too), else the key's place on a US keyboard.
        let mut chars = key.chars();
        if let (Some(c), None) = (chars.next(), chars.next()) {
            if c.is_ascii_alphanumeric() {
                return KeyAction::Character(c.to_ascii_lowercase());
            }
        }
        if let Some(c) = us_character(code) {
            return KeyAction::Character(c);
        }
    }
    let mut chars = key.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) if !c.is_control() => KeyAction::Character(c),
        _ => KeyAction::Ignore,
    }
}

fn is_shortcut_modifier(code: &str) -> bool {
    matches!(
        code,
        "ControlLeft"
            | "ControlRight"
            | "AltLeft"
            | "MetaLeft"
            | "MetaRight"
            | "OSLeft"
            | "OSRight"
    )
}

/// A normalised position on `display`, in the desktop's pixels.
pub fn position(display: &DisplayInfo, x: f64, y: f64) -> (i32, i32) {
    let along = |start: i32, size: u32, at: f64| {
        let last = f64::from(size.saturating_sub(1));
        start + (at.clamp(0.0, 1.0) * last).round() as i32
    };
    (
        along(display.x, display.width, x),
        along(display.y, display.height, y),
    )
}

impl KeyState {
    fn apply(
        &mut self,
        enigo: &mut Enigo,
        event: &InputEvent,
        display: &DisplayInfo,
    ) -> enigo::InputResult<()> {
        match event {
            InputEvent::PointerMove { x, y, .. } => {
                let (x, y) = position(display, *x, *y);
                enigo.move_mouse(x, y, Coordinate::Abs)
            }
            InputEvent::PointerButton {
                x,
                y,
                button,
                pressed,
                ..
            } => {
                let (x, y) = position(display, *x, *y);
                enigo.move_mouse(x, y, Coordinate::Abs)?;
                let button = match button {
                    PointerButton::Left => Button::Left,
                    PointerButton::Middle => Button::Middle,
                    PointerButton::Right => Button::Right,
                };
                enigo.button(button, direction(*pressed))
            }
            InputEvent::Wheel { dx, dy } => {
                if *dy != 0 {
                    enigo.scroll(*dy, Axis::Vertical)?;
                }
                if *dx != 0 {
                    enigo.scroll(*dx, Axis::Horizontal)?;
                }
                Ok(())
            }
            InputEvent::Key { code, key, pressed } => {
                let shortcut = self.held.iter().any(|held| is_shortcut_modifier(held));
                if *pressed {
                    self.held.insert(code.clone());
                } else {
                    self.held.remove(code);
                }
                match key_action(code, key, shortcut) {
                    KeyAction::Named(named) => enigo.key(named, direction(*pressed)),
                    KeyAction::Character(c) if *pressed => {
                        self.read_keymap();
                        self.type_character(enigo, c)
                    }
                    KeyAction::Character(_) | KeyAction::Ignore => Ok(()),
                }
            }
            InputEvent::Text { text } => {
                self.read_keymap();
                for c in text.chars() {
                    if !self.active.load(Ordering::Relaxed) {
                        break;
                    }
                    self.type_character(enigo, c)?;
                }
                Ok(())
            }
            InputEvent::Special { keys } => match keys {
                SpecialKeys::CtrlAltDel => {
                    enigo.key(Key::Control, Direction::Press)?;
                    enigo.key(Key::Alt, Direction::Press)?;
                    enigo.key(Key::Delete, Direction::Click)?;
                    enigo.key(Key::Alt, Direction::Release)?;
                    enigo.key(Key::Control, Direction::Release)
                }
                SpecialKeys::Super => enigo.key(Key::Meta, Direction::Click),
                SpecialKeys::AltTab => {
                    enigo.key(Key::Alt, Direction::Press)?;
                    enigo.key(Key::Tab, Direction::Click)?;
                    enigo.key(Key::Alt, Direction::Release)
                }
            },
            // The clipboard is the sending loop's (crate::clipboard), not a key's.
            InputEvent::Clipboard { .. } => Ok(()),
        }
    }
}

/// How long programs get to read a keyboard mapping change before its first key.
const REMAP_PAUSE: std::time::Duration = std::time::Duration::from_millis(30);

/// Characters on the first level of some key need no mapping; others may.
fn may_need_mapping(c: char) -> bool {
    !(c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, ' ' | '\n' | '\t'))
}

impl KeyState {
    /// Reads the keyboard mapping for the event being applied (X11 only).
    fn read_keymap(&mut self) {
        #[cfg(target_os = "linux")]
        {
            self.keymap = self.layout.as_ref().and_then(layout::Layout::keymap);
        }
    }

    /// Types one character. enigo types a character that no key has on its first level
    /// through a spare keycode it maps for it (and remaps spares once they run out). A
    /// program reads the first key of a changed mapping with its old keymap if the key
    /// comes at once (measured: `@` arrived as NoSymbol), so the first time a character
    /// is typed its mapping is made with a lone key release, and the key follows after a
    /// pause; later ones follow a short pause, so a remapped spare is read before it can
    /// change again.
    fn type_character(&mut self, enigo: &mut Enigo, c: char) -> enigo::InputResult<()> {
        let key = match c {
            '\n' => Key::Return,
            '\t' => Key::Tab,
            c => Key::Unicode(c),
        };
        #[cfg(target_os = "linux")]
        if let Some((keycode, shift)) = self.keymap.as_ref().and_then(|k| k.key_for(c)) {
            // On the layout already: its key, with Shift for the second level.
            if shift {
                enigo.key(Key::Shift, Direction::Press)?;
            }
            let typed = enigo.raw(keycode, Direction::Click);
            if shift {
                enigo.key(Key::Shift, Direction::Release)?;
            }
            return typed;
        }
        if may_need_mapping(c) && self.mapped.insert(c) {
            enigo.key(key, Direction::Release)?;
            std::thread::sleep(REMAP_PAUSE);
        }
        enigo.key(key, Direction::Click)?;
        if may_need_mapping(c) {
            std::thread::sleep(REMAP_PAUSE / 3);
        }
        Ok(())
    }
}

fn direction(pressed: bool) -> Direction {
    if pressed {
        Direction::Press
    } else {
        Direction::Release
    }
}

/// The X keyboard layout as it is now: which key types a character, on which level.
#[cfg(target_os = "linux")]
mod layout {
    use x11rb::connection::Connection;
    use x11rb::protocol::xproto::ConnectionExt;
    use x11rb::rust_connection::RustConnection;

    pub struct Layout {
        connection: RustConnection,
    }

    impl Layout {
        pub fn open() -> Option<Self> {
            let (connection, _) = x11rb::connect(None).ok()?;
            Some(Self { connection })
        }

        /// The keyboard mapping as it is now: read once per input event, since the
        /// person may switch layouts, and not once per character of a typed text.
        pub fn keymap(&self) -> Option<Keymap> {
            let setup = self.connection.setup();
            let (min, max) = (setup.min_keycode, setup.max_keycode);
            let map = self
                .connection
                .get_keyboard_mapping(min, max - min + 1)
                .ok()?
                .reply()
                .ok()?;
            Some(Keymap {
                min,
                per_key: usize::from(map.keysyms_per_keycode).max(1),
                keysyms: map.keysyms,
            })
        }
    }

    /// A snapshot of the keyboard mapping.
    pub struct Keymap {
        min: u8,
        per_key: usize,
        keysyms: Vec<u32>,
    }

    impl Keymap {
        /// The keycode that types `c` and whether it takes Shift (its second level).
        pub fn key_for(&self, c: char) -> Option<(u16, bool)> {
            let (min, per_key) = (self.min, self.per_key);
            let wanted = xkeysym::Keysym::from_char(c).raw();
            self.keysyms
                .chunks(per_key)
                .enumerate()
                .find_map(|(index, levels)| {
                    let level = levels.iter().take(2).position(|&sym| sym == wanted)?;
                    let keycode = u16::from(min) + u16::try_from(index).ok()?;
                    Some((keycode, level == 1))
                })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn characters_come_from_the_technicians_layout_and_shortcuts_from_the_key() {
        // A German technician: AltGr+Q types @, the ß key sits where US has '-'.
        assert_eq!(key_action("KeyQ", "@", false), KeyAction::Character('@'));
        assert_eq!(key_action("Minus", "ß", false), KeyAction::Character('ß'));
        assert_eq!(key_action("KeyE", "€", false), KeyAction::Character('€'));
        assert_eq!(key_action("Quote", "ä", false), KeyAction::Character('ä'));
        // Ctrl+Z on a German keyboard is the key US calls Y: the shortcut is Ctrl+Z.
        assert_eq!(key_action("KeyY", "z", false), KeyAction::Character('z'));
        assert_eq!(key_action("KeyY", "z", true), KeyAction::Character('z'));
        assert_eq!(key_action("KeyC", "C", true), KeyAction::Character('c'));
        // Ctrl+Shift+1 reports "!": the shortcut goes by the key's place.
        assert_eq!(key_action("Digit1", "!", true), KeyAction::Character('1'));
        assert_eq!(
            key_action("Enter", "Enter", false),
            KeyAction::Named(Key::Return)
        );
        assert_eq!(key_action("AltRight", "AltGraph", false), KeyAction::Ignore);
        assert_eq!(key_action("Backquote", "Dead", false), KeyAction::Ignore);
        assert_eq!(key_action("Unidentified", "", false), KeyAction::Ignore);
    }

    #[test]
    fn positions_are_normalised_to_the_display() {
        let display = DisplayInfo {
            id: "1".into(),
            name: "right".into(),
            x: 1920,
            y: 0,
            width: 1280,
            height: 800,
            primary: false,
        };
        assert_eq!(position(&display, 0.0, 0.0), (1920, 0));
        assert_eq!(position(&display, 1.0, 1.0), (1920 + 1279, 799));
        assert_eq!(position(&display, 0.5, 0.5), (1920 + 640, 400));
    }
}
