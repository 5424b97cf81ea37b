//! `lifeline-server`'s command line: `serve` (the default) and admin subcommands.

use std::io::BufRead;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{bail, Context};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use clap::{Parser, Subcommand};
use lifeline_protocol::{NewTechnician, SignInHandover};

use crate::admin::add_technician;
use crate::auth::mint_sign_in_token;
use crate::clock::{Clock, SystemClock};
use crate::config::{Config, ServeArgs};
use crate::store::Store;

/// The technician the first start creates.
const FIRST_TECHNICIAN_EMAIL: &str = "admin@lifeline.local";

#[derive(Debug, Parser)]
#[command(
    name = "lifeline-server",
    version,
    about = "Lifeline remote-support service"
)]
pub struct Cli {
    /// TOML configuration file (flags and LIFELINE_* variables override it).
    #[arg(long, env = "LIFELINE_CONFIG", global = true)]
    pub config: Option<PathBuf>,
    #[command(flatten)]
    pub serve: ServeArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the service (the default).
    Serve,
    /// Manage technicians.
    #[command(subcommand)]
    Technician(TechnicianCommand),
    /// Read invites kept by the outbox drivers.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// Manage the server's secret (the key file beside the data).
    #[command(subcommand)]
    Secrets(SecretsCommand),
    /// Check a configuration file (or the one --config names) with the flags and
    /// LIFELINE_* variables over it, including the TLS files, and say what it sets.
    CheckConfig {
        /// The file to check; defaults to --config.
        file: Option<PathBuf>,
    },
    /// Copy the database (consistently, while the service runs), the uploaded files and
    /// the key file into one .tar.gz. Keep it as safe as the server: it holds the key.
    Backup {
        #[arg(long)]
        to: PathBuf,
    },
    /// Restore a backup into an empty data directory (the configured one).
    Restore {
        #[arg(long)]
        from: PathBuf,
    },
    /// Set a company's ad-hoc licence slots.
    Slots {
        #[arg(long, default_value = "Lifeline")]
        company: String,
        /// How many ad-hoc sessions may be prepared or active at once.
        #[arg(long)]
        total: u32,
    },
}

#[derive(Debug, Subcommand)]
pub enum SecretsCommand {
    /// Make a new secret; the old one still checks what it signed until the next
    /// rotation. Restart the service afterwards.
    Rotate,
}

#[derive(Debug, Subcommand)]
pub enum TechnicianCommand {
    /// Add a technician; prints a generated password unless --password-stdin is given.
    Add {
        #[arg(long)]
        email: String,
        /// Display name shown to end users; defaults to the part of the email before @.
        #[arg(long)]
        name: Option<String>,
        #[arg(long, default_value = "Lifeline")]
        company: String,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
        #[arg(long)]
        admin: bool,
    },
    List,
    /// Print a one-time sign-in for the desktop app on this machine, as one JSON line for
    /// a pipe into the app (scripts/run does this). It works once, within --minutes.
    SignInToken {
        /// Defaults to the technician the first start created.
        #[arg(long, default_value = FIRST_TECHNICIAN_EMAIL)]
        email: String,
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=60))]
        minutes: u32,
    },
    Disable {
        #[arg(long)]
        email: String,
    },
    Enable {
        #[arg(long)]
        email: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Newest first.
    List {
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
}

impl Cli {
    /// The configuration the command runs with: the file `check-config` names, or
    /// `--config`, under variables and flags.
    pub fn config(&self) -> Result<Config, crate::config::ConfigError> {
        let file = match &self.command {
            Some(Command::CheckConfig { file: Some(file) }) => Some(file.as_path()),
            _ => self.config.as_deref(),
        };
        Config::load(&self.serve, file)
    }
}

pub async fn run(cli: Cli, config: Config) -> anyhow::Result<()> {
    match cli.command {
        Some(Command::CheckConfig { .. }) => crate::check_config::report(&config),
        Some(Command::Backup { to }) => {
            let manifest = crate::backup::backup(&config, &to).await?;
            println!(
                "Backed up the database (schema {}), {} files ({} bytes){} to {}",
                manifest.schema_version,
                manifest.files,
                manifest.file_bytes,
                if manifest.has_key_file {
                    " and the key file"
                } else {
                    ""
                },
                to.display()
            );
            Ok(())
        }
        Some(Command::Restore { from }) => {
            let manifest = crate::backup::restore(&config, &from).await?;
            println!(
                "Restored the backup of {} (lifeline-server {}, {} files) into {}",
                crate::sessions::transcript::timestamp(manifest.created_at),
                manifest.version,
                manifest.files,
                config.data_dir.display()
            );
            if !manifest.has_key_file {
                println!(
                    "The backup has no key file: set {} as before.",
                    crate::secrets::SECRET_ENV
                );
            }
            Ok(())
        }
        None | Some(Command::Serve) => serve(config).await,
        Some(Command::Technician(command)) => technician(config, command).await,
        Some(Command::Secrets(SecretsCommand::Rotate)) => {
            if std::env::var_os(crate::secrets::SECRET_ENV).is_some() {
                bail!(
                    "the secret comes from {}; set a new value there instead",
                    crate::secrets::SECRET_ENV
                );
            }
            crate::secrets::rotate(&config.data_dir)?;
            println!(
                "A new secret is in {}; restart the service to use it.",
                crate::secrets::key_file(&config.data_dir).display()
            );
            Ok(())
        }
        Some(Command::Slots { company, total }) => {
            let store = open_store(&config).await?;
            if !store
                .set_licence_slots_by_name(&company, i64::from(total))
                .await?
            {
                bail!("no company is named {company:?}");
            }
            println!("{company} now has {total} ad hoc licence slots");
            Ok(())
        }
        Some(Command::Outbox(OutboxCommand::List { limit })) => {
            let store = open_store(&config).await?;
            for message in store.outbox(None, limit).await? {
                println!(
                    "{}  {:5}  {:7}  to {}  by {}\n    {}",
                    message.id,
                    message.channel.as_str(),
                    message.driver,
                    message.recipient,
                    message.technician_email,
                    message.body.replace('\n', "\n    ")
                );
            }
            Ok(())
        }
    }
}

async fn open_store(config: &Config) -> anyhow::Result<Store> {
    std::fs::create_dir_all(&config.data_dir)
        .with_context(|| format!("creating {}", config.data_dir.display()))?;
    Ok(Store::connect(config.database_url.expose()).await?)
}

fn random_password() -> String {
    let mut bytes = [0u8; 15];
    crate::auth::tokens::fill_random(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

async fn technician(config: Config, command: TechnicianCommand) -> anyhow::Result<()> {
    let store = open_store(&config).await?;
    let now = SystemClock.now();
    match command {
        TechnicianCommand::Add {
            email,
            name,
            company,
            password_stdin,
            admin,
        } => {
            let (password, generated) = if password_stdin {
                let mut line = String::new();
                std::io::stdin()
                    .lock()
                    .read_line(&mut line)
                    .context("reading the password")?;
                (line.trim_end_matches(['\r', '\n']).to_owned(), false)
            } else {
                (random_password(), true)
            };
            let display_name =
                name.unwrap_or_else(|| email.split('@').next().unwrap_or(&email).to_owned());
            let new = NewTechnician {
                email,
                display_name,
                password: password.clone().into(),
                is_admin: admin,
            };
            let record = add_technician(&store, &company, new, now)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!(
                "added {} ({}){}",
                record.email,
                record.company_name,
                if admin { ", admin" } else { "" }
            );
            if generated {
                println!("password: {password}");
            }
        }
        TechnicianCommand::List => {
            for t in store.technicians_of_company(None).await? {
                let flags = match (t.is_admin, t.disabled) {
                    (true, true) => "admin, disabled",
                    (true, false) => "admin",
                    (false, true) => "disabled",
                    (false, false) => "",
                };
                println!(
                    "{}  {}  {}  {}",
                    t.email, t.display_name, t.company_name, flags
                );
            }
        }
        TechnicianCommand::SignInToken { email, minutes } => {
            let Some(technician) = store.technician_by_email(&email).await? else {
                bail!("no technician has the email {email}");
            };
            if technician.disabled {
                bail!("{email} is disabled");
            }
            let valid_ms = i64::from(minutes) * 60_000;
            let refresh_token = mint_sign_in_token(&store, &technician, valid_ms, now).await?;
            let handover = SignInHandover {
                server_url: config.public_url.to_string(),
                email: technician.email,
                refresh_token,
            };
            // Standard output only, meant for a pipe into the app; never the log.
            println!("{}", serde_json::to_string(&handover)?);
        }
        TechnicianCommand::Disable { email } | TechnicianCommand::Enable { email }
            if email.is_empty() =>
        {
            bail!("--email is empty")
        }
        TechnicianCommand::Disable { email } => set_disabled(&store, &email, true).await?,
        TechnicianCommand::Enable { email } => set_disabled(&store, &email, false).await?,
    }
    store.close().await;
    Ok(())
}

async fn set_disabled(store: &Store, email: &str, disabled: bool) -> anyhow::Result<()> {
    let Some(technician) = store.technician_by_email(email).await? else {
        bail!("no technician has the email {email}");
    };
    store
        .set_technician_disabled(technician.id, disabled)
        .await?;
    println!(
        "{} is now {}",
        technician.email,
        if disabled { "disabled" } else { "enabled" }
    );
    Ok(())
}

/// The first start creates an admin, so a fresh install can be signed in to at once.
async fn bootstrap_first_technician(store: &Store) -> anyhow::Result<()> {
    if store.count_technicians().await? > 0 {
        return Ok(());
    }
    let password = std::env::var("LIFELINE_FIRST_PASSWORD").unwrap_or_else(|_| random_password());
    let new = NewTechnician {
        email: FIRST_TECHNICIAN_EMAIL.into(),
        display_name: "Lifeline Admin".into(),
        password: password.clone().into(),
        is_admin: true,
    };
    add_technician(store, "Lifeline", new, SystemClock.now())
        .await
        .map_err(|e| anyhow::anyhow!("creating the first technician: {e}"))?;
    // Printed once on the console, never logged: the operator needs it to sign in.
    println!("First technician created. Sign in with:");
    println!("  email:    {FIRST_TECHNICIAN_EMAIL}");
    println!("  password: {password}");
    Ok(())
}

async fn serve(mut config: Config) -> anyhow::Result<()> {
    let listener = crate::app::bind(&mut config)
        .await
        .with_context(|| format!("listening on {}", config.listen))?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let state = crate::app::build_state(config, clock).await?;
    if state.config.create_first_admin {
        bootstrap_first_technician(&state.store).await?;
    }
    let server = crate::app::start(listener, state).await?;
    if let Some(redirect) = server.redirect_addr {
        println!("Plain HTTP on http://{redirect} redirects to HTTPS");
    }
    println!("Lifeline service listening on {}", server.url());
    println!("End users join at {}join", server.state.config.public_url);
    tracing::info!(addr = %server.addr, "listening");
    wait_for_stop_signal().await;
    tracing::info!("shutting down");
    server
        .shutdown()
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(())
}

async fn wait_for_stop_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
}
