//! The service's own secret, kept out of the database it protects: a 0600 key file
//! beside the data (`<data dir>/secret.key`) or `LIFELINE_SECRET_KEY`. A copy of the
//! database alone then cannot check a guessed security code or forge a download link.
//!
//! One key is derived per purpose (HKDF-SHA256), so a key can never be used for what it
//! was not made for. `lifeline-server secrets rotate` makes a new secret and keeps the
//! previous one for checking only, so what was signed just before still verifies; the
//! next rotation drops it.

use std::path::{Path, PathBuf};

use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use serde::{Deserialize, Serialize};
use sha2::Sha256;

/// The environment variable that holds the secret (64 hex digits) instead of the file.
pub const SECRET_ENV: &str = "LIFELINE_SECRET_KEY";
pub const FILE_NAME: &str = "secret.key";

/// What a derived key is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    /// Download links that work without a token for a few minutes.
    DownloadLink,
    /// Ad-hoc security codes, kept as keyed hashes.
    AdhocCode,
    /// Technicians' TOTP secrets, kept sealed (encrypted and authenticated).
    TotpSecret,
    /// Second-factor recovery codes, kept as keyed hashes.
    RecoveryCode,
}

impl Purpose {
    fn label(self) -> &'static [u8] {
        match self {
            Purpose::DownloadLink => b"lifeline download link v1",
            Purpose::AdhocCode => b"lifeline ad-hoc security code v1",
            Purpose::TotpSecret => b"lifeline totp secret v1",
            Purpose::RecoveryCode => b"lifeline recovery code v1",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    #[error("cannot read the secret key file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot write the secret key file {path}: {source}")]
    Write {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the secret key file {path} is not valid: {reason}")]
    Invalid { path: PathBuf, reason: String },
    #[error("{SECRET_ENV} must be 64 hexadecimal digits")]
    InvalidEnv,
    #[error("the secret key file {path} may be read by others (mode {mode:o}); make it 0600")]
    TooOpen { path: PathBuf, mode: u32 },
}

/// 32 secret bytes; never printed.
#[derive(Clone, PartialEq, Eq)]
struct Secret([u8; 32]);

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(<redacted>)")
    }
}

impl Secret {
    fn random() -> Self {
        let mut bytes = [0u8; 32];
        crate::auth::tokens::fill_random(&mut bytes);
        Self(bytes)
    }

    fn from_hex(text: &str) -> Option<Self> {
        let bytes = hex::decode(text.trim()).ok()?;
        Some(Self(bytes.try_into().ok()?))
    }

    fn derive(&self, purpose: Purpose) -> [u8; 32] {
        let mut key = [0u8; 32];
        Hkdf::<Sha256>::new(None, &self.0)
            .expand(purpose.label(), &mut key)
            .expect("32 bytes is a valid HKDF-SHA256 length");
        key
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    current: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    previous: Option<String>,
}

/// The current secret, and the one before it while it is still honoured.
#[derive(Debug, Clone)]
pub struct ServerKeys {
    current: Secret,
    previous: Option<Secret>,
}

impl ServerKeys {
    /// From `LIFELINE_SECRET_KEY` if set, else from the key file in `data_dir`, made
    /// with a fresh secret on first start (or with `legacy`, a secret an older version
    /// kept in the database, as the previous one so what it signed still verifies).
    pub fn load_or_create(data_dir: &Path, legacy: Option<&str>) -> Result<Self, SecretsError> {
        if let Some(value) = std::env::var_os(SECRET_ENV) {
            let current = value
                .to_str()
                .and_then(Secret::from_hex)
                .ok_or(SecretsError::InvalidEnv)?;
            return Ok(Self {
                current,
                previous: None,
            });
        }
        let path = key_file(data_dir);
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                check_private(&path)?;
                parse(&path, &text)
            }
            Err(err) if err.kind() == std::io::ErrorKind::NotFound => {
                let keys = Self {
                    current: Secret::random(),
                    previous: legacy.and_then(Secret::from_hex),
                };
                write(&path, &keys)?;
                Ok(keys)
            }
            Err(source) => Err(SecretsError::Read { path, source }),
        }
    }

    /// HMAC-SHA256 of `message` under the current key for `purpose`.
    pub fn sign(&self, purpose: Purpose, message: &[u8]) -> [u8; 32] {
        mac(&self.current, purpose, message)
    }

    /// Whether `tag` is `message`'s HMAC under the current or the previous key, compared
    /// in constant time.
    pub fn verify(&self, purpose: Purpose, message: &[u8], tag: &[u8]) -> bool {
        self.secrets().any(|secret| {
            let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&secret.derive(purpose))
                .expect("HMAC takes any key length");
            mac.update(message);
            mac.verify_slice(tag).is_ok()
        })
    }

    /// The keyed hashes `value` may be stored under (current key first), hex: for short
    /// secrets such as security codes, whose plain hash anyone could reverse.
    pub fn keyed_hashes(&self, purpose: Purpose, value: &str) -> Vec<KeyedHash> {
        self.secrets()
            .map(|secret| KeyedHash(hex::encode(mac(secret, purpose, value.as_bytes()))))
            .collect()
    }

    /// Encrypts and authenticates `plain` under the current key for `purpose`
    /// (XChaCha20-Poly1305, random nonce first).
    pub fn seal(&self, purpose: Purpose, plain: &[u8]) -> Vec<u8> {
        use chacha20poly1305::aead::{Aead, AeadCore, KeyInit};
        use chacha20poly1305::XChaCha20Poly1305;
        let cipher = XChaCha20Poly1305::new(&self.current.derive(purpose).into());
        let nonce = XChaCha20Poly1305::generate_nonce(&mut chacha20poly1305::aead::OsRng);
        let mut sealed = nonce.to_vec();
        sealed.extend(
            cipher
                .encrypt(&nonce, plain)
                .expect("XChaCha20-Poly1305 encrypts any length"),
        );
        sealed
    }

    /// What [`ServerKeys::seal`] sealed, under the current or the previous key; `None`
    /// for anything else.
    pub fn open(&self, purpose: Purpose, sealed: &[u8]) -> Option<Vec<u8>> {
        use chacha20poly1305::aead::{Aead, KeyInit};
        use chacha20poly1305::{XChaCha20Poly1305, XNonce};
        const NONCE: usize = 24;
        if sealed.len() < NONCE {
            return None;
        }
        let (nonce, body) = sealed.split_at(NONCE);
        self.secrets().find_map(|secret| {
            XChaCha20Poly1305::new(&secret.derive(purpose).into())
                .decrypt(XNonce::from_slice(nonce), body)
                .ok()
        })
    }

    fn secrets(&self) -> impl Iterator<Item = &Secret> {
        std::iter::once(&self.current).chain(self.previous.as_ref())
    }
}

fn mac(secret: &Secret, purpose: Purpose, message: &[u8]) -> [u8; 32] {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&secret.derive(purpose))
        .expect("HMAC takes any key length");
    mac.update(message);
    mac.finalize().into_bytes().into()
}

/// What the database keeps of a short secret people type (a recovery code): an HMAC
/// under one of the server's keys, in hex. Made only by [`ServerKeys::keyed_hashes`],
/// so the secret itself can't be stored or looked up in its place.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::Type)]
#[sqlx(transparent)]
pub struct KeyedHash(String);

pub fn key_file(data_dir: &Path) -> PathBuf {
    data_dir.join(FILE_NAME)
}

fn parse(path: &Path, text: &str) -> Result<ServerKeys, SecretsError> {
    let invalid = |reason: String| SecretsError::Invalid {
        path: path.to_owned(),
        reason,
    };
    let file: KeyFile = toml::from_str(text).map_err(|e| invalid(e.to_string()))?;
    let current = Secret::from_hex(&file.current)
        .ok_or_else(|| invalid("current must be 64 hexadecimal digits".into()))?;
    let previous = match file.previous {
        Some(previous) => Some(
            Secret::from_hex(&previous)
                .ok_or_else(|| invalid("previous must be 64 hexadecimal digits".into()))?,
        ),
        None => None,
    };
    Ok(ServerKeys { current, previous })
}

fn write(path: &Path, keys: &ServerKeys) -> Result<(), SecretsError> {
    let file = KeyFile {
        current: hex::encode(keys.current.0),
        previous: keys.previous.as_ref().map(|secret| hex::encode(secret.0)),
    };
    let body = toml::to_string(&file).map_err(|e| SecretsError::Invalid {
        path: path.to_owned(),
        reason: e.to_string(),
    })?;
    let text = format!(
        "# Lifeline's server secret: download links and security codes are checked with it.\n\
         # Keep it private, apart from backups of the database. Rotate it with\n\
         # `lifeline-server secrets rotate`.\n{body}"
    );
    let error = |source| SecretsError::Write {
        path: path.to_owned(),
        source,
    };
    // Written beside and renamed over, so a crash never leaves half a key.
    let temporary = path.with_extension("key.new");
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut out = options.open(&temporary).map_err(error)?;
    std::io::Write::write_all(&mut out, text.as_bytes()).map_err(error)?;
    out.sync_all().map_err(error)?;
    std::fs::rename(&temporary, path).map_err(error)
}

fn check_private(path: &Path) -> Result<(), SecretsError> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)
            .map_err(|source| SecretsError::Read {
                path: path.to_owned(),
                source,
            })?
            .permissions()
            .mode();
        if mode & 0o077 != 0 {
            return Err(SecretsError::TooOpen {
                path: path.to_owned(),
                mode: mode & 0o777,
            });
        }
    }
    let _ = path;
    Ok(())
}

/// Makes a new current secret and keeps the old one as the previous (dropping the one
/// before). Links signed and codes issued before still verify until the next rotation.
pub fn rotate(data_dir: &Path) -> Result<(), SecretsError> {
    let path = key_file(data_dir);
    let text = std::fs::read_to_string(&path).map_err(|source| SecretsError::Read {
        path: path.clone(),
        source,
    })?;
    let old = parse(&path, &text)?;
    let keys = ServerKeys {
        current: Secret::random(),
        previous: Some(old.current),
    };
    write(&path, &keys)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_purpose_has_its_own_key_and_a_rotation_keeps_the_last_one_for_checking() {
        let dir = tempfile::tempdir().expect("dir");
        let keys = ServerKeys::load_or_create(dir.path(), None).expect("created");
        let tag = keys.sign(Purpose::DownloadLink, b"file:1");
        assert!(keys.verify(Purpose::DownloadLink, b"file:1", &tag));
        assert!(
            !keys.verify(Purpose::AdhocCode, b"file:1", &tag),
            "purposes differ"
        );
        assert!(!keys.verify(Purpose::DownloadLink, b"file:2", &tag));

        rotate(dir.path()).expect("rotated");
        let rotated = ServerKeys::load_or_create(dir.path(), None).expect("loaded");
        assert!(
            rotated.verify(Purpose::DownloadLink, b"file:1", &tag),
            "the last key still checks"
        );
        assert_ne!(
            rotated.sign(Purpose::DownloadLink, b"file:1"),
            tag,
            "new signatures use the new key"
        );
        rotate(dir.path()).expect("rotated again");
        let twice = ServerKeys::load_or_create(dir.path(), None).expect("loaded");
        assert!(
            !twice.verify(Purpose::DownloadLink, b"file:1", &tag),
            "two rotations on it is gone"
        );
    }

    #[cfg(unix)]
    #[test]
    fn the_key_file_is_private_and_an_open_one_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        ServerKeys::load_or_create(dir.path(), None).expect("created");
        let path = key_file(dir.path());
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        assert!(matches!(
            ServerKeys::load_or_create(dir.path(), None),
            Err(SecretsError::TooOpen { .. })
        ));
    }
}
