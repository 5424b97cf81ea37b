use std::time::Duration;

use serde::Deserialize;
use url::Url;

use super::DeliveryError;
use crate::config::SmsConfig;

pub enum SmsDriver {
    /// Stores messages for admins to read; nothing leaves the service.
    Outbox,
    Twilio(TwilioSms),
}

pub struct TwilioSms {
    http: reqwest::Client,
    messages_url: Url,
    account_sid: String,
    auth_token: String,
    from: String,
}

impl SmsDriver {
    pub fn from_config(config: &SmsConfig) -> Result<Self, DeliveryError> {
        Ok(match config {
            SmsConfig::Outbox => SmsDriver::Outbox,
            SmsConfig::Twilio {
                base_url,
                account_sid,
                auth_token,
                from,
            } => {
                let path = format!("2010-04-01/Accounts/{account_sid}/Messages.json");
                let messages_url = base_url
                    .join(&path)
                    .map_err(|e| DeliveryError::Config(format!("sms base_url: {e}")))?;
                let http = reqwest::Client::builder()
                    .timeout(Duration::from_secs(15))
                    .build()
                    .map_err(|e| DeliveryError::Config(format!("HTTP client: {e}")))?;
                SmsDriver::Twilio(TwilioSms {
                    http,
                    messages_url,
                    account_sid: account_sid.clone(),
                    auth_token: auth_token.clone(),
                    from: from.clone(),
                })
            }
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            SmsDriver::Outbox => "outbox",
            SmsDriver::Twilio(_) => "twilio",
        }
    }
}

#[derive(Deserialize)]
struct TwilioError {
    message: Option<String>,
    code: Option<i64>,
}

#[derive(Deserialize)]
struct TwilioMessage {
    sid: String,
}

impl TwilioSms {
    /// Sends through the provider; returns its message id.
    pub async fn send(&self, to: &str, body: &str) -> Result<String, DeliveryError> {
        let response = self
            .http
            .post(self.messages_url.clone())
            .basic_auth(&self.account_sid, Some(&self.auth_token))
            .form(&[("To", to), ("From", self.from.as_str()), ("Body", body)])
            .send()
            .await
            .map_err(|e| {
                DeliveryError::Refused(format!("the SMS provider could not be reached: {e}"))
            })?;
        let status = response.status();
        if status.is_success() {
            let message: TwilioMessage = response.json().await.map_err(|e| {
                DeliveryError::Refused(format!("the SMS provider answered oddly: {e}"))
            })?;
            return Ok(message.sid);
        }
        let detail = response.json::<TwilioError>().await.ok();
        let message = detail
            .map(|d| {
                format!(
                    "{} (provider code {})",
                    d.message.unwrap_or_default(),
                    d.code.unwrap_or_default()
                )
            })
            .unwrap_or_else(|| format!("HTTP {status}"));
        Err(DeliveryError::Refused(format!(
            "the SMS provider refused the message: {message}"
        )))
    }
}

/// E.164: `+`, a country code not starting with 0, at most 15 digits in all. Spaces,
/// dashes, dots and parentheses people type are dropped; a leading `00` becomes `+`.
pub fn normalize_e164(input: &str) -> Option<String> {
    let compact: String = input
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')' | '/' | '\u{a0}'))
        .collect();
    let digits = compact
        .strip_prefix('+')
        .or_else(|| compact.strip_prefix("00"))?;
    let valid = (7..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    valid.then(|| format!("+{digits}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn e164_accepts_typed_forms_and_refuses_local_numbers() {
        assert_eq!(
            normalize_e164("+49 151 1234-5678").as_deref(),
            Some("+4915112345678")
        );
        assert_eq!(
            normalize_e164("0049 (151) 12345678").as_deref(),
            Some("+4915112345678")
        );
        assert_eq!(normalize_e164("0151 12345678"), None, "no country code");
        assert_eq!(
            normalize_e164("+0151234567"),
            None,
            "country codes do not start with 0"
        );
        assert_eq!(normalize_e164("+1234"), None, "too short");
        assert_eq!(normalize_e164("+1234567890123456"), None, "too long");
        assert_eq!(normalize_e164("+49151abc"), None);
    }
}
