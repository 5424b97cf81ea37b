//! Computers enrolled by ad-hoc sessions, and the company's groups of them. A computer
//! is in groups while its session is live; `adhoc` adds it to the system group on
//! activation and takes it out of every group when the session ends or expires.

use sqlx::FromRow;
use uuid::Uuid;

use super::adhoc::ran_out;
use super::{on_conn, on_pool};
use super::{AdhocState, Conn, Store, StoreResult};

#[derive(Debug, Clone, FromRow)]
pub struct ComputerRecord {
    pub id: Uuid,
    pub hostname: String,
    pub os: String,
    pub os_version: String,
    pub username: String,
    pub agent_version: String,
    pub ip: String,
    pub adhoc_session_id: Option<Uuid>,
    pub adhoc_status: Option<AdhocState>,
    pub expires_at: Option<i64>,
}

#[derive(Debug, Clone, FromRow)]
pub struct GroupRecord {
    pub id: Uuid,
    pub name: String,
    pub system: bool,
}

impl ComputerRecord {
    /// The record as it stands at `now`: a computer whose session's 24 hours ran out
    /// shows it expired, as an ad-hoc record read then would.
    fn standing_at(mut self, now: i64) -> Self {
        if let Some(status) = self.adhoc_status {
            if ran_out(status, i64::MAX, self.expires_at, now) {
                self.adhoc_status = Some(AdhocState::Expired);
            }
        }
        self
    }
}

impl Store {
    /// The company's groups, the system group first, with their computers.
    pub async fn computer_groups(
        &self,
        company_id: Uuid,
        now: i64,
    ) -> StoreResult<Vec<(GroupRecord, Vec<ComputerRecord>)>> {
        on_pool!(self, |pool| {
            let mut tx = pool.begin().await?;
            system_group((&mut *tx).into(), company_id, now).await?;
            tx.commit().await?;
            let groups: Vec<GroupRecord> = sqlx::query_as(
            "SELECT id, name, system FROM computer_groups WHERE company_id = $1 ORDER BY system DESC, name",
        )
        .bind(company_id)
        .fetch_all(pool)
        .await?;
            let mut out = Vec::with_capacity(groups.len());
            for group in groups {
                let computers: Vec<ComputerRecord> = sqlx::query_as(
                "SELECT c.id, c.hostname, c.os, c.os_version, c.username, c.agent_version, c.ip, \
                        a.id AS adhoc_session_id, a.status AS adhoc_status, a.expires_at \
                 FROM computer_group_members m JOIN computers c ON c.id = m.computer_id \
                 LEFT JOIN adhoc_sessions a ON a.computer_id = c.id \
                 WHERE m.group_id = $1 ORDER BY c.hostname",
            )
            .bind(group.id)
            .fetch_all(pool)
            .await?;
                // A computer is in groups while its session is live; one whose time ran
                // out leaves them at the next sweep, and is not listed meanwhile.
                let computers = computers
                    .into_iter()
                    .map(|computer| computer.standing_at(now))
                    .filter(|computer| computer.adhoc_status.is_none_or(AdhocState::is_live))
                    .collect();
                out.push((group, computers));
            }
            Ok(out)
        })
    }

    pub async fn create_computer_group(
        &self,
        company_id: Uuid,
        name: &str,
        now: i64,
    ) -> StoreResult<GroupRecord> {
        on_pool!(self, |pool| {
            let id = Uuid::new_v4();
            sqlx::query("INSERT INTO computer_groups (id, company_id, name, system, created_at) VALUES ($1, $2, $3, FALSE, $4)")
            .bind(id)
            .bind(company_id)
            .bind(name)
            .bind(now)
            .execute(pool)
            .await?;
            Ok(GroupRecord {
                id,
                name: name.to_owned(),
                system: false,
            })
        })
    }
}

/// The company's "Ad Hoc Support Sessions" group, created on first use.
pub(super) async fn system_group(conn: Conn<'_>, company_id: Uuid, now: i64) -> StoreResult<Uuid> {
    on_conn!(conn, |c| {
        sqlx::query(
            "INSERT INTO computer_groups (id, company_id, name, system, created_at) \
             VALUES ($1, $2, $3, TRUE, $4) ON CONFLICT (company_id, name) DO NOTHING",
        )
        .bind(Uuid::new_v4())
        .bind(company_id)
        .bind(lifeline_protocol::ADHOC_GROUP_NAME)
        .bind(now)
        .execute(&mut *c)
        .await?;
        Ok(
            sqlx::query_scalar(
                "SELECT id FROM computer_groups WHERE company_id = $1 AND name = $2",
            )
            .bind(company_id)
            .bind(lifeline_protocol::ADHOC_GROUP_NAME)
            .fetch_one(&mut *c)
            .await?,
        )
    })
}

/// Takes the computer out of every group: its session is over.
pub(super) async fn leave_groups(conn: Conn<'_>, computer_id: Uuid) -> StoreResult<()> {
    on_conn!(conn, |c| {
        sqlx::query("DELETE FROM computer_group_members WHERE computer_id = $1")
            .bind(computer_id)
            .execute(c)
            .await?;
    });
    Ok(())
}
