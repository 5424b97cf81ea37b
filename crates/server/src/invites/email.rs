use lettre::message::{header::ContentType, Mailbox};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use super::DeliveryError;
use crate::config::{SmtpConfig, SmtpTls};
use crate::contact::EmailAddress;

pub enum EmailDriver {
    /// No SMTP configured: messages are kept in the outbox.
    Outbox,
    Smtp {
        // Boxed: the transport is large and the outbox variant carries nothing.
        transport: Box<AsyncSmtpTransport<Tokio1Executor>>,
        from: Mailbox,
    },
}

pub struct EmailMessage<'a> {
    pub to: &'a EmailAddress,
    pub subject: &'a str,
    pub body: &'a str,
}

impl EmailDriver {
    pub fn from_config(config: Option<&SmtpConfig>) -> Result<Self, DeliveryError> {
        let Some(config) = config else {
            return Ok(EmailDriver::Outbox);
        };
        let from: Mailbox = config.from.parse().map_err(|e| {
            DeliveryError::Config(format!("smtp from address {:?}: {e}", config.from))
        })?;
        let builder = match config.tls {
            SmtpTls::None => AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&config.host),
            SmtpTls::Starttls => AsyncSmtpTransport::<Tokio1Executor>::starttls_relay(&config.host)
                .map_err(|e| DeliveryError::Config(format!("smtp host: {e}")))?,
            SmtpTls::Tls => AsyncSmtpTransport::<Tokio1Executor>::relay(&config.host)
                .map_err(|e| DeliveryError::Config(format!("smtp host: {e}")))?,
        };
        let mut builder = builder.port(config.port);
        if let (Some(user), Some(password)) = (&config.username, &config.password) {
            builder = builder.credentials(Credentials::new(user.clone(), password.clone()));
        }
        Ok(EmailDriver::Smtp {
            transport: Box::new(builder.build()),
            from,
        })
    }

    pub fn name(&self) -> &'static str {
        match self {
            EmailDriver::Outbox => "outbox",
            EmailDriver::Smtp { .. } => "smtp",
        }
    }

    pub fn enabled(&self) -> bool {
        matches!(self, EmailDriver::Smtp { .. })
    }

    /// Sends by SMTP; the outbox driver sends nothing (the caller records it).
    pub async fn send(&self, message: EmailMessage<'_>) -> Result<(), DeliveryError> {
        let EmailDriver::Smtp { transport, from } = self else {
            return Ok(());
        };
        let email = Message::builder()
            .from(from.clone())
            .to(message.to.mailbox())
            .subject(message.subject)
            .header(ContentType::TEXT_PLAIN)
            .body(message.body.to_owned())
            .map_err(|e| DeliveryError::Refused(format!("building the email: {e}")))?;
        transport.send(email).await.map_err(|e| {
            DeliveryError::Refused(format!("the mail server refused the email: {e}"))
        })?;
        Ok(())
    }
}
