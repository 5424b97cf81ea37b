//! Passwords, tokens and codes on the wire: sent as the plain string, kept in a
//! `secrecy` box that zeroes it when dropped, and never shown by `Debug`, so no log
//! line or panic message can carry one.

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Clone)]
pub struct Secret(SecretString);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(SecretString::from(value.into()))
    }

    /// The value itself, for the one place that needs it (hashing, a header).
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<redacted>")
    }
}

impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.expose() == other.expose()
    }
}

impl Eq for Secret {}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Self::new(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Self::new(value)
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.expose())
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Self::new)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_value_and_the_wire_carries_it_plainly() {
        let request = crate::LoginRequest {
            email: "tech@acme.test".into(),
            password: Secret::new("correct horse battery"),
            second_factor: None,
        };
        let shown = format!("{request:?}");
        assert!(!shown.contains("horse"), "{shown}");
        assert!(shown.contains("tech@acme.test"), "{shown}");
        let json = serde_json::to_string(&request).expect("json");
        assert!(
            json.contains("\"password\":\"correct horse battery\""),
            "{json}"
        );
        let back: crate::LoginRequest = serde_json::from_str(&json).expect("parsed");
        assert_eq!(back.password.expose(), "correct horse battery");
    }
}
