//! Text from outside made safe to show and to file: labels (names, host names) without
//! control or direction characters, and one kind of line ending, so nothing a client
//! sends can forge a line of a transcript or reorder what a reader sees.

/// Characters that would let a label lie about itself on screen (bidi controls).
pub fn is_deceptive(c: char) -> bool {
    matches!(
        c,
        '\u{061c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}'
    )
}

/// Characters some editors and viewers start a new line at.
fn is_line_break(c: char) -> bool {
    matches!(
        c,
        '\n' | '\r' | '\u{000b}' | '\u{000c}' | '\u{0085}' | '\u{2028}' | '\u{2029}'
    )
}

/// A person's or a computer's name: no control, line-break or bidi characters, trimmed.
pub fn clean_label(raw: &str) -> String {
    let kept: String = raw
        .chars()
        .filter(|&c| !c.is_control() && !is_deceptive(c) && !is_line_break(c))
        .collect();
    kept.trim().to_owned()
}

/// Every line ending (`\r\n`, a lone `\r`, U+0085, U+2028, U+2029, vertical tab, form
/// feed) becomes `\n`.
pub fn normalize_line_endings(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\r' && chars.peek() == Some(&'\n') {
            continue;
        }
        out.push(if is_line_break(c) { '\n' } else { c });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_line_ending_becomes_one_newline() {
        assert_eq!(
            normalize_line_endings("a\r\nb\rc\u{2028}d\u{2029}e\u{85}f\u{b}g\u{c}h\ni"),
            "a\nb\nc\nd\ne\nf\ng\nh\ni"
        );
    }

    #[test]
    fn labels_lose_direction_and_control_characters() {
        assert_eq!(
            clean_label(" Eri\u{202e}ka\u{2066} \r\nX\u{2028} "),
            "Erika X"
        );
        assert_eq!(clean_label("\u{200f}\u{061c}"), "");
    }
}
