//! Email addresses and mobile numbers, parsed once where a request brings them, so
//! everything after holds a value that is known to be one (and says which).

use crate::error::{AppError, AppResult};

/// An email address, as `lettre` accepts it for sending; surrounding spaces dropped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress(lettre::Address);

impl EmailAddress {
    pub fn parse(input: &str) -> AppResult<Self> {
        input
            .trim()
            .parse()
            .map(Self)
            .map_err(|_| AppError::invalid(format!("{input:?} is not an email address")))
    }

    pub fn as_str(&self) -> &str {
        self.0.as_ref()
    }

    /// The mailbox to send to, without a display name.
    pub fn mailbox(&self) -> lettre::message::Mailbox {
        lettre::message::Mailbox::new(None, self.0.clone())
    }
}

/// A mobile number in E.164 form: `+`, a country code not starting with 0, at most 15
/// digits in all. Spaces, dashes, dots, slashes and parentheses people type are
/// dropped; a leading `00` becomes `+`. A number without its country code is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn parse(input: &str) -> AppResult<Self> {
        let compact: String = input
            .chars()
            .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}'))
            .collect();
        let digits = compact
            .strip_prefix('+')
            .or_else(|| compact.strip_prefix("00"));
        match digits {
            Some(digits)
                if (7..=15).contains(&digits.len())
                    && digits.bytes().all(|b| b.is_ascii_digit())
                    && !digits.starts_with('0') =>
            {
                Ok(Self(format!("+{digits}")))
            }
            _ => Err(AppError::invalid(format!(
                "{input:?} is not a mobile number in international form, like +49 151 12345678"
            ))),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn number(input: &str) -> Option<String> {
        PhoneNumber::parse(input)
            .ok()
            .map(|n| n.as_str().to_owned())
    }

    #[test]
    fn e164_accepts_typed_forms_and_refuses_local_numbers() {
        assert_eq!(
            number("+49 151 1234-5678").as_deref(),
            Some("+4915112345678")
        );
        assert_eq!(
            number("0049 (151) 12345678").as_deref(),
            Some("+4915112345678")
        );
        assert_eq!(number("0151 12345678"), None, "no country code");
        assert_eq!(number("+0151234567"), None, "no country code starts with 0");
        assert_eq!(number("+1234"), None, "too short");
        assert_eq!(number("+1234567890123456"), None, "too long");
        assert_eq!(number("+49 151 1234x678"), None, "a letter");
    }

    #[test]
    fn an_email_address_is_trimmed_once_and_a_non_address_is_refused() {
        let address = EmailAddress::parse("  erika@example.test \n").expect("an address");
        assert_eq!(address.as_str(), "erika@example.test");
        assert_eq!(address.mailbox().to_string(), "erika@example.test");
        for bad in [
            "",
            "erika",
            "erika@",
            "@example.test",
            "erika@exa mple.test",
        ] {
            assert!(EmailAddress::parse(bad).is_err(), "{bad:?}");
        }
    }
}
