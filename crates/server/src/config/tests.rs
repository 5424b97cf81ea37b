// `Jail::expect_with` takes closures returning figment's own (large) error type.
#![allow(clippy::result_large_err)]

use super::*;
use figment::Jail;

fn load_in(jail: &Jail, toml: &str, args: &ServeArgs) -> Result<Config, ConfigError> {
    jail.create_file("lifeline.toml", toml)
        .expect("the jail takes files");
    Config::load(args, Some(Path::new("lifeline.toml")))
}

#[test]
fn flags_win_over_variables_over_the_file_over_defaults() {
    Jail::expect_with(|jail| {
        jail.set_env("LIFELINE_LISTEN", "127.0.0.1:9200");
        jail.set_env("LIFELINE_PUBLIC_URL", "https://from-env.example.com");
        jail.set_env("LIFELINE_LIMITS__FILE_RETENTION_DAYS", "7");
        jail.set_env("LIFELINE_SMTP_HOST", "smtp.example.com");
        jail.set_env("LIFELINE_TRUSTED_PROXIES", "127.0.0.1, 10.0.0.0/8");
        // Not settings: they must not be refused as unknown keys.
        jail.set_env("LIFELINE_FIRST_PASSWORD", "x");
        jail.set_env("LIFELINE_SECRET_KEY", "00");
        jail.set_env("LIFELINE_HANDOVER__X", "1");
        let args = ServeArgs {
            listen: Some(SocketAddr::from(([127, 0, 0, 1], 9100))),
            ..ServeArgs::default()
        };
        let config = load_in(
            jail,
            r#"
            listen = "127.0.0.1:9000"
            public_url = "https://support.example.com"
            [limits]
            max_upload_bytes = 1000
            file_retention_days = 3
            [smtp]
            host = "file.example.com"
            from = "support@example.com"
            [sms]
            driver = "twilio"
            account_sid = "AC1"
            auth_token = "secret"
            from = "+15550001111"
            "#,
            &args,
        )
        .expect("valid layers");
        assert_eq!(config.listen.port(), 9100, "the flag beats the variable");
        assert_eq!(
            config.public_url.as_str(),
            "https://from-env.example.com/",
            "the variable beats the file"
        );
        assert_eq!(
            config.limits.max_upload_bytes, 1000,
            "the file beats defaults"
        );
        assert_eq!(config.limits.file_retention_days, 7, "a section's variable");
        assert_eq!(
            config.limits.login_failures_per_minute, 300,
            "defaults fill the rest"
        );
        let smtp = config.smtp.expect("smtp from file and variable");
        assert_eq!(smtp.host, "smtp.example.com");
        assert_eq!(smtp.from, "support@example.com", "merged with the file's");
        assert_eq!(
            config.trusted_proxies.len(),
            2,
            "a comma-separated variable"
        );
        assert!(matches!(config.sms, SmsConfig::Twilio { .. }));
        Ok(())
    });
}

#[test]
fn tls_makes_the_default_public_url_https() {
    Jail::expect_with(|jail| {
        let config = load_in(
            jail,
            r#"
            listen = "127.0.0.1:8443"
            [tls]
            cert = "/etc/lifeline/cert.pem"
            key = "/etc/lifeline/key.pem"
            redirect_from = "127.0.0.1:8080"
            "#,
            &ServeArgs::default(),
        )
        .expect("valid");
        assert_eq!(config.public_url.as_str(), "https://127.0.0.1:8443/");
        let tls = config.tls.expect("tls on");
        assert_eq!(tls.hsts_max_age_secs, 31_536_000, "HSTS by default");
        assert_eq!(tls.redirect_from.map(|a| a.port()), Some(8080));
        Ok(())
    });
}

#[test]
fn unknown_keys_and_bad_values_name_the_setting() {
    Jail::expect_with(|jail| {
        let err = load_in(jail, "lisen = \"127.0.0.1:1\"", &ServeArgs::default())
            .expect_err("a typo must not pass silently");
        assert!(
            err.to_string().contains("lisen"),
            "names the bad key: {err}"
        );
        jail.set_env("LIFELINE_LIMITS__MAX_UPLOAD_BYTES", "lots");
        let err = load_in(jail, "", &ServeArgs::default()).expect_err("not a number");
        assert!(
            err.to_string().to_lowercase().contains("max_upload_bytes"),
            "names the setting: {err}"
        );
        Ok(())
    });
}

#[test]
fn a_missing_file_is_an_error_not_defaults() {
    let err = Config::load(
        &ServeArgs::default(),
        Some(Path::new("/nonexistent/l.toml")),
    )
    .expect_err("missing file");
    assert!(matches!(err, ConfigError::Missing(_)), "{err}");
}

#[test]
fn the_tls_half_alone_is_refused() {
    Jail::expect_with(|jail| {
        let args = ServeArgs {
            tls_cert: Some("/etc/lifeline/cert.pem".into()),
            ..ServeArgs::default()
        };
        let err = load_in(jail, "", &args).expect_err("a certificate without its key");
        assert!(err.to_string().contains("missing field `key`"), "{err}");
        Ok(())
    });
}

#[test]
fn variables_stay_text_where_the_setting_is_text() {
    Jail::expect_with(|jail| {
        jail.set_env("LIFELINE_SMTP_HOST", "smtp.example.com");
        jail.set_env("LIFELINE_SMTP_FROM", "support@example.com");
        jail.set_env("LIFELINE_SMTP_PASSWORD", "007123");
        jail.set_env("LIFELINE_SMTP_PORT", "2525");
        jail.set_env("LIFELINE_JSON_LOGS", "true");
        jail.set_env("LIFELINE_METRICS__TOKEN", "0042");
        let config = load_in(jail, "", &ServeArgs::default()).expect("valid");
        let smtp = config.smtp.expect("smtp");
        assert_eq!(
            smtp.password.as_deref(),
            Some("007123"),
            "digits stay as typed"
        );
        assert_eq!(smtp.port, 2525, "a number where the setting is one");
        assert!(config.json_logs);
        use secrecy::ExposeSecret;
        assert_eq!(
            config
                .metrics
                .token
                .as_ref()
                .map(|t| t.expose_secret().to_owned()),
            Some("0042".to_owned())
        );
        Ok(())
    });
}

#[test]
fn a_cluster_needs_postgresql_and_never_shows_passwords() {
    Jail::expect_with(|jail| {
        let cluster = "[cluster]\nnats_url = \"nats://bus:hunter2@10.0.0.5:4222\"\n";
        let err = load_in(jail, cluster, &ServeArgs::default())
            .expect_err("SQLite is one node's database");
        assert!(err.to_string().contains("PostgreSQL"), "{err}");

        jail.set_env(
            "LIFELINE_DATABASE_URL",
            "postgres://lifeline:s3cret@db.example.com/lifeline",
        );
        let config = load_in(jail, cluster, &ServeArgs::default()).expect("valid");
        let settings = config.cluster.as_ref().expect("cluster");
        assert_eq!(settings.subject_prefix, "lifeline");
        assert_eq!(
            settings.nats_url.expose(),
            "nats://bus:hunter2@10.0.0.5:4222"
        );
        let shown = format!("{config:?}");
        assert!(
            !shown.contains("hunter2") && !shown.contains("s3cret"),
            "{shown}"
        );

        assert_eq!(settings.files_replicas, 1);
        assert_eq!(settings.files_bucket(), "lifeline-files");
        jail.set_env("LIFELINE_CLUSTER__FILES_REPLICAS", "3");
        let config = load_in(jail, cluster, &ServeArgs::default()).expect("valid");
        assert_eq!(config.cluster.expect("cluster").files_replicas, 3);
        jail.set_env("LIFELINE_CLUSTER__FILES_REPLICAS", "0");
        let err = load_in(jail, cluster, &ServeArgs::default()).expect_err("no copy");
        assert!(err.to_string().contains("files_replicas"), "{err}");
        jail.set_env("LIFELINE_CLUSTER__FILES_REPLICAS", "1");

        jail.set_env("LIFELINE_CLUSTER__SUBJECT_PREFIX", "two words");
        let err = load_in(jail, cluster, &ServeArgs::default()).expect_err("a bad prefix");
        assert!(err.to_string().contains("subject_prefix"), "{err}");
        Ok(())
    });
}
