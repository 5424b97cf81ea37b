//! The OS keychain: where "Remember me" keeps the refresh token (one entry per service
//! URL and technician account) and where the technician's app keeps each ad-hoc
//! session's security code and verifier until its agent enrolls. Nothing else in the
//! client writes a secret anywhere.

use std::sync::Arc;

use secrecy::SecretString;

/// Why the keychain could not be used. The app says so and goes on without it.
#[derive(Debug, thiserror::Error)]
pub enum KeychainError {
    #[error("the OS keychain is not available: {0}")]
    Unavailable(String),
    #[error("the OS keychain refused: {0}")]
    Failed(String),
}

/// One keychain entry: the refresh token of `account` at `server`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RefreshTokenEntry {
    pub server: String,
    pub account: String,
}

impl RefreshTokenEntry {
    pub fn new(server: &str, account: &str) -> Self {
        Self {
            // One spelling per server, so `https://x/` and `https://x` share an entry.
            server: server.trim().trim_end_matches('/').to_owned(),
            account: account.trim().to_lowercase(),
        }
    }

    /// The keychain account name, e.g. `tina@example.com@https://support.example.com`;
    /// `secret-tool lookup service Lifeline username <this>` reads it back.
    pub fn key(&self) -> String {
        format!("{}@{}", self.account, self.server)
    }
}

/// A store of secrets by entry. Implemented by the OS keychain and by an in-memory fake.
pub trait SecretStore: Send + Sync {
    fn get(&self, entry: &RefreshTokenEntry) -> Result<Option<SecretString>, KeychainError>;
    fn set(&self, entry: &RefreshTokenEntry, secret: &SecretString) -> Result<(), KeychainError>;
    /// Deleting an entry that is not there is not an error.
    fn delete(&self, entry: &RefreshTokenEntry) -> Result<(), KeychainError>;
}

/// The keychain the app uses: cheap to clone, backed by one [`SecretStore`].
#[derive(Clone)]
pub struct Keychain {
    store: Arc<dyn SecretStore>,
}

impl Keychain {
    pub fn new(store: impl SecretStore + 'static) -> Self {
        Self {
            store: Arc::new(store),
        }
    }

    /// The OS keychain (Secret Service behind the kernel keyring on Linux).
    #[cfg(feature = "keychain")]
    pub fn os() -> Self {
        Self::new(os::OsKeychain)
    }

    pub fn refresh_token(
        &self,
        entry: &RefreshTokenEntry,
    ) -> Result<Option<SecretString>, KeychainError> {
        self.store.get(entry)
    }

    pub fn save_refresh_token(
        &self,
        entry: &RefreshTokenEntry,
        token: &str,
    ) -> Result<(), KeychainError> {
        self.store.set(entry, &SecretString::from(token.to_owned()))
    }

    pub fn forget(&self, entry: &RefreshTokenEntry) -> Result<(), KeychainError> {
        self.store.delete(entry)
    }

    /// The security code and verifier kept for an ad-hoc session prepared at `server`.
    pub fn enrollment(
        &self,
        server: &str,
        adhoc_session_id: uuid::Uuid,
    ) -> Result<Option<crate::EnrollmentSecret>, KeychainError> {
        use secrecy::ExposeSecret;
        let Some(json) = self
            .store
            .get(&enrollment_entry(server, adhoc_session_id))?
        else {
            return Ok(None);
        };
        serde_json::from_str(json.expose_secret())
            .map(Some)
            .map_err(|e| KeychainError::Failed(format!("a kept enrollment is unreadable: {e}")))
    }

    pub fn save_enrollment(
        &self,
        server: &str,
        adhoc_session_id: uuid::Uuid,
        secret: &crate::EnrollmentSecret,
    ) -> Result<(), KeychainError> {
        let json = serde_json::to_string(secret)
            .map_err(|e| KeychainError::Failed(format!("writing an enrollment: {e}")))?;
        self.store.set(
            &enrollment_entry(server, adhoc_session_id),
            &SecretString::from(json),
        )
    }

    pub fn forget_enrollment(
        &self,
        server: &str,
        adhoc_session_id: uuid::Uuid,
    ) -> Result<(), KeychainError> {
        self.store
            .delete(&enrollment_entry(server, adhoc_session_id))
    }
}

/// The entry of an ad-hoc session's enrollment secret: the service URL and the session.
fn enrollment_entry(server: &str, adhoc_session_id: uuid::Uuid) -> RefreshTokenEntry {
    RefreshTokenEntry::new(server, &format!("adhoc-enrollment-{adhoc_session_id}"))
}

#[cfg(feature = "keychain")]
mod os {
    use super::*;
    use secrecy::ExposeSecret;

    /// The keychain's service name; the account names the server and the technician.
    const SERVICE: &str = "Lifeline";

    /// The `keyring` crate with its persistent native store (see Cargo features): without
    /// those features it would silently fall back to memory.
    pub(super) struct OsKeychain;

    fn entry(e: &RefreshTokenEntry) -> Result<keyring::Entry, KeychainError> {
        keyring::Entry::new(SERVICE, &e.key()).map_err(map_error)
    }

    fn map_error(err: keyring::Error) -> KeychainError {
        match err {
            keyring::Error::NoStorageAccess(e) | keyring::Error::PlatformFailure(e) => {
                KeychainError::Unavailable(e.to_string())
            }
            other => KeychainError::Failed(other.to_string()),
        }
    }

    impl SecretStore for OsKeychain {
        fn get(&self, e: &RefreshTokenEntry) -> Result<Option<SecretString>, KeychainError> {
            match entry(e)?.get_password() {
                Ok(secret) => Ok(Some(SecretString::from(secret))),
                Err(keyring::Error::NoEntry) => Ok(None),
                Err(err) => Err(map_error(err)),
            }
        }

        fn set(&self, e: &RefreshTokenEntry, secret: &SecretString) -> Result<(), KeychainError> {
            entry(e)?
                .set_password(secret.expose_secret())
                .map_err(map_error)
        }

        fn delete(&self, e: &RefreshTokenEntry) -> Result<(), KeychainError> {
            match entry(e)?.delete_credential() {
                Ok(()) | Err(keyring::Error::NoEntry) => Ok(()),
                Err(err) => Err(map_error(err)),
            }
        }
    }
}

#[cfg(any(test, feature = "fakes"))]
pub use fake::MemoryKeychain;

#[cfg(any(test, feature = "fakes"))]
mod fake {
    use secrecy::ExposeSecret;
    use std::collections::HashMap;
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{Arc, Mutex, PoisonError};

    use super::*;

    /// An in-memory keychain for tests; `set_unavailable(true)` makes it fail like a
    /// desktop without a Secret Service.
    #[derive(Clone, Default)]
    pub struct MemoryKeychain {
        entries: Arc<Mutex<HashMap<RefreshTokenEntry, String>>>,
        unavailable: Arc<AtomicBool>,
    }

    impl MemoryKeychain {
        pub fn set_unavailable(&self, unavailable: bool) {
            self.unavailable.store(unavailable, Ordering::SeqCst);
        }

        pub fn len(&self) -> usize {
            self.entries
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .len()
        }

        pub fn is_empty(&self) -> bool {
            self.len() == 0
        }

        fn check(&self) -> Result<(), KeychainError> {
            if self.unavailable.load(Ordering::SeqCst) {
                Err(KeychainError::Unavailable(
                    "no Secret Service (fake)".into(),
                ))
            } else {
                Ok(())
            }
        }
    }

    impl SecretStore for MemoryKeychain {
        fn get(&self, e: &RefreshTokenEntry) -> Result<Option<SecretString>, KeychainError> {
            self.check()?;
            let map = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            Ok(map.get(e).map(|s| SecretString::from(s.clone())))
        }

        fn set(&self, e: &RefreshTokenEntry, secret: &SecretString) -> Result<(), KeychainError> {
            self.check()?;
            let mut map = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            map.insert(e.clone(), secret.expose_secret().to_owned());
            Ok(())
        }

        fn delete(&self, e: &RefreshTokenEntry) -> Result<(), KeychainError> {
            self.check()?;
            let mut map = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
            map.remove(e);
            Ok(())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[test]
    fn entries_for_the_same_server_and_account_match_however_they_are_typed() {
        let a = RefreshTokenEntry::new("https://x.example/ ", "Tina@Example.com");
        let b = RefreshTokenEntry::new("https://x.example", "tina@example.com");
        assert_eq!(a, b, "a trailing slash or capitals must not lose the token");
        assert_eq!(a.key(), "tina@example.com@https://x.example");
    }

    #[test]
    fn a_forgotten_token_is_gone_and_forgetting_twice_is_fine() {
        let fake = MemoryKeychain::default();
        let keychain = Keychain::new(fake.clone());
        let entry = RefreshTokenEntry::new("https://x.example", "tina@example.com");
        keychain
            .save_refresh_token(&entry, "secret")
            .expect("the fake stores");
        assert_eq!(
            keychain
                .refresh_token(&entry)
                .expect("readable")
                .map(|s| s.expose_secret().to_owned()),
            Some("secret".to_owned())
        );
        keychain.forget(&entry).expect("deletes");
        keychain
            .forget(&entry)
            .expect("deleting again is not an error");
        assert!(fake.is_empty(), "sign-out must leave no token behind");
    }
}
