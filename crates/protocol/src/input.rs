//! Remote control: the technician's pointer and keyboard, sent by a viewer on the media
//! socket, checked and relayed by the service, and applied by the agent that sends the
//! screen. Pointer positions are normalised to the streamed display (0.0–1.0 from its
//! top-left), so they do not depend on how the viewer scales the picture. Keys carry
//! both the physical key (`code`, as the browser's `KeyboardEvent.code` names it) and
//! the character it typed on the technician's layout (`key`), so the agent can type the
//! character on any layout, or press the physical key for shortcuts.

use serde::{Deserialize, Serialize};

/// Longest `text` one input event may type (a pasted clipboard, typed as keys).
pub const MAX_INPUT_TEXT_CHARS: usize = 4000;
/// Longest clipboard text either side may put on the other's clipboard.
pub const MAX_CLIPBOARD_CHARS: usize = 32 * 1024;
/// Longest `code` or `key` of a key event.
pub const MAX_KEY_LABEL_CHARS: usize = 32;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum PointerButton {
    Left,
    Middle,
    Right,
}

/// Combinations a desktop window would take for itself, sent from the viewer's bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(rename_all = "snake_case")]
pub enum SpecialKeys {
    /// Ctrl+Alt+Del, where the system lets a user-level program send it.
    CtrlAltDel,
    /// The Windows (Super) key alone.
    Super,
    AltTab,
}

/// One input event from the technician.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS), ts(export))]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum InputEvent {
    PointerMove {
        display_id: String,
        x: f64,
        y: f64,
    },
    PointerButton {
        display_id: String,
        x: f64,
        y: f64,
        button: PointerButton,
        pressed: bool,
    },
    /// Wheel notches; positive `dy` scrolls down, positive `dx` right.
    Wheel {
        dx: i32,
        dy: i32,
    },
    Key {
        code: String,
        key: String,
        pressed: bool,
    },
    /// Types `text` as keystrokes (for fields that refuse paste).
    Text {
        text: String,
    },
    Special {
        keys: SpecialKeys,
    },
    /// Puts `text` on the computer's clipboard (the technician's copy, for a paste there).
    Clipboard {
        text: String,
    },
}

/// Why an input event is refused before it is relayed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    #[error("pointer positions run from 0.0 to 1.0 across the display")]
    OutOfRange,
    #[error("a wheel event moves at most 100 notches")]
    Wheel,
    #[error("key names have at most {MAX_KEY_LABEL_CHARS} printable characters")]
    KeyLabel,
    #[error("typed text has at most {MAX_INPUT_TEXT_CHARS} characters")]
    TextTooLong,
    #[error("clipboard text has at most {MAX_CLIPBOARD_CHARS} characters")]
    ClipboardTooLong,
    #[error(
        "the display id has at most {} printable characters",
        crate::MAX_MEDIA_LABEL_CHARS
    )]
    DisplayId,
}

/// Clipboard text within its limit.
pub fn check_clipboard(text: &str) -> Result<(), InputError> {
    if text.chars().count() > MAX_CLIPBOARD_CHARS {
        Err(InputError::ClipboardTooLong)
    } else {
        Ok(())
    }
}

fn printable(label: &str, max: usize) -> bool {
    label.chars().count() <= max && !label.chars().any(char::is_control)
}

impl InputEvent {
    /// Checks the limits every event must keep, whatever the agent then makes of it.
    pub fn validate(&self) -> Result<(), InputError> {
        let on_display = |display_id: &str, x: f64, y: f64| {
            if !printable(display_id, crate::MAX_MEDIA_LABEL_CHARS) {
                return Err(InputError::DisplayId);
            }
            let inside = |v: f64| v.is_finite() && (0.0..=1.0).contains(&v);
            if inside(x) && inside(y) {
                Ok(())
            } else {
                Err(InputError::OutOfRange)
            }
        };
        match self {
            InputEvent::PointerMove { display_id, x, y }
            | InputEvent::PointerButton {
                display_id, x, y, ..
            } => on_display(display_id, *x, *y),
            InputEvent::Wheel { dx, dy } => {
                if dx.unsigned_abs() > 100 || dy.unsigned_abs() > 100 {
                    Err(InputError::Wheel)
                } else {
                    Ok(())
                }
            }
            InputEvent::Key { code, key, .. } => {
                if printable(code, MAX_KEY_LABEL_CHARS)
                    && key.chars().count() <= MAX_KEY_LABEL_CHARS
                    && !code.is_empty()
                {
                    Ok(())
                } else {
                    Err(InputError::KeyLabel)
                }
            }
            InputEvent::Text { text } => {
                if text.chars().count() > MAX_INPUT_TEXT_CHARS {
                    Err(InputError::TextTooLong)
                } else {
                    Ok(())
                }
            }
            InputEvent::Special { .. } => Ok(()),
            InputEvent::Clipboard { text } => check_clipboard(text),
        }
    }

    /// What the event costs against a viewer's input rate: one, plus one per 256
    /// characters of text, so a long paste weighs what typing it would.
    pub fn cost(&self) -> f64 {
        match self {
            InputEvent::Text { text } | InputEvent::Clipboard { text } => {
                1.0 + (text.chars().count() / 256) as f64
            }
            _ => 1.0,
        }
    }

    /// The display this event points at, if it points.
    pub fn display_id(&self) -> Option<&str> {
        match self {
            InputEvent::PointerMove { display_id, .. }
            | InputEvent::PointerButton { display_id, .. } => Some(display_id),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_outside_the_limits_are_refused() {
        let at = |x: f64, y: f64| InputEvent::PointerMove {
            display_id: "1".into(),
            x,
            y,
        };
        assert_eq!(at(0.5, 1.0).validate(), Ok(()));
        assert_eq!(at(-0.01, 0.5).validate(), Err(InputError::OutOfRange));
        assert_eq!(at(f64::NAN, 0.5).validate(), Err(InputError::OutOfRange));
        assert_eq!(
            InputEvent::Wheel { dx: 0, dy: 1000 }.validate(),
            Err(InputError::Wheel)
        );
        let key = |code: &str| InputEvent::Key {
            code: code.into(),
            key: "a".into(),
            pressed: true,
        };
        assert_eq!(key("KeyA").validate(), Ok(()));
        assert_eq!(key("").validate(), Err(InputError::KeyLabel));
        assert_eq!(key(&"K".repeat(33)).validate(), Err(InputError::KeyLabel));
        assert_eq!(
            InputEvent::Text {
                text: "x".repeat(MAX_INPUT_TEXT_CHARS + 1)
            }
            .validate(),
            Err(InputError::TextTooLong)
        );
    }

    #[test]
    fn events_read_as_tagged_json() {
        let event: InputEvent =
            serde_json::from_str(r#"{"type":"key","code":"KeyQ","key":"@","pressed":true}"#)
                .expect("a key event");
        assert_eq!(
            event,
            InputEvent::Key {
                code: "KeyQ".into(),
                key: "@".into(),
                pressed: true
            }
        );
    }
}
