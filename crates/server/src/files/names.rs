use lifeline_protocol::MAX_FILE_NAME_CHARS;
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};

use crate::text::is_deceptive;

const WINDOWS_RESERVED: &[&str] = &[
    "con", "prn", "aux", "nul", "com1", "com2", "com3", "com4", "com5", "com6", "com7", "com8",
    "com9", "lpt1", "lpt2", "lpt3", "lpt4", "lpt5", "lpt6", "lpt7", "lpt8", "lpt9",
];

/// A name safe to show and to save under: the last path component only, no control or
/// direction characters, no leading dots, no trailing dots or spaces, bounded length.
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
    let trimmed = kept
        .trim()
        .trim_start_matches('.')
        .trim_end_matches(['.', ' ']);
    let mut name: String = trimmed.chars().take(MAX_FILE_NAME_CHARS).collect();
    let stem = name
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    if WINDOWS_RESERVED.contains(&stem.as_str()) {
        name.insert(0, '_');
    }
    if name.is_empty() {
        "file".to_owned()
    } else {
        name
    }
}

/// RFC 5987 attr-chars stay; everything else is percent-encoded.
const ATTR_CHAR_ESCAPES: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `attachment` with an ASCII fallback and the exact UTF-8 name (RFC 6266).
pub fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-() ".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = utf8_percent_encode(name, ATTR_CHAR_ESCAPES);
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn content_disposition_quotes_nothing_dangerous() {
        let header = content_disposition("Bericht \"Q3\"; ä.pdf");
        assert!(
            header.starts_with("attachment; filename=\"Bericht _Q3__ _.pdf\""),
            "{header}"
        );
        assert!(
            header.contains("filename*=UTF-8''Bericht%20%22Q3%22%3B%20%C3%A4.pdf"),
            "{header}"
        );
    }
}
