use lifeline_protocol::ComputerInfo;
use sqlx::FromRow;
use uuid::Uuid;

use super::computers::{leave_groups, system_group};
use super::on_pool;
use super::{AdhocState, Store, StoreError, StoreResult};
use crate::auth::tokens::TokenHash;

#[derive(Debug, Clone, FromRow)]
pub struct AdhocRecord {
    pub id: Uuid,
    pub technician_id: Uuid,
    pub technician_name: String,
    pub company_id: Uuid,
    pub end_user_email: String,
    /// JSON of the verifier's `AdhocKeyParams` (salt and cost, no public key).
    pub verifier: String,
    /// The agent's current single-use challenge.
    pub challenge_nonce: Option<String>,
    pub code_attempts: i64,
    pub code_expires_at: i64,
    pub status: AdhocState,
    pub created_at: i64,
    pub activated_at: Option<i64>,
    pub expires_at: Option<i64>,
    pub computer_id: Option<Uuid>,
    /// The enrollment run in progress, if any (see `store::adhoc::Enrollment`).
    pub enrollment_id: Option<Uuid>,
    pub enrollment_message: Option<String>,
    pub enrollment_computer: Option<String>,
    pub enrollment_ip: Option<String>,
    pub enrollment_started_at: Option<i64>,
    pub enrollment_answer: Option<String>,
    pub enrollment_grant_hash: Option<crate::adhoc::GrantHash>,
}

pub struct NewAdhoc<'a> {
    pub id: Uuid,
    pub technician_id: Uuid,
    pub company_id: Uuid,
    pub end_user_email: &'a str,
    /// JSON of the verifier's salt and cost.
    pub key_params: &'a str,
    pub code_expires_at: i64,
    pub now: i64,
}

/// Why a session could not be prepared; nothing was written in either case.
#[derive(Debug)]
pub enum PrepareOutcome {
    Prepared(Box<AdhocRecord>),
    NoFreeSlot { total: i64 },
    TechnicianHasOne,
}

/// One enrollment run as the agent starts it.
pub struct Enrollment<'a> {
    pub id: Uuid,
    pub message: &'a str,
    /// JSON of the cleaned `ComputerInfo`.
    pub computer: &'a str,
    pub ip: &'a str,
    pub now: i64,
}

pub struct Activation<'a> {
    pub enrollment_id: Uuid,
    pub agent_token_hash: &'a TokenHash,
    pub computer: &'a ComputerInfo,
    pub ip: &'a str,
    pub lifetime_ms: i64,
    pub now: i64,
}

const SELECT_ADHOC: &str = "SELECT a.id, a.technician_id, t.display_name AS technician_name, a.company_id, \
     a.end_user_email, a.password_verifier AS verifier, a.challenge_nonce, a.code_attempts, a.code_expires_at, a.status, a.created_at, \
     a.activated_at, a.expires_at, a.computer_id, a.enrollment_id, a.enrollment_message, \
     a.enrollment_computer, a.enrollment_ip, a.enrollment_started_at, a.enrollment_answer, \
     a.enrollment_grant_hash \
     FROM adhoc_sessions a JOIN technicians t ON t.id = a.technician_id";

/// SQL that holds while the session `a` is live at the instant in parameter `now`
/// (such as `$2`): prepared with its code still good, or active within its 24 hours.
/// Whether a stored status has run out is decided here and in [`AdhocRecord`]'s reads,
/// not by when the sweep got to it.
pub(super) fn live_at(now: &str) -> String {
    format!(
        "((a.status = 'prepared' AND a.code_expires_at > {now}) \
          OR (a.status = 'active' AND a.expires_at > {now}))"
    )
}

/// Whether a session with this stored status has run out at `now`.
pub(super) fn ran_out(
    status: AdhocState,
    code_expires_at: i64,
    expires_at: Option<i64>,
    now: i64,
) -> bool {
    match status {
        AdhocState::Prepared => code_expires_at <= now,
        AdhocState::Active => expires_at.is_some_and(|at| at <= now),
        AdhocState::Ended | AdhocState::Expired => false,
    }
}

impl AdhocRecord {
    /// The record as it stands at `now`: a live session whose code or 24 hours ran out
    /// reads as expired, whether or not the sweep has stored that yet.
    fn standing_at(mut self, now: i64) -> Self {
        if ran_out(self.status, self.code_expires_at, self.expires_at, now) {
            self.status = AdhocState::Expired;
        }
        self
    }
}

impl Store {
    /// Marks sessions whose time is up as expired and takes their computers out of every
    /// group. Returns the sessions that expired now.
    pub async fn expire_due_adhoc(&self, now: i64) -> StoreResult<Vec<Uuid>> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let expired: Vec<(Uuid, Option<Uuid>)> = sqlx::query_as(
                "UPDATE adhoc_sessions SET status = 'expired', ended_at = $1, code_hash = NULL \
             WHERE (status = 'prepared' AND code_expires_at <= $1) \
                OR (status = 'active' AND expires_at <= $1) \
             RETURNING id, computer_id",
            )
            .bind(now)
            .fetch_all(&mut *tx)
            .await?;
            for (_, computer) in &expired {
                if let Some(computer) = computer {
                    leave_groups((&mut *tx).into(), *computer).await?;
                }
            }
            tx.commit().await?;
            Ok(expired.into_iter().map(|(id, _)| id).collect())
        })
    }

    /// Prepares a session if the company has a free slot and the technician has no live one.
    pub async fn prepare_adhoc(&self, new: NewAdhoc<'_>) -> StoreResult<PrepareOutcome> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            // A write first, so this transaction holds the lock while it counts slots.
            sqlx::query("UPDATE companies SET adhoc_slots = adhoc_slots WHERE id = $1")
                .bind(new.company_id)
                .execute(&mut *tx)
                .await?;
            let (total, used): (i64, i64) = sqlx::query_as(&format!(
                "SELECT c.adhoc_slots, (SELECT COUNT(*) FROM adhoc_sessions a \
               WHERE a.company_id = c.id AND {}) FROM companies c WHERE c.id = $1",
                live_at("$2")
            ))
            .bind(new.company_id)
            .bind(new.now)
            .fetch_one(&mut *tx)
            .await?;
            let has_one: bool = sqlx::query_scalar(&format!(
                "SELECT EXISTS (SELECT 1 FROM adhoc_sessions a WHERE a.technician_id = $1 AND {})",
                live_at("$2")
            ))
            .bind(new.technician_id)
            .bind(new.now)
            .fetch_one(&mut *tx)
            .await?;
            if has_one {
                return Ok(PrepareOutcome::TechnicianHasOne);
            }
            if used >= total {
                return Ok(PrepareOutcome::NoFreeSlot { total });
            }
            sqlx::query(
            "INSERT INTO adhoc_sessions (id, technician_id, company_id, end_user_email, password_verifier, \
             code_expires_at, status, created_at) VALUES ($1, $2, $3, $4, $5, $6, 'prepared', $7)",
        )
        .bind(new.id)
        .bind(new.technician_id)
        .bind(new.company_id)
        .bind(new.end_user_email)
        .bind(new.key_params)
        .bind(new.code_expires_at)
        .bind(new.now)
        .execute(&mut *tx)
        .await?;
            tx.commit().await?;
            let record = self
                .adhoc(new.id, new.now)
                .await?
                .ok_or_else(|| StoreError::Corrupt("ad-hoc session vanished".into()))?;
            Ok(PrepareOutcome::Prepared(Box::new(record)))
        })
    }

    /// Forgets a prepared session whose invite could not be sent, freeing its slot.
    pub async fn delete_prepared_adhoc(&self, id: Uuid) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("DELETE FROM adhoc_sessions WHERE id = $1 AND status = 'prepared'")
                .bind(id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// The session as it stands at `now` (see [`AdhocRecord`]'s `standing_at`).
    pub async fn adhoc(&self, id: Uuid, now: i64) -> StoreResult<Option<AdhocRecord>> {
        let record: Option<AdhocRecord> = on_pool!(self, |pool| {
            sqlx::query_as(&format!("{SELECT_ADHOC} WHERE a.id = $1"))
                .bind(id)
                .fetch_optional(pool)
                .await?
        });
        Ok(record.map(|record| record.standing_at(now)))
    }

    pub async fn adhoc_of_technician(
        &self,
        technician_id: Uuid,
        limit: i64,
        now: i64,
    ) -> StoreResult<Vec<AdhocRecord>> {
        let records: Vec<AdhocRecord> = on_pool!(self, |pool| {
            sqlx::query_as(&format!(
                "{SELECT_ADHOC} WHERE a.technician_id = $1 ORDER BY a.created_at DESC LIMIT $2"
            ))
            .bind(technician_id)
            .bind(limit)
            .fetch_all(pool)
            .await?
        });
        Ok(records
            .into_iter()
            .map(|record| record.standing_at(now))
            .collect())
    }

    pub async fn adhoc_by_agent_token(
        &self,
        token_hash: &TokenHash,
        now: i64,
    ) -> StoreResult<Option<AdhocRecord>> {
        let record: Option<AdhocRecord> = on_pool!(self, |pool| {
            sqlx::query_as(&format!("{SELECT_ADHOC} WHERE a.agent_token_hash = $1"))
                .bind(token_hash)
                .fetch_optional(pool)
                .await?
        });
        Ok(record.map(|record| record.standing_at(now)))
    }

    /// Starts an enrollment run on a prepared session whose code is still good and has
    /// runs left, counting the run and replacing any earlier one. `None` otherwise.
    pub async fn start_enrollment(
        &self,
        id: Uuid,
        run: Enrollment<'_>,
    ) -> StoreResult<Option<AdhocRecord>> {
        on_pool!(self, |pool| {
            let started: Option<Uuid> = sqlx::query_scalar(
                "UPDATE adhoc_sessions SET code_attempts = code_attempts + 1, enrollment_id = $1, \
             enrollment_message = $2, enrollment_computer = $3, enrollment_ip = $4, \
             enrollment_started_at = $5, enrollment_answer = NULL, enrollment_grant_hash = NULL \
             WHERE id = $6 AND status = 'prepared' AND code_attempts < $7 AND code_expires_at > $5 \
             RETURNING id",
            )
            .bind(run.id)
            .bind(run.message)
            .bind(run.computer)
            .bind(run.ip)
            .bind(run.now)
            .bind(id)
            .bind(i64::from(lifeline_protocol::MAX_CODE_ATTEMPTS))
            .fetch_optional(pool)
            .await?;
            match started {
                Some(_) => self.adhoc(id, run.now).await,
                None => Ok(None),
            }
        })
    }

    /// Records the technician's answer to the run in progress; false when the run is not
    /// the current one or already answered.
    pub async fn answer_enrollment(
        &self,
        id: Uuid,
        enrollment_id: Uuid,
        answer: &str,
        grant_hash: &crate::adhoc::GrantHash,
    ) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            let done = sqlx::query(
            "UPDATE adhoc_sessions SET enrollment_answer = $1, enrollment_grant_hash = $2 \
             WHERE id = $3 AND enrollment_id = $4 AND status = 'prepared' AND enrollment_answer IS NULL",
        )
        .bind(answer)
        .bind(grant_hash)
        .bind(id)
        .bind(enrollment_id)
        .execute(pool)
        .await?;
            Ok(done.rows_affected() == 1)
        })
    }

    /// Ends the run in progress without activating (a grant that did not match).
    pub async fn drop_enrollment(&self, id: Uuid, enrollment_id: Uuid) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query(
                "UPDATE adhoc_sessions SET enrollment_id = NULL, enrollment_message = NULL, \
             enrollment_computer = NULL, enrollment_ip = NULL, enrollment_started_at = NULL, \
             enrollment_answer = NULL, enrollment_grant_hash = NULL \
             WHERE id = $1 AND enrollment_id = $2",
            )
            .bind(id)
            .bind(enrollment_id)
            .execute(pool)
            .await?;
            Ok(())
        })
    }

    /// Activates the session after the run `activation.enrollment_id` was answered and its
    /// grant matched. `None` when it is no longer that run's session to activate.
    pub async fn activate_adhoc(
        &self,
        id: Uuid,
        activation: Activation<'_>,
    ) -> StoreResult<Option<AdhocRecord>> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let computer_id = Uuid::new_v4();
            let activated: Option<Uuid> = sqlx::query_scalar(
                "UPDATE adhoc_sessions SET status = 'active', activated_at = $1, \
             expires_at = $1 + $2, agent_token_hash = $3, computer_id = $4, enrollment_id = NULL, \
             enrollment_message = NULL, enrollment_computer = NULL, enrollment_ip = NULL, \
             enrollment_started_at = NULL, enrollment_answer = NULL, enrollment_grant_hash = NULL \
             WHERE id = $5 AND status = 'prepared' AND enrollment_id = $6 \
               AND enrollment_answer IS NOT NULL AND code_expires_at > $1 RETURNING company_id",
            )
            .bind(activation.now)
            .bind(activation.lifetime_ms)
            .bind(activation.agent_token_hash)
            .bind(computer_id)
            .bind(id)
            .bind(activation.enrollment_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(company_id) = activated else {
                return Ok(None);
            };
            let c = activation.computer;
            sqlx::query(
            "INSERT INTO computers (id, company_id, hostname, os, os_version, username, agent_version, ip, created_at, last_seen_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(computer_id)
        .bind(company_id)
        .bind(&c.hostname)
        .bind(&c.os)
        .bind(&c.os_version)
        .bind(&c.user)
        .bind(&c.agent_version)
        .bind(activation.ip)
        .bind(activation.now)
        .bind(activation.now)
        .execute(&mut *tx)
        .await?;
            let group = system_group((&mut *tx).into(), company_id, activation.now).await?;
            sqlx::query(
                "INSERT INTO computer_group_members (group_id, computer_id) VALUES ($1, $2)",
            )
            .bind(group)
            .bind(computer_id)
            .execute(&mut *tx)
            .await?;
            tx.commit().await?;
            self.adhoc(id, activation.now).await
        })
    }

    /// Replaces what is kept of the session's verifier.
    pub async fn set_adhoc_verifier(&self, id: Uuid, verifier: &str) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE adhoc_sessions SET verifier = $1 WHERE id = $2")
                .bind(verifier)
                .bind(id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    /// Ends a live session; false when it was not live.
    pub async fn end_adhoc(&self, id: Uuid, now: i64) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            let ended: Option<Option<Uuid>> = sqlx::query_scalar(&format!(
                "UPDATE adhoc_sessions SET status = 'ended', ended_at = $1, code_hash = NULL \
             WHERE id = $2 AND id IN (SELECT a.id FROM adhoc_sessions a WHERE {}) \
             RETURNING computer_id",
                live_at("$1")
            ))
            .bind(now)
            .bind(id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some(computer) = ended else {
                return Ok(false);
            };
            if let Some(computer) = computer {
                leave_groups((&mut *tx).into(), computer).await?;
            }
            tx.commit().await?;
            Ok(true)
        })
    }

    /// The company's slots, and how many live sessions hold one at `now`.
    pub async fn licence_slots(&self, company_id: Uuid, now: i64) -> StoreResult<(i64, i64)> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_as(&format!(
                "SELECT c.adhoc_slots, (SELECT COUNT(*) FROM adhoc_sessions a \
               WHERE a.company_id = c.id AND {}) FROM companies c WHERE c.id = $1",
                live_at("$2")
            ))
            .bind(company_id)
            .bind(now)
            .fetch_one(pool)
            .await?)
        })
    }

    /// Whether a live session's time is up at `now` and the sweep has yet to store it.
    pub async fn adhoc_due(&self, now: i64) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            Ok(sqlx::query_scalar(
                "SELECT EXISTS (SELECT 1 FROM adhoc_sessions \
                 WHERE (status = 'prepared' AND code_expires_at <= $1) \
                    OR (status = 'active' AND expires_at <= $1))",
            )
            .bind(now)
            .fetch_one(pool)
            .await?)
        })
    }

    /// The company's rule for asking the person at an ad-hoc computer.
    pub async fn control_confirmation(
        &self,
        company_id: Uuid,
    ) -> StoreResult<lifeline_protocol::ControlConfirmation> {
        on_pool!(self, |pool| {
            use lifeline_protocol::ControlConfirmation;
            let (value,): (String,) =
                sqlx::query_as("SELECT adhoc_control_confirmation FROM companies WHERE id = $1")
                    .bind(company_id)
                    .fetch_one(pool)
                    .await?;
            match value.as_str() {
                "always" => Ok(ControlConfirmation::Always),
                "when_present" => Ok(ControlConfirmation::WhenPresent),
                "never" => Ok(ControlConfirmation::Never),
                other => Err(super::StoreError::Corrupt(format!(
                    "control confirmation {other:?}"
                ))),
            }
        })
    }

    pub async fn set_control_confirmation(
        &self,
        company_id: Uuid,
        value: lifeline_protocol::ControlConfirmation,
    ) -> StoreResult<()> {
        on_pool!(self, |pool| {
            use lifeline_protocol::ControlConfirmation;
            let value = match value {
                ControlConfirmation::Always => "always",
                ControlConfirmation::WhenPresent => "when_present",
                ControlConfirmation::Never => "never",
            };
            sqlx::query("UPDATE companies SET adhoc_control_confirmation = $1 WHERE id = $2")
                .bind(value)
                .bind(company_id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    pub async fn set_licence_slots(&self, company_id: Uuid, total: i64) -> StoreResult<()> {
        on_pool!(self, |pool| {
            sqlx::query("UPDATE companies SET adhoc_slots = $1 WHERE id = $2")
                .bind(total)
                .bind(company_id)
                .execute(pool)
                .await?;
            Ok(())
        })
    }

    pub async fn set_licence_slots_by_name(&self, company: &str, total: i64) -> StoreResult<bool> {
        on_pool!(self, |pool| {
            Ok(
                sqlx::query("UPDATE companies SET adhoc_slots = $1 WHERE name = $2")
                    .bind(total)
                    .bind(company)
                    .execute(pool)
                    .await?
                    .rows_affected()
                    == 1,
            )
        })
    }
}
