//! The fixed sets of values the store keeps as text, decoded into enums at the store's
//! edge: handlers match on variants, never on string literals. A value outside the set
//! fails the read as a decode error (a corrupt row), instead of falling through a
//! wildcard arm somewhere.

/// Where a support-key session stands, as stored. Whether a waiting session's key has
/// expired is not stored: it follows from `key_expires_at` and the clock.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "TEXT", rename_all = "lowercase")]
pub enum SessionState {
    /// Created; the end user has not joined yet.
    Waiting,
    /// The end user joined.
    Active,
    /// Ended by the technician (or the service); nothing more can happen in it.
    Ended,
}

/// Where an ad-hoc session stands, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "TEXT", rename_all = "lowercase")]
pub enum AdhocState {
    /// Prepared by the technician; no computer has enrolled with the code yet.
    Prepared,
    /// A computer enrolled; it lasts 24 hours from then.
    Active,
    /// Ended by the technician or the person at the computer.
    Ended,
    /// Its code or its 24 hours ran out.
    Expired,
}

impl AdhocState {
    /// Prepared or active: it holds a licence slot and can still be used.
    pub fn is_live(self) -> bool {
        matches!(self, AdhocState::Prepared | AdhocState::Active)
    }
}

impl From<AdhocState> for lifeline_protocol::AdhocStatus {
    fn from(state: AdhocState) -> Self {
        match state {
            AdhocState::Prepared => Self::Prepared,
            AdhocState::Active => Self::Active,
            AdhocState::Ended => Self::Ended,
            AdhocState::Expired => Self::Expired,
        }
    }
}

/// How an audited connection attempt to an ad-hoc computer went.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "TEXT", rename_all = "snake_case")]
pub enum ConnectionState {
    /// Waiting for the agent's answer.
    Pending,
    Accepted,
    /// The agent refused the password.
    Refused,
    /// The agent did not answer in time.
    TimedOut,
}

impl From<ConnectionState> for lifeline_protocol::ConnectionOutcome {
    fn from(state: ConnectionState) -> Self {
        match state {
            ConnectionState::Pending => Self::Pending,
            ConnectionState::Accepted => Self::Accepted,
            ConnectionState::Refused => Self::Refused,
            ConnectionState::TimedOut => Self::TimedOut,
        }
    }
}

/// A party as the store keeps it (`technician`, `end_user`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "TEXT", rename_all = "snake_case")]
pub enum StoredParty {
    Technician,
    EndUser,
}

impl From<lifeline_protocol::Party> for StoredParty {
    fn from(party: lifeline_protocol::Party) -> Self {
        match party {
            lifeline_protocol::Party::Technician => Self::Technician,
            lifeline_protocol::Party::EndUser => Self::EndUser,
        }
    }
}

impl From<StoredParty> for lifeline_protocol::Party {
    fn from(party: StoredParty) -> Self {
        match party {
            StoredParty::Technician => Self::Technician,
            StoredParty::EndUser => Self::EndUser,
        }
    }
}

/// How an outbox message was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, sqlx::Type)]
#[sqlx(type_name = "TEXT", rename_all = "lowercase")]
pub enum OutboxChannel {
    Sms,
    Email,
}

impl OutboxChannel {
    pub fn as_str(self) -> &'static str {
        match self {
            OutboxChannel::Sms => "sms",
            OutboxChannel::Email => "email",
        }
    }
}

impl From<OutboxChannel> for lifeline_protocol::InviteChannel {
    fn from(channel: OutboxChannel) -> Self {
        match channel {
            OutboxChannel::Sms => Self::Sms,
            OutboxChannel::Email => Self::Email,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn states_read_back_as_themselves_and_unknown_text_is_an_error() {
        let pool = sqlx::SqlitePool::connect("sqlite::memory:")
            .await
            .expect("database");
        for state in [
            AdhocState::Prepared,
            AdhocState::Active,
            AdhocState::Ended,
            AdhocState::Expired,
        ] {
            let back: AdhocState = sqlx::query_scalar("SELECT $1")
                .bind(state)
                .fetch_one(&pool)
                .await
                .expect("read back");
            assert_eq!(back, state);
        }
        let stored: String = sqlx::query_scalar("SELECT $1")
            .bind(SessionState::Waiting)
            .fetch_one(&pool)
            .await
            .expect("as text");
        assert_eq!(stored, "waiting", "the text the migrations' rows hold");
        for (value, text) in [
            (
                sqlx::query_scalar::<_, String>("SELECT $1")
                    .bind(ConnectionState::TimedOut)
                    .fetch_one(&pool)
                    .await,
                "timed_out",
            ),
            (
                sqlx::query_scalar::<_, String>("SELECT $1")
                    .bind(StoredParty::EndUser)
                    .fetch_one(&pool)
                    .await,
                "end_user",
            ),
            (
                sqlx::query_scalar::<_, String>("SELECT $1")
                    .bind(OutboxChannel::Sms)
                    .fetch_one(&pool)
                    .await,
                "sms",
            ),
        ] {
            assert_eq!(value.expect("as text"), text);
        }
        for party in [
            lifeline_protocol::Party::Technician,
            lifeline_protocol::Party::EndUser,
        ] {
            let stored: String = sqlx::query_scalar("SELECT $1")
                .bind(StoredParty::from(party))
                .fetch_one(&pool)
                .await
                .expect("as text");
            assert_eq!(stored, party.as_str(), "the text events and files hold");
        }
        let unknown = sqlx::query_scalar::<_, SessionState>("SELECT 'paused'")
            .fetch_one(&pool)
            .await;
        assert!(unknown.is_err(), "an unknown state is a decode error");
    }
}
