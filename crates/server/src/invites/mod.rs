//! Invites: the join link by SMS (outbox or a Twilio-compatible API) and by email
//! (SMTP, or the outbox when SMTP is not configured).

mod email;
mod routes;
mod sms;

pub use email::{EmailDriver, EmailMessage};
pub use routes::{count_email, router};
pub use sms::SmsDriver;

use crate::config::Config;

/// The configured drivers.
pub struct Delivery {
    pub sms: SmsDriver,
    pub email: EmailDriver,
}

#[derive(Debug, thiserror::Error)]
pub enum DeliveryError {
    #[error("{0}")]
    Refused(String),
    #[error("invalid configuration: {0}")]
    Config(String),
}

impl Delivery {
    pub fn from_config(config: &Config) -> Result<Self, DeliveryError> {
        Ok(Self {
            sms: SmsDriver::from_config(&config.sms)?,
            email: EmailDriver::from_config(config.smtp.as_ref())?,
        })
    }
}
