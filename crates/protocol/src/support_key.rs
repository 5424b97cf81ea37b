use serde::{Deserialize, Serialize};

/// A support key: nine decimal digits that let one end user join one session.
///
/// Parsing accepts what people type (spaces, dashes) and keeps only the digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct SupportKey(String);

/// Number of digits in a support key.
pub const SUPPORT_KEY_DIGITS: usize = 9;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a support key has {SUPPORT_KEY_DIGITS} digits, like 482 913 605")]
pub struct InvalidSupportKey;

impl SupportKey {
    pub fn parse(input: &str) -> Result<Self, InvalidSupportKey> {
        let mut digits = String::with_capacity(SUPPORT_KEY_DIGITS);
        for c in input.chars() {
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '\u{a0}' => {}
                _ => return Err(InvalidSupportKey),
            }
        }
        if digits.len() == SUPPORT_KEY_DIGITS {
            Ok(Self(digits))
        } else {
            Err(InvalidSupportKey)
        }
    }

    /// The digits only, as stored and as used in links.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Grouped 3-3-3 for reading aloud: `482 913 605`.
    pub fn grouped(&self) -> String {
        let d = &self.0;
        format!("{} {} {}", &d[0..3], &d[3..6], &d[6..9])
    }
}

impl TryFrom<String> for SupportKey {
    type Error = InvalidSupportKey;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<SupportKey> for String {
    fn from(key: SupportKey) -> Self {
        key.0
    }
}

impl std::fmt::Display for SupportKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.grouped())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_keys_with_spaces_and_dashes_parse_to_digits() {
        let key = SupportKey::parse(" 482 913-605 ").expect("separators are allowed");
        assert_eq!(key.as_str(), "482913605");
        assert_eq!(key.grouped(), "482 913 605");
    }

    #[test]
    fn keys_with_letters_or_wrong_length_are_refused() {
        assert!(
            SupportKey::parse("48291360").is_err(),
            "8 digits is too short"
        );
        assert!(
            SupportKey::parse("4829136050").is_err(),
            "10 digits is too long"
        );
        assert!(
            SupportKey::parse("48291360x").is_err(),
            "letters are not digits"
        );
    }
}
