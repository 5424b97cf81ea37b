//! Text from outside made safe to show and to file: labels (names, host names) without
//! control or direction characters, one kind of line ending, and file names safe to save
//! under, so nothing a client sends can forge a line of a transcript, reorder what a
//! reader sees, or name a path outside its folder.

use crate::MAX_FILE_NAME_CHARS;

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

const WINDOWS_RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// A name safe to show and to save under: the last path component only, no control or
/// direction characters, no leading dots or spaces, no trailing dots or spaces (Windows
/// drops them, so the saved name would differ), no reserved device name, at most
/// [`MAX_FILE_NAME_CHARS`] characters. A name this returns comes back unchanged.
pub fn sanitize_file_name(raw: &str) -> String {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let kept: String = last
        .chars()
        .filter(|&c| {
            !c.is_control()
                && !is_deceptive(c)
                && !matches!(c, ':' | '*' | '?' | '"' | '<' | '>' | '|')
        })
        .collect();
    let limited: String = trim_name(&kept).chars().take(MAX_FILE_NAME_CHARS).collect();
    let mut name = trim_name(&limited).to_owned();
    let stem = name.split('.').next().unwrap_or_default();
    if WINDOWS_RESERVED.contains(&stem.trim_end().to_ascii_lowercase().as_str()) {
        name.insert(0, '_');
        if name.chars().count() > MAX_FILE_NAME_CHARS {
            name.pop();
            name = trim_name(&name).to_owned();
        }
    }
    if name.is_empty() {
        "file".to_owned()
    } else {
        name
    }
}

/// Without leading dots and spaces and trailing dots and spaces, however they alternate.
fn trim_name(name: &str) -> &str {
    let edge = |c: char| c == '.' || c.is_whitespace();
    name.trim_start_matches(edge).trim_end_matches(edge)
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

    #[test]
    fn names_end_clean_when_cut_and_read_back_unchanged() {
        let cut_at_a_dot = format!("{}. tail", "a".repeat(MAX_FILE_NAME_CHARS - 1));
        assert_eq!(
            sanitize_file_name(&cut_at_a_dot),
            "a".repeat(MAX_FILE_NAME_CHARS - 1)
        );
        let long_reserved = format!("con.{}", "x".repeat(MAX_FILE_NAME_CHARS));
        let name = sanitize_file_name(&long_reserved);
        assert!(name.starts_with("_con.") && name.chars().count() == MAX_FILE_NAME_CHARS);
        assert_eq!(sanitize_file_name(" . .x. . "), "x");
        assert_eq!(sanitize_file_name("CON .txt"), "_CON .txt");
        for raw in [cut_at_a_dot.as_str(), &long_reserved, " . .x. . ", "nul"] {
            let once = sanitize_file_name(raw);
            assert_eq!(sanitize_file_name(&once), once, "{raw:?}");
        }
    }

    #[test]
    fn hostile_names_are_neutralized() {
        assert_eq!(sanitize_file_name("../../etc/passwd"), "passwd");
        assert_eq!(sanitize_file_name("..\\..\\boot.ini"), "boot.ini");
        assert_eq!(sanitize_file_name(".bashrc"), "bashrc");
        assert_eq!(sanitize_file_name("evil\u{202e}fdp.exe"), "evilfdp.exe");
        assert_eq!(sanitize_file_name("a\nb\r\0c.txt"), "abc.txt");
        assert_eq!(sanitize_file_name("CON.txt"), "_CON.txt");
        assert_eq!(sanitize_file_name("..."), "file");
        assert_eq!(sanitize_file_name("report. "), "report");
        assert_eq!(
            sanitize_file_name(&"x".repeat(500)).chars().count(),
            MAX_FILE_NAME_CHARS
        );
    }
}
