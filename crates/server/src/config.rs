//! Settings, layered: command-line flags, then `LIFELINE_*` environment variables, then
//! an optional TOML file, then defaults. With nothing set, the service runs on an
//! embedded SQLite file in `./lifeline-data` on 127.0.0.1:8080.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use url::Url;

pub use crate::client_ip::TrustedProxy;

/// Everything the service needs, resolved.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// The base of links sent to end users, e.g. `https://support.example.com`.
    pub public_url: Url,
    pub data_dir: PathBuf,
    pub database_url: String,
    pub limits: Limits,
    pub sms: SmsConfig,
    pub smtp: Option<SmtpConfig>,
    /// Extra origins allowed to open WebSockets besides the public URL's own.
    pub allowed_origins: Vec<String>,
    /// Reverse proxies whose `Forwarded`/`X-Forwarded-For` headers are believed.
    pub trusted_proxies: Vec<TrustedProxy>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    pub max_upload_bytes: u64,
    /// All files of one session together, announced or complete.
    pub max_session_upload_bytes: u64,
    /// All files the service keeps together.
    pub max_total_upload_bytes: u64,
    /// An upload is refused when it would leave less than this free on the disk.
    pub min_free_disk_bytes: u64,
    /// Days after its session ended that a file is deleted (0 keeps files forever).
    pub file_retention_days: u32,
    pub max_json_bytes: usize,
    /// Sign-in requests from one address (an IPv6 /64) a minute.
    pub login_per_ip_per_minute: u32,
    /// Failed sign-ins a minute across the service after which addresses that have
    /// failed themselves wait for the next minute; clean addresses never do.
    pub login_failures_per_minute: u32,
    /// Support-key look-ups from one address a minute.
    pub key_lookups_per_ip_per_minute: u32,
    /// Unknown support keys a minute across the service after which addresses that
    /// guessed wrong themselves wait for the next minute.
    pub key_failures_per_minute: u32,
    pub sms_per_technician_per_hour: u32,
    pub emails_per_technician_per_hour: u32,
    pub access_token_minutes: u32,
    /// A refresh token unused this long expires; each use gives a new one.
    pub refresh_token_days: u32,
    /// A sign-in lasts at most this long however often it is refreshed; then the
    /// password (and second factor) is asked again.
    pub sign_in_days: u32,
    /// How long a prepared ad-hoc session waits for its agent to enroll.
    pub adhoc_prepare_hours: u32,
    pub adhoc_activations_per_ip_per_minute: u32,
    /// Connection attempts on one ad-hoc computer; each wrong password costs one.
    pub adhoc_connects_per_minute: u32,
    /// How long a connection attempt waits for the agent's verdict.
    pub adhoc_connect_timeout_secs: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_upload_bytes: 2 * 1024 * 1024 * 1024,
            max_session_upload_bytes: 10 * 1024 * 1024 * 1024,
            max_total_upload_bytes: 200 * 1024 * 1024 * 1024,
            min_free_disk_bytes: 1024 * 1024 * 1024,
            file_retention_days: 30,
            max_json_bytes: 64 * 1024,
            login_per_ip_per_minute: 10,
            login_failures_per_minute: 300,
            key_lookups_per_ip_per_minute: 20,
            key_failures_per_minute: 600,
            sms_per_technician_per_hour: 20,
            emails_per_technician_per_hour: 50,
            access_token_minutes: 15,
            refresh_token_days: 30,
            sign_in_days: 30,
            adhoc_prepare_hours: 24,
            adhoc_activations_per_ip_per_minute: 20,
            adhoc_connects_per_minute: 10,
            adhoc_connect_timeout_secs: 20,
        }
    }
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(tag = "driver", rename_all = "snake_case", deny_unknown_fields)]
pub enum SmsConfig {
    /// Keep messages in the outbox for admins to read (the default).
    #[default]
    Outbox,
    /// A Twilio-compatible HTTP API.
    Twilio {
        #[serde(default = "default_twilio_base")]
        base_url: Url,
        account_sid: String,
        auth_token: String,
        from: String,
    },
}

fn default_twilio_base() -> Url {
    Url::parse("https://api.twilio.com").unwrap_or_else(|_| unreachable_url())
}

fn unreachable_url() -> Url {
    // Parsing a literal that is known good cannot fail; this keeps `unwrap` out.
    Url::parse("http://127.0.0.1/").expect("literal URL parses")
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, clap::ValueEnum)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Plain SMTP; only for a relay on the same host.
    None,
    #[default]
    Starttls,
    /// Implicit TLS (SMTPS, usually port 465).
    Tls,
}

#[derive(Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpConfig {
    pub host: String,
    #[serde(default = "default_smtp_port")]
    pub port: u16,
    #[serde(default)]
    pub tls: SmtpTls,
    #[serde(default)]
    pub username: Option<String>,
    #[serde(default)]
    pub password: Option<String>,
    pub from: String,
}

impl std::fmt::Debug for SmtpConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmtpConfig")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("tls", &self.tls)
            .field("username", &self.username)
            .field("password", &self.password.as_ref().map(|_| "<redacted>"))
            .field("from", &self.from)
            .finish()
    }
}

fn default_smtp_port() -> u16 {
    587
}

/// The TOML file's shape. Every field is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub public_url: Option<Url>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    pub allowed_origins: Vec<String>,
    pub trusted_proxies: Vec<TrustedProxy>,
    pub limits: Limits,
    pub sms: SmsConfig,
    pub smtp: Option<SmtpConfig>,
}

/// Flags and environment variables of `lifeline-server serve`.
#[derive(Debug, Default, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on (port 0 picks a free one).
    #[arg(long, global = true, env = "LIFELINE_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Base URL for links sent to end users; defaults to `http://<listen address>`.
    #[arg(long, global = true, env = "LIFELINE_PUBLIC_URL")]
    pub public_url: Option<Url>,
    /// Directory for the SQLite database and uploaded files.
    #[arg(long, global = true, env = "LIFELINE_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Database URL; defaults to `sqlite://<data dir>/lifeline.db`.
    #[arg(long, global = true, env = "LIFELINE_DATABASE_URL")]
    pub database_url: Option<String>,
    /// Reverse proxies (addresses or CIDR networks, comma-separated) whose forwarded
    /// headers name the client; without it those headers are ignored.
    #[arg(
        long,
        global = true,
        env = "LIFELINE_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    pub trusted_proxies: Option<Vec<TrustedProxy>>,
    /// Largest file that can be uploaded, in bytes.
    #[arg(long, global = true, env = "LIFELINE_MAX_UPLOAD_BYTES")]
    pub max_upload_bytes: Option<u64>,
    /// SMTP server host; enables email invites.
    #[arg(long, global = true, env = "LIFELINE_SMTP_HOST")]
    pub smtp_host: Option<String>,
    #[arg(long, global = true, env = "LIFELINE_SMTP_PORT")]
    pub smtp_port: Option<u16>,
    #[arg(long, global = true, env = "LIFELINE_SMTP_TLS", value_enum)]
    pub smtp_tls: Option<SmtpTls>,
    #[arg(long, global = true, env = "LIFELINE_SMTP_USERNAME")]
    pub smtp_username: Option<String>,
    #[arg(
        long,
        global = true,
        env = "LIFELINE_SMTP_PASSWORD",
        hide_env_values = true
    )]
    pub smtp_password: Option<String>,
    /// Sender address of invite emails.
    #[arg(long, global = true, env = "LIFELINE_SMTP_FROM")]
    pub smtp_from: Option<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the configuration file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the configuration file {path} is not valid: {source}")]
    Parse {
        path: PathBuf,
        source: toml::de::Error,
    },
    #[error("{0}")]
    Invalid(String),
}

impl Config {
    /// Resolves flags/env over the file (if any) over defaults.
    pub fn load(args: &ServeArgs, file: Option<&Path>) -> Result<Self, ConfigError> {
        let file_config = match file {
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
                    path: path.to_owned(),
                    source,
                })?;
                toml::from_str(&text).map_err(|source| ConfigError::Parse {
                    path: path.to_owned(),
                    source,
                })?
            }
            None => FileConfig::default(),
        };
        Self::merge(args, file_config)
    }

    pub fn merge(args: &ServeArgs, file: FileConfig) -> Result<Self, ConfigError> {
        let listen = args
            .listen
            .or(file.listen)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let data_dir = args
            .data_dir
            .clone()
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("lifeline-data"));
        let database_url = args
            .database_url
            .clone()
            .or(file.database_url)
            .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("lifeline.db").display()));
        let public_url = match args.public_url.clone().or(file.public_url) {
            Some(url) => url,
            None => Url::parse(&format!("http://{listen}"))
                .map_err(|e| ConfigError::Invalid(format!("listen address as URL: {e}")))?,
        };
        if !matches!(public_url.scheme(), "http" | "https") {
            return Err(ConfigError::Invalid(format!(
                "public_url must be http or https, not {}",
                public_url.scheme()
            )));
        }
        let mut limits = file.limits;
        if let Some(max) = args.max_upload_bytes {
            limits.max_upload_bytes = max;
        }
        let smtp = match (&args.smtp_host, file.smtp) {
            (Some(host), file_smtp) => {
                let from = args
                    .smtp_from
                    .clone()
                    .or_else(|| file_smtp.as_ref().map(|s| s.from.clone()))
                    .ok_or_else(|| {
                        ConfigError::Invalid("--smtp-host needs --smtp-from as well".into())
                    })?;
                Some(SmtpConfig {
                    host: host.clone(),
                    port: args
                        .smtp_port
                        .or(file_smtp.as_ref().map(|s| s.port))
                        .unwrap_or_else(default_smtp_port),
                    tls: args
                        .smtp_tls
                        .or(file_smtp.as_ref().map(|s| s.tls))
                        .unwrap_or_default(),
                    username: args
                        .smtp_username
                        .clone()
                        .or_else(|| file_smtp.as_ref().and_then(|s| s.username.clone())),
                    password: args
                        .smtp_password
                        .clone()
                        .or_else(|| file_smtp.as_ref().and_then(|s| s.password.clone())),
                    from,
                })
            }
            (None, file_smtp) => file_smtp,
        };
        Ok(Self {
            listen,
            public_url,
            data_dir,
            database_url,
            limits,
            sms: file.sms,
            smtp,
            allowed_origins: file.allowed_origins,
            trusted_proxies: args.trusted_proxies.clone().unwrap_or(file.trusted_proxies),
        })
    }

    /// Defaults for a given data directory: what tests and `serve` with no flags use.
    pub fn for_data_dir(data_dir: &Path) -> Self {
        let args = ServeArgs {
            data_dir: Some(data_dir.to_owned()),
            ..ServeArgs::default()
        };
        Self::merge(&args, FileConfig::default()).expect("defaults are valid")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let file: FileConfig = toml::from_str(
            r#"
            listen = "127.0.0.1:9000"
            public_url = "https://support.example.com"
            [limits]
            max_upload_bytes = 1000
            [sms]
            driver = "twilio"
            account_sid = "AC1"
            auth_token = "secret"
            from = "+15550001111"
            "#,
        )
        .expect("valid toml");
        let args = ServeArgs {
            listen: Some(SocketAddr::from(([127, 0, 0, 1], 9100))),
            ..ServeArgs::default()
        };
        let config = Config::merge(&args, file).expect("valid config");
        assert_eq!(config.listen.port(), 9100, "the flag beats the file");
        assert_eq!(config.public_url.as_str(), "https://support.example.com/");
        assert_eq!(
            config.limits.max_upload_bytes, 1000,
            "the file beats defaults"
        );
        assert_eq!(
            config.limits.login_failures_per_minute, 300,
            "defaults fill the rest"
        );
        assert!(matches!(config.sms, SmsConfig::Twilio { .. }));
    }

    #[test]
    fn unknown_keys_in_the_file_are_reported() {
        let err = toml::from_str::<FileConfig>("lisen = \"127.0.0.1:1\"")
            .expect_err("typo must not pass silently");
        assert!(
            err.to_string().contains("lisen"),
            "names the bad key: {err}"
        );
    }
}
