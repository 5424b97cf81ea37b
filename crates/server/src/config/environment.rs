//! The `LIFELINE_*` environment variables as a figment layer. Their values are kept as
//! text (figment's own `Env` would read `007` as the number 7, and a password of digits
//! would lose its zeros); `Config::load` extracts lossily, so a number or a flag is read
//! from text only where the setting is one.

use figment::providers::Env;
use figment::value::{Dict, Map, Uncased, UncasedStr, Value};
use figment::{Metadata, Profile, Provider};

/// Sections of the file that `LIFELINE_<SECTION>__<FIELD>` variables reach.
const SECTIONS: [&str; 6] = ["limits", "sms", "smtp", "tls", "metrics", "cluster"];

/// The setting a `LIFELINE_*` variable sets, if any: the top-level names
/// (`LIFELINE_LISTEN`), the flat SMTP and TLS names (`LIFELINE_SMTP_HOST`,
/// `LIFELINE_TLS_CERT`) and `LIFELINE_<SECTION>__<FIELD>` for every field of a section
/// (`LIFELINE_LIMITS__FILE_RETENTION_DAYS`). Other `LIFELINE_*` variables (the secret,
/// the first password, test switches) are not settings and are left alone.
pub fn environment_key(name: &UncasedStr) -> Option<Uncased<'_>> {
    let name = name.as_str().to_ascii_lowercase();
    let key = match name.as_str() {
        "listen" | "public_url" | "data_dir" | "database_url" | "allowed_origins"
        | "trusted_proxies" | "json_logs" | "agents_dir" | "create_first_admin" => name,
        "max_upload_bytes" => "limits.max_upload_bytes".to_owned(),
        "metrics_token" => "metrics.token".to_owned(),
        "metrics_listen" => "metrics.listen".to_owned(),
        _ => match name.split_once("__") {
            Some((section, field)) if SECTIONS.contains(&section) && !field.is_empty() => {
                format!("{section}.{field}")
            }
            Some(_) => return None,
            None => {
                let (section, field) = name.split_once('_')?;
                if !matches!(section, "smtp" | "tls") {
                    return None;
                }
                format!("{section}.{field}")
            }
        },
    };
    Some(key.into())
}

/// The variables that are settings, each as text at its setting's place.
pub(super) struct Variables;

fn insert(dict: &mut Dict, path: &[&str], text: String) {
    match path {
        [] => {}
        [last] => {
            dict.insert((*last).to_owned(), Value::from(text));
        }
        [first, rest @ ..] => {
            let entry = dict
                .entry((*first).to_owned())
                .or_insert_with(|| Value::from(Dict::new()));
            if let Value::Dict(_, inner) = entry {
                insert(inner, rest, text);
            }
        }
    }
}

impl Provider for Variables {
    fn metadata(&self) -> Metadata {
        Metadata::named("`LIFELINE_` environment variable(s)")
    }

    fn data(&self) -> Result<Map<Profile, Dict>, figment::Error> {
        let mut dict = Dict::new();
        for (key, text) in Env::prefixed("LIFELINE_")
            .filter_map(environment_key)
            .iter()
        {
            let path: Vec<&str> = key.as_str().split('.').collect();
            insert(&mut dict, &path, text);
        }
        Ok(Profile::Default.collect(dict))
    }
}
