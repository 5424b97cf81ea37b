//! `lifeline-server check-config`: says what a configuration sets and refuses one the
//! service could not start with (a TLS file missing, unreadable or not matching, a data
//! directory that can't be made). It opens no database and binds no port.

use std::path::Path;

use anyhow::bail;

use crate::config::{Config, SmsConfig};

/// Prints what `config` sets, with warnings; an error for what would stop the start.
pub fn report(config: &Config) -> anyhow::Result<()> {
    println!("listen:        {}", config.listen);
    println!("public URL:    {}", config.public_url);
    println!("data dir:      {}", config.data_dir.display());
    println!("database:      {}", config.database_url.redacted());
    match &config.tls {
        Some(tls) => {
            crate::tls::server_config(tls)?;
            println!(
                "TLS:           {} with {} (they match)",
                tls.cert.display(),
                tls.key.display()
            );
            if let Some(from) = tls.redirect_from {
                println!("HTTP redirect: {from} -> {}", config.public_url);
            }
        }
        None => println!("TLS:           off (plain HTTP)"),
    }
    println!(
        "email:         {}",
        config
            .smtp
            .as_ref()
            .map_or("outbox (no SMTP host)".to_owned(), |smtp| format!(
                "SMTP {}:{}",
                smtp.host, smtp.port
            ))
    );
    println!(
        "SMS:           {}",
        match config.sms {
            SmsConfig::Outbox => "outbox",
            SmsConfig::Twilio { .. } => "Twilio-compatible API",
        }
    );
    println!(
        "metrics:       {}",
        match (&config.metrics.listen, &config.metrics.token) {
            (Some(listen), _) => format!("http://{listen}/metrics"),
            (None, Some(_)) => "/metrics with the bearer token".to_owned(),
            (None, None) => "off".to_owned(),
        }
    );
    println!(
        "cluster:       {}",
        config
            .cluster
            .as_ref()
            .map_or("off (one node)".to_owned(), |cluster| format!(
                "NATS {} (subjects {}.*, files in JetStream bucket {}, {} copies); \
                 every node needs the same database and key file",
                cluster.nats_url.redacted(),
                cluster.subject_prefix,
                cluster.files_bucket(),
                cluster.files_replicas
            ))
    );
    check_data_dir(&config.data_dir)?;
    for warning in warnings(config) {
        println!("warning: {warning}");
    }
    println!("The configuration is valid.");
    Ok(())
}

fn check_data_dir(dir: &Path) -> anyhow::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    if dir.exists() {
        bail!("the data directory {} is not a directory", dir.display());
    }
    let mut parent = dir.parent();
    while let Some(candidate) = parent {
        if candidate.as_os_str().is_empty() || candidate.is_dir() {
            return Ok(());
        }
        parent = candidate.parent();
    }
    bail!("the data directory {} can't be created", dir.display())
}

/// What works but will surprise: said, not refused.
pub fn warnings(config: &Config) -> Vec<String> {
    let mut warnings = Vec::new();
    let loopback_url = config
        .public_url
        .host_str()
        .is_some_and(|host| matches!(host, "localhost" | "127.0.0.1" | "[::1]"));
    if config.public_url.scheme() == "http" && !loopback_url {
        warnings.push(format!(
            "the public URL {} is plain HTTP: browsers share screens only over HTTPS; \
             configure [tls] or put a TLS proxy in front and set public_url to https://",
            config.public_url
        ));
    }
    if config.listen.ip().is_unspecified()
        && config.tls.is_none()
        && config.trusted_proxies.is_empty()
    {
        warnings.push(
            "listening on all addresses over plain HTTP without trusted_proxies: \
             is a proxy in front? then name it in trusted_proxies"
                .to_owned(),
        );
    }
    warnings
}
