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
