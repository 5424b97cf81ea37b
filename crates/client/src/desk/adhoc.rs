//! Ad-hoc support at the desk: preparing a session, the computers, connecting to one
//! (its connection opens as a session tab) and ending.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, PoisonError};

use lifeline_protocol::{
    AdhocConnectionRecord, AdhocPrepared, AdhocSessionSummary, AdhocStatus, ComputerGroup,
    SessionSummary,
};
use uuid::Uuid;

use super::{Desk, DeskError};
use crate::keychain::Keychain;
use crate::{ApiClient, EnrollmentSecret};

/// The enrollment secrets (security code and verifier) of the ad-hoc sessions this app
/// prepared: in memory, and in the keychain so that the app answers the agent even when
/// it was closed while the person typed the code. Whatever page the app shows, the
/// realtime pump hands every waiting run here.
#[derive(Clone)]
pub(crate) struct Enrollments {
    keychain: Keychain,
    kept: Arc<Mutex<HashMap<Uuid, EnrollmentSecret>>>,
    /// Runs this app answered, so that a repeated notice is not answered twice.
    answered: Arc<Mutex<HashSet<Uuid>>>,
}

impl Enrollments {
    pub(crate) fn new(keychain: Keychain) -> Self {
        Self {
            keychain,
            kept: Arc::default(),
            answered: Arc::default(),
        }
    }

    fn server(api: &ApiClient) -> String {
        api.base_url().as_str().trim_end_matches('/').to_owned()
    }

    fn keep(&self, api: &ApiClient, id: Uuid, secret: &EnrollmentSecret) {
        self.kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, secret.clone());
        if let Err(err) = self
            .keychain
            .save_enrollment(&Self::server(api), id, secret)
        {
            // The app still answers while it runs; only a restart would lose the code.
            tracing::warn!(error = %err, "keeping the enrollment in the keychain failed");
        }
    }

    fn load(&self, api: &ApiClient, id: Uuid) -> Option<EnrollmentSecret> {
        if let Some(secret) = self
            .kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&id)
        {
            return Some(secret.clone());
        }
        match self.keychain.enrollment(&Self::server(api), id) {
            Ok(secret) => secret,
            Err(err) => {
                tracing::warn!(error = %err, "reading the enrollment from the keychain failed");
                None
            }
        }
    }

    fn forget(&self, api: &ApiClient, id: Uuid) {
        let kept = self
            .kept
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&id);
        if kept.is_some()
            || self
                .keychain
                .enrollment(&Self::server(api), id)
                .ok()
                .flatten()
                .is_some()
        {
            if let Err(err) = self.keychain.forget_enrollment(&Self::server(api), id) {
                tracing::warn!(error = %err, "forgetting the enrollment failed");
            }
        }
    }

    /// Answers the session's waiting run if this app holds its secret and the secret
    /// allows another answer; forgets the secret once the session no longer waits.
    pub(crate) async fn serve(&self, api: &ApiClient, session: &AdhocSessionSummary) {
        if session.status != AdhocStatus::Prepared {
            self.forget(api, session.id);
            return;
        }
        let Some(pending) = &session.enrollment else {
            return;
        };
        if !self
            .answered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(pending.id)
        {
            return;
        }
        let Some(mut secret) = self.load(api, session.id) else {
            tracing::info!(adhoc = %session.id, "an enrollment waits for the app that prepared the session");
            return;
        };
        if !secret.may_answer() {
            tracing::warn!(adhoc = %session.id, "enrollment not answered: the code has had all its runs");
            return;
        }
        // Counted before it is sent: an answer lost on the way still let someone guess.
        secret.answers += 1;
        self.keep(api, session.id, &secret);
        match api.answer_enrollment(session.id, pending, &secret).await {
            Ok(()) => tracing::info!(adhoc = %session.id, "enrollment answered"),
            Err(err) => {
                tracing::warn!(adhoc = %session.id, error = %err, "answering the enrollment failed")
            }
        }
    }

    /// Answers every run waiting on the technician's sessions (at sign-in and after a
    /// reconnect, for agents that started while the app was away).
    pub(crate) async fn serve_all(&self, api: &ApiClient) {
        match api.adhoc_sessions().await {
            Ok(sessions) => {
                for session in sessions {
                    self.serve(api, &session).await;
                }
            }
            Err(err) => {
                tracing::warn!(error = %err, "listing ad hoc sessions for enrollments failed")
            }
        }
    }
}

impl Desk {
    /// Prepares an ad-hoc session and emails the end user; the answer holds the
    /// security code, to be shown once. The password and the code stay on this
    /// computer, kept to answer the agent's enrollment.
    pub async fn prepare_adhoc(
        &self,
        email: &str,
        password: &str,
        confirmation: &str,
    ) -> Result<AdhocPrepared, DeskError> {
        let locale = self.locale();
        let api = self.api().await?;
        let prepared = api
            .prepare_adhoc(email, password, confirmation, Some(locale))
            .await?;
        self.enrollments
            .keep(&api, prepared.session.id, &prepared.secret);
        Ok(AdhocPrepared {
            session: prepared.session,
            security_code: prepared.security_code,
        })
    }

    pub async fn adhoc_sessions(&self) -> Result<Vec<AdhocSessionSummary>, DeskError> {
        Ok(self.api().await?.adhoc_sessions().await?)
    }

    /// Whether the person at an ad-hoc computer must allow a view (admins only).
    pub async fn adhoc_policy(&self) -> Result<lifeline_protocol::AdhocPolicy, DeskError> {
        Ok(self.api().await?.adhoc_policy().await?)
    }

    pub async fn set_adhoc_policy(
        &self,
        policy: lifeline_protocol::AdhocPolicy,
    ) -> Result<lifeline_protocol::AdhocPolicy, DeskError> {
        Ok(self.api().await?.set_adhoc_policy(&policy).await?)
    }

    /// The company's computer groups, Ad Hoc Support Sessions first.
    pub async fn computers(&self) -> Result<Vec<ComputerGroup>, DeskError> {
        Ok(self.api().await?.computers().await?)
    }

    /// Connects to the computer of an ad-hoc session; its agent checks the password.
    pub async fn connect_computer(
        &self,
        adhoc_session_id: Uuid,
        password: &str,
    ) -> Result<SessionSummary, DeskError> {
        Ok(self
            .api()
            .await?
            .connect_adhoc(adhoc_session_id, password)
            .await?)
    }

    pub async fn adhoc_connections(
        &self,
        adhoc_session_id: Uuid,
    ) -> Result<Vec<AdhocConnectionRecord>, DeskError> {
        Ok(self
            .api()
            .await?
            .adhoc_connections(adhoc_session_id)
            .await?)
    }

    /// Ends the ad-hoc session: the agent removes itself and the slot is free.
    pub async fn end_adhoc(
        &self,
        adhoc_session_id: Uuid,
    ) -> Result<AdhocSessionSummary, DeskError> {
        Ok(self.api().await?.end_adhoc(adhoc_session_id).await?)
    }
}
