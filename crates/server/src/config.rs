//! Settings, layered with figment: command-line flags, then `LIFELINE_*` environment
//! variables, then an optional TOML file, then defaults. With nothing set, the service
//! runs on an embedded SQLite file in `./lifeline-data` on 127.0.0.1:8080. This module
//! only resolves and validates settings; it opens no file but the configuration itself.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use figment::providers::{Format, Serialized, Toml};
use figment::Figment;
use serde::{Deserialize, Deserializer};
use url::Url;

pub use crate::client_ip::TrustedProxy;

/// The URL of a database (or of NATS). It may carry a password, so it is shown (in
/// `Debug`, logs and errors) only without it.
#[derive(Clone, Deserialize)]
#[serde(from = "String")]
pub struct SecretUrl(secrecy::SecretString);

impl SecretUrl {
    pub fn new(url: impl Into<String>) -> Self {
        Self(secrecy::SecretString::from(url.into()))
    }

    /// The whole URL, password included, for connecting.
    pub fn expose(&self) -> &str {
        secrecy::ExposeSecret::expose_secret(&self.0)
    }

    /// The URL with any password replaced by `***`.
    pub fn redacted(&self) -> String {
        match Url::parse(self.expose()) {
            Ok(mut url) if url.password().is_some() => {
                let _ = url.set_password(Some("***"));
                url.to_string()
            }
            _ => self.expose().to_owned(),
        }
    }
}

impl std::fmt::Debug for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl std::fmt::Display for SecretUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl From<&str> for SecretUrl {
    fn from(url: &str) -> Self {
        Self::new(url)
    }
}

impl From<String> for SecretUrl {
    fn from(url: String) -> Self {
        Self::new(url)
    }
}

/// Everything the service needs, resolved.
#[derive(Debug, Clone)]
pub struct Config {
    pub listen: SocketAddr,
    /// The base of links sent to end users, e.g. `https://support.example.com`.
    pub public_url: Url,
    pub data_dir: PathBuf,
    pub database_url: SecretUrl,
    pub limits: Limits,
    pub sms: SmsConfig,
    pub smtp: Option<SmtpConfig>,
    /// Extra origins allowed to open WebSockets besides the public URL's own.
    pub allowed_origins: Vec<String>,
    /// Reverse proxies whose `Forwarded`/`X-Forwarded-For` headers are believed.
    pub trusted_proxies: Vec<TrustedProxy>,
    /// Built-in HTTPS; without it the service speaks plain HTTP (behind a proxy, or on
    /// loopback).
    pub tls: Option<TlsSettings>,
    pub metrics: MetricsSettings,
    /// One JSON object per log line instead of text.
    pub json_logs: bool,
    /// Where the agent builds handed out at `/adhoc/<id>` are (`lifeline-agent-<platform>`).
    pub agents_dir: PathBuf,
    /// Whether the first start creates `admin@lifeline.local` and prints its password on
    /// standard output. Packages turn it off: their output goes to the journal, and the
    /// administrator makes the first account with `technician add`.
    pub create_first_admin: bool,
    /// Several nodes as one service; one node without it.
    pub cluster: Option<ClusterSettings>,
}

/// `[cluster]`: this node is one of several behind a load balancer, on one PostgreSQL
/// database, reaching the others through NATS.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSettings {
    /// The NATS server, e.g. `nats://10.0.0.5:4222`; several separated by commas. It may
    /// carry a user and password, so it is shown only without them.
    pub nats_url: SecretUrl,
    /// Subjects start with this, so several installations can share one NATS.
    #[serde(default = "default_subject_prefix")]
    pub subject_prefix: String,
    /// Copies NATS keeps of each file (JetStream replicas): 1 on one NATS server, 3 on
    /// a NATS cluster that must survive losing a server.
    #[serde(default = "default_files_replicas")]
    pub files_replicas: usize,
}

impl ClusterSettings {
    /// The JetStream object store bucket holding the files every node serves.
    pub fn files_bucket(&self) -> String {
        format!("{}-files", self.subject_prefix)
    }
}

fn default_subject_prefix() -> String {
    "lifeline".into()
}

fn default_files_replicas() -> usize {
    1
}

/// Built-in HTTPS from PEM files, reloaded on SIGHUP and when the files change.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsSettings {
    /// The certificate chain, leaf first (as certbot's `fullchain.pem`).
    pub cert: PathBuf,
    /// The private key: PKCS#8, PKCS#1 or SEC1.
    pub key: PathBuf,
    /// A second, plain-HTTP listener that sends every request to the HTTPS address.
    #[serde(default)]
    pub redirect_from: Option<SocketAddr>,
    /// `Strict-Transport-Security` max-age; 0 sends no HSTS header.
    #[serde(default = "default_hsts_max_age")]
    pub hsts_max_age_secs: u32,
}

pub(crate) fn default_hsts_max_age() -> u32 {
    // One year, what browsers' preload lists ask for.
    31_536_000
}

/// `/metrics` in the Prometheus text format: off unless a token is set, or a separate
/// listener (say on loopback) is named, where no token is asked.
#[derive(Clone, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MetricsSettings {
    /// A bearer token that opens `/metrics` on the public listener.
    pub token: Option<secrecy::SecretString>,
    /// A separate plain-HTTP listener serving only `/metrics`, without a token.
    pub listen: Option<SocketAddr>,
}

impl std::fmt::Debug for MetricsSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MetricsSettings")
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .field("listen", &self.listen)
            .finish()
    }
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

impl SmtpTls {
    /// The name the file and the flag use.
    fn name(self) -> String {
        match self {
            Self::None => "none",
            Self::Starttls => "starttls",
            Self::Tls => "tls",
        }
        .to_owned()
    }
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

/// The TOML file's shape, and what every layer fills. Every field is optional.
#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FileConfig {
    pub listen: Option<SocketAddr>,
    pub public_url: Option<Url>,
    pub data_dir: Option<PathBuf>,
    pub database_url: Option<String>,
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub allowed_origins: Vec<String>,
    #[serde(deserialize_with = "list_or_comma_separated")]
    pub trusted_proxies: Vec<TrustedProxy>,
    pub limits: Limits,
    pub sms: SmsConfig,
    pub smtp: Option<SmtpConfig>,
    pub tls: Option<TlsSettings>,
    pub metrics: MetricsSettings,
    pub cluster: Option<ClusterSettings>,
    pub json_logs: bool,
    pub agents_dir: Option<PathBuf>,
    pub create_first_admin: Option<bool>,
}

/// A list in TOML, or one comma-separated string (as an environment variable gives).
fn list_or_comma_separated<'de, D, T>(deserializer: D) -> Result<Vec<T>, D::Error>
where
    D: Deserializer<'de>,
    T: FromStr,
    T::Err: std::fmt::Display,
{
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Items {
        List(Vec<String>),
        Joined(String),
    }
    let items = match Items::deserialize(deserializer)? {
        Items::List(items) => items,
        Items::Joined(joined) => joined
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(str::to_owned)
            .collect(),
    };
    items
        .iter()
        .map(|item| item.parse::<T>().map_err(serde::de::Error::custom))
        .collect()
}

/// Flags of `lifeline-server serve`; each also has a `LIFELINE_*` variable (see
/// [`environment::environment_key`]).
#[derive(Debug, Default, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on (port 0 picks a free one); also LIFELINE_LISTEN.
    #[arg(long, global = true)]
    pub listen: Option<SocketAddr>,
    /// Base URL for links sent to end users; defaults to `http(s)://<listen address>`;
    /// also LIFELINE_PUBLIC_URL.
    #[arg(long, global = true)]
    pub public_url: Option<Url>,
    /// Directory for the SQLite database and uploaded files; also LIFELINE_DATA_DIR.
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
    /// Database URL; defaults to `sqlite://<data dir>/lifeline.db`; also
    /// LIFELINE_DATABASE_URL.
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Reverse proxies (addresses or CIDR networks, comma-separated) whose forwarded
    /// headers name the client; without it those headers are ignored; also
    /// LIFELINE_TRUSTED_PROXIES.
    #[arg(long, global = true, value_delimiter = ',')]
    pub trusted_proxies: Option<Vec<String>>,
    /// Largest file that can be uploaded, in bytes; also LIFELINE_MAX_UPLOAD_BYTES.
    #[arg(long, global = true)]
    pub max_upload_bytes: Option<u64>,
    /// PEM certificate chain; with --tls-key turns on built-in HTTPS; also LIFELINE_TLS_CERT.
    #[arg(long, global = true)]
    pub tls_cert: Option<PathBuf>,
    /// PEM private key of --tls-cert; also LIFELINE_TLS_KEY.
    #[arg(long, global = true)]
    pub tls_key: Option<PathBuf>,
    /// SMTP server host; enables email invites; also LIFELINE_SMTP_HOST.
    #[arg(long, global = true)]
    pub smtp_host: Option<String>,
    #[arg(long, global = true)]
    pub smtp_port: Option<u16>,
    #[arg(long, global = true, value_enum)]
    pub smtp_tls: Option<SmtpTls>,
    #[arg(long, global = true)]
    pub smtp_username: Option<String>,
    /// Better given as LIFELINE_SMTP_PASSWORD or in the file: flags show in `ps`.
    #[arg(long, global = true)]
    pub smtp_password: Option<String>,
    /// Sender address of invite emails; also LIFELINE_SMTP_FROM.
    #[arg(long, global = true)]
    pub smtp_from: Option<String>,
    /// One JSON object per log line; also LIFELINE_JSON_LOGS.
    #[arg(long, global = true)]
    pub json_logs: bool,
}

impl ServeArgs {
    /// The flags given, as a figment layer over the others.
    fn layer(&self) -> Figment {
        let mut layer = Figment::new();
        let mut put = |key: &str, value: Option<String>| {
            if let Some(value) = value {
                layer = std::mem::take(&mut layer).merge(Serialized::default(key, value));
            }
        };
        let display = |path: &Option<PathBuf>| path.as_ref().map(|p| p.display().to_string());
        put("listen", self.listen.map(|a| a.to_string()));
        put("public_url", self.public_url.as_ref().map(Url::to_string));
        put("data_dir", display(&self.data_dir));
        put("database_url", self.database_url.clone());
        put(
            "trusted_proxies",
            self.trusted_proxies.as_ref().map(|list| list.join(",")),
        );
        put("tls.cert", display(&self.tls_cert));
        put("tls.key", display(&self.tls_key));
        put("smtp.host", self.smtp_host.clone());
        put("smtp.tls", self.smtp_tls.map(SmtpTls::name));
        put("smtp.username", self.smtp_username.clone());
        put("smtp.password", self.smtp_password.clone());
        put("smtp.from", self.smtp_from.clone());
        let mut layer = layer;
        if let Some(port) = self.smtp_port {
            layer = layer.merge(Serialized::default("smtp.port", port));
        }
        if let Some(max) = self.max_upload_bytes {
            layer = layer.merge(Serialized::default("limits.max_upload_bytes", max));
        }
        if self.json_logs {
            layer = layer.merge(Serialized::default("json_logs", true));
        }
        layer
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the configuration file {0} does not exist")]
    Missing(PathBuf),
    /// Figment's message names the setting and where it came from (file or variable).
    #[error("{0}")]
    Layer(Box<figment::Error>),
    #[error("{0}")]
    Invalid(String),
}

impl Config {
    /// Resolves flags over `LIFELINE_*` variables over the file (if any) over defaults.
    pub fn load(args: &ServeArgs, file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::new();
        if let Some(path) = file {
            if !path.exists() {
                return Err(ConfigError::Missing(path.to_owned()));
            }
            figment = figment.merge(Toml::file_exact(path));
        }
        let figment = figment.merge(environment::Variables).merge(args.layer());
        // Lossy: a variable's text becomes a number or a flag where the setting is one,
        // and stays text everywhere else (a password of digits keeps its leading zeros).
        let layered: FileConfig = figment
            .extract_lossy()
            .map_err(|e| ConfigError::Layer(Box::new(e)))?;
        Self::resolve(layered)
    }

    /// Fills what the layers left open and checks what they say together.
    pub fn resolve(file: FileConfig) -> Result<Self, ConfigError> {
        let listen = file
            .listen
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080)));
        let data_dir = file
            .data_dir
            .unwrap_or_else(|| PathBuf::from("lifeline-data"));
        let agents_dir = file.agents_dir.unwrap_or_else(|| data_dir.join("agents"));
        let database_url = SecretUrl::new(
            file.database_url
                .unwrap_or_else(|| format!("sqlite://{}", data_dir.join("lifeline.db").display())),
        );
        let scheme = if file.tls.is_some() { "https" } else { "http" };
        let public_url = match file.public_url {
            Some(url) => url,
            None => Url::parse(&format!("{scheme}://{listen}"))
                .map_err(|e| ConfigError::Invalid(format!("listen address as URL: {e}")))?,
        };
        if !matches!(public_url.scheme(), "http" | "https") {
            return Err(ConfigError::Invalid(format!(
                "public_url must be http or https, not {}",
                public_url.scheme()
            )));
        }
        if let Some(tls) = &file.tls {
            if listen.port() != 0 && tls.redirect_from == Some(listen) {
                return Err(ConfigError::Invalid(format!(
                    "tls.redirect_from and listen are both {listen}"
                )));
            }
        }
        if let Some(cluster) = &file.cluster {
            if crate::store::Backend::of_url(database_url.expose()).ok()
                != Some(crate::store::Backend::Postgres)
            {
                return Err(ConfigError::Invalid(
                    "cluster needs a PostgreSQL database_url (postgres://...) that every node shares"
                        .into(),
                ));
            }
            let prefix = &cluster.subject_prefix;
            if prefix.is_empty()
                || !prefix
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
            {
                return Err(ConfigError::Invalid(format!(
                    "cluster.subject_prefix {prefix:?}: use letters, digits, _ and -"
                )));
            }
            if !(1..=5).contains(&cluster.files_replicas) {
                return Err(ConfigError::Invalid(format!(
                    "cluster.files_replicas is {}: JetStream keeps 1 to 5 copies",
                    cluster.files_replicas
                )));
            }
        }
        if listen.port() != 0 && file.metrics.listen == Some(listen) {
            return Err(ConfigError::Invalid(format!(
                "metrics.listen and listen are both {listen}"
            )));
        }
        Ok(Self {
            listen,
            public_url,
            data_dir,
            database_url,
            limits: file.limits,
            sms: file.sms,
            smtp: file.smtp,
            allowed_origins: file.allowed_origins,
            trusted_proxies: file.trusted_proxies,
            tls: file.tls,
            metrics: file.metrics,
            json_logs: file.json_logs,
            agents_dir,
            create_first_admin: file.create_first_admin.unwrap_or(true),
            cluster: file.cluster,
        })
    }

    /// Defaults for a given data directory: what tests and `serve` with no flags use.
    pub fn for_data_dir(data_dir: &Path) -> Self {
        let file = FileConfig {
            data_dir: Some(data_dir.to_owned()),
            ..FileConfig::default()
        };
        Self::resolve(file).expect("defaults are valid")
    }
}

mod environment;
pub use environment::environment_key;

#[cfg(test)]
mod tests;
