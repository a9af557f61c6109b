//! The queries claims runs; each takes the connection or transaction to run on.

use chrono::{DateTime, Utc};
use gigshield_kit::area_span::{AreaSpan, inside_or_province};
use gigshield_kit::db::is_postgres;
use gigshield_kit::pii::PiiVault;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, QueryTrait, Statement,
};
use uuid::Uuid;

use crate::domain::history::HistoryAction;
use crate::domain::lifecycle::ClaimStatus;

use super::entities::{
    appeal, appraisal, assessment, beneficiary_account, claim, claim_event, claim_history,
    payout_ledger, payout_schedule, payout_step, route,
};

// --- routes -------------------------------------------------------------------------------------

pub async fn routes(conn: &impl ConnectionTrait) -> Result<Vec<route::Model>, DbErr> {
    route::Entity::find()
        .order_by_asc(route::Column::ProvinceCode)
        .order_by_asc(route::Column::PlatformKey)
        .all(conn)
        .await
}

pub async fn put_route(conn: &impl ConnectionTrait, row: route::Model) -> Result<(), DbErr> {
    route::Entity::insert(row.into_active_model().reset_all())
        .on_conflict(
            OnConflict::columns([route::Column::ProvinceCode, route::Column::PlatformKey])
                .update_columns([route::Column::InsurerId, route::Column::UpdatedAt])
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

// --- claims -------------------------------------------------------------------------------------

pub async fn claim(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<claim::Model>, DbErr> {
    claim::Entity::find_by_id(id).one(conn).await
}

/// The claim, locked until the transaction ends, so concurrent changes to one claim queue up
/// and its events keep their order.
pub async fn claim_for_update(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<claim::Model>, DbErr> {
    claim::Entity::find_by_id(id)
        .lock_exclusive()
        .one(conn)
        .await
}

pub async fn claim_by_incident(
    conn: &impl ConnectionTrait,
    incident_id: Uuid,
) -> Result<Option<claim::Model>, DbErr> {
    claim::Entity::find()
        .filter(claim::Column::IncidentId.eq(incident_id))
        .one(conn)
        .await
}

/// The person's claims (for the duplicate rule).
pub async fn claims_of(
    conn: &impl ConnectionTrait,
    person_id: Uuid,
) -> Result<Vec<claim::Model>, DbErr> {
    claim::Entity::find()
        .filter(claim::Column::PersonId.eq(person_id))
        .order_by_asc(claim::Column::OccurredAt)
        .all(conn)
        .await
}

pub async fn insert_claim(conn: &impl ConnectionTrait, row: claim::Model) -> Result<(), DbErr> {
    claim::Entity::insert(row.into_active_model().reset_all())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

pub async fn update_claim(conn: &impl ConnectionTrait, row: claim::Model) -> Result<(), DbErr> {
    row.into_active_model().reset_all().update(conn).await?;
    Ok(())
}

/// The review queue after `after` (keyset by id, which is time-ordered UUIDv7), for one
/// insurer or for everyone.
/// Whose claims a listing shows.
#[derive(Debug, Clone)]
pub enum QueueOf {
    Insurer(Uuid),
    /// Claims placed in an area (`Jurisdiction::sql_patterns`); `None` is everywhere.
    Area(Option<(String, String)>),
}

/// Claims waiting for a human, the earliest due date first, keyset-paged on (due date, id).
pub async fn review_queue(
    conn: &impl ConnectionTrait,
    of: QueueOf,
    after: Option<(String, Uuid)>,
    limit: u64,
) -> Result<Vec<claim::Model>, DbErr> {
    let mut query = claim::Entity::find().filter(
        claim::Column::Status.is_in(ClaimStatus::AWAITING_DECISION.map(ClaimStatus::as_str)),
    );
    query = in_queue_of(query, of);
    if let Some((due, id)) = after {
        query = query.filter(
            sea_orm::Condition::any()
                .add(claim::Column::DeterminationDueOn.gt(due.clone()))
                .add(
                    sea_orm::Condition::all()
                        .add(claim::Column::DeterminationDueOn.eq(due))
                        .add(claim::Column::Id.gt(id)),
                ),
        );
    }
    query
        .order_by_asc(claim::Column::DeterminationDueOn)
        .order_by_asc(claim::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// Claims waiting for a human whose due date is before `today` and that were not flagged yet,
/// locked, at most `limit` (earliest due first).
pub async fn newly_overdue(
    conn: &impl ConnectionTrait,
    today: &str,
    limit: u64,
) -> Result<Vec<claim::Model>, DbErr> {
    claim::Entity::find()
        .filter(
            claim::Column::Status.is_in(ClaimStatus::AWAITING_DECISION.map(ClaimStatus::as_str)),
        )
        .filter(claim::Column::DeterminationDueOn.ne(""))
        .filter(claim::Column::DeterminationDueOn.lt(today))
        .filter(claim::Column::OverdueAt.is_null())
        .order_by_asc(claim::Column::DeterminationDueOn)
        .order_by_asc(claim::Column::Id)
        .limit(limit)
        .lock_exclusive()
        .all(conn)
        .await
}

/// Claims waiting for a human whose determination was due before `today`.
pub async fn overdue_open(conn: &impl ConnectionTrait, today: &str) -> Result<u64, DbErr> {
    claim::Entity::find()
        .filter(
            claim::Column::Status.is_in(ClaimStatus::AWAITING_DECISION.map(ClaimStatus::as_str)),
        )
        .filter(claim::Column::DeterminationDueOn.ne(""))
        .filter(claim::Column::DeterminationDueOn.lt(today))
        .count(conn)
        .await
}

/// Confirmed claims whose assessment waits for a benefit figure, oldest first.
pub async fn awaiting_parameters(
    conn: &impl ConnectionTrait,
    of: QueueOf,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<claim::Model>, DbErr> {
    let mut query = claim::Entity::find().filter(claim::Column::AwaitingParameters.is_not_null());
    query = in_queue_of(query, of);
    if let Some(after) = after {
        query = query.filter(claim::Column::Id.gt(after));
    }
    query
        .order_by_asc(claim::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// Whose claims [`list_claims`] reads.
#[derive(Debug, Clone)]
pub enum ClaimsOf {
    Person(Uuid),
    Platform(Uuid),
    Queue(QueueOf),
}

/// A listing's filters besides whose claims they are.
#[derive(Debug, Clone, Default)]
pub struct ClaimFilter {
    pub person: Option<Uuid>,
    pub incident: Option<Uuid>,
    pub status: Option<ClaimStatus>,
}

/// Claims newest first (ids are UUIDv7), keyset-paged below `before`.
pub async fn list_claims(
    conn: &impl ConnectionTrait,
    of: ClaimsOf,
    filter: ClaimFilter,
    before: Option<Uuid>,
    limit: u64,
) -> Result<Vec<claim::Model>, DbErr> {
    let mut query = match of {
        ClaimsOf::Person(person) => {
            claim::Entity::find().filter(claim::Column::PersonId.eq(person))
        }
        ClaimsOf::Platform(platform) => {
            claim::Entity::find().filter(claim::Column::PlatformId.eq(platform))
        }
        ClaimsOf::Queue(of) => in_queue_of(claim::Entity::find(), of),
    };
    if let Some(person) = filter.person {
        query = query.filter(claim::Column::PersonId.eq(person));
    }
    if let Some(incident) = filter.incident {
        query = query.filter(claim::Column::IncidentId.eq(incident));
    }
    if let Some(status) = filter.status {
        query = query.filter(claim::Column::Status.eq(status.as_str()));
    }
    if let Some(before) = before {
        query = query.filter(claim::Column::Id.lt(before));
    }
    query
        .order_by_desc(claim::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// Claims filed in the span, inside its area, at most `limit`.
pub async fn filed_between(
    conn: &impl ConnectionTrait,
    span: AreaSpan<'_>,
    limit: u64,
) -> Result<Vec<claim::Model>, DbErr> {
    span.filter(
        claim::Entity::find(),
        claim::Column::FiledAt,
        claim::Column::RegionCode,
    )
    .limit(limit)
    .all(conn)
    .await
}

/// When the first payout of each claim filed in the span, inside its area, left: the earliest
/// approval (a payout to the registered account is approved as it is issued).
pub async fn first_payouts_filed_between(
    conn: &impl ConnectionTrait,
    span: AreaSpan<'_>,
) -> Result<std::collections::HashMap<Uuid, DateTime<Utc>>, DbErr> {
    let filed = span.ids::<claim::Entity>(
        claim::Column::Id,
        claim::Column::FiledAt,
        claim::Column::RegionCode,
    );
    let rows: Vec<(Uuid, Option<DateTime<Utc>>)> = payout_ledger::Entity::find()
        .select_only()
        .column(payout_ledger::Column::ClaimId)
        .column_as(payout_ledger::Column::ApprovedAt.min(), "paid_at")
        .filter(payout_ledger::Column::ApprovedAt.is_not_null())
        .filter(payout_ledger::Column::ClaimId.in_subquery(filed))
        .group_by(payout_ledger::Column::ClaimId)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .filter_map(|(claim, at)| at.map(|at| (claim, at)))
        .collect())
}

fn in_queue_of(
    mut query: sea_orm::Select<claim::Entity>,
    of: QueueOf,
) -> sea_orm::Select<claim::Entity> {
    match of {
        QueueOf::Insurer(insurer) => {
            query = query.filter(claim::Column::InsurerId.eq(insurer));
        }
        QueueOf::Area(None) => {}
        QueueOf::Area(Some((inside, province))) => {
            query = query.filter(inside_or_province(
                claim::Column::RegionCode,
                &inside,
                &province,
            ));
        }
    }
    query
}

// --- history ------------------------------------------------------------------------------------

pub async fn history(
    conn: &impl ConnectionTrait,
    claim_id: Uuid,
) -> Result<Vec<claim_history::Model>, DbErr> {
    claim_history::Entity::find()
        .filter(claim_history::Column::ClaimId.eq(claim_id))
        .order_by_asc(claim_history::Column::Number)
        .all(conn)
        .await
}

/// Appends a history entry. Callers hold the claim's row lock, so numbers do not collide.
/// Authenticated context of sealed history details.
pub const HISTORY_DETAIL: &[u8] = b"claim_history.detail";

/// Appends a history entry; its detail (which may quote a note, a question or appeal grounds)
/// is sealed.
pub async fn add_history(
    conn: &impl ConnectionTrait,
    vault: &PiiVault,
    claim_id: Uuid,
    at: DateTime<Utc>,
    actor: &str,
    action: HistoryAction,
    detail: String,
) -> Result<(), DbErr> {
    let last = claim_history::Entity::find()
        .filter(claim_history::Column::ClaimId.eq(claim_id))
        .order_by_desc(claim_history::Column::Number)
        .one(conn)
        .await?
        .map_or(0, |h| h.number);
    claim_history::Entity::insert(
        claim_history::Model {
            claim_id,
            number: last + 1,
            at,
            actor: actor.to_string(),
            action: action.as_str().to_string(),
            detail_sealed: vault.seal_text(&detail, HISTORY_DETAIL),
        }
        .into_active_model(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

// --- appraisals, assessments, payouts -------------------------------------------------------------

pub async fn appraisals(
    conn: &impl ConnectionTrait,
    claim_id: Uuid,
) -> Result<Vec<appraisal::Model>, DbErr> {
    appraisal::Entity::find()
        .filter(appraisal::Column::ClaimId.eq(claim_id))
        .order_by_asc(appraisal::Column::Version)
        .all(conn)
        .await
}

pub async fn insert_appraisal(
    conn: &impl ConnectionTrait,
    row: appraisal::Model,
) -> Result<(), DbErr> {
    appraisal::Entity::insert(row.into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

pub async fn latest_assessment(
    conn: &impl ConnectionTrait,
    claim_id: Uuid,
) -> Result<Option<assessment::Model>, DbErr> {
    assessment::Entity::find()
        .filter(assessment::Column::ClaimId.eq(claim_id))
        .order_by_desc(assessment::Column::Version)
        .one(conn)
        .await
}

pub async fn insert_assessment(
    conn: &impl ConnectionTrait,
    row: assessment::Model,
) -> Result<(), DbErr> {
    assessment::Entity::insert(row.into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

pub async fn schedule(
    conn: &impl ConnectionTrait,
    claim_id: Uuid,
) -> Result<Vec<payout_schedule::Model>, DbErr> {
    payout_schedule::Entity::find()
        .filter(payout_schedule::Column::ClaimId.eq(claim_id))
        .order_by_asc(payout_schedule::Column::DueMonth)
        .order_by_asc(payout_schedule::Column::IdempotencyKey)
        .all(conn)
        .await
}

/// Replaces the claim's schedule. Issued payouts live in the ledger, which is never touched
/// here, so replacing the plan cannot undo or repeat a payment.
pub async fn replace_schedule(
    conn: &impl ConnectionTrait,
    claim_id: Uuid,
    rows: Vec<payout_schedule::Model>,
) -> Result<(), DbErr> {
    payout_schedule::Entity::delete_many()
        .filter(payout_schedule::Column::ClaimId.eq(claim_id))
        .exec(conn)
        .await?;
    if rows.is_empty() {
        return Ok(());
    }
    payout_schedule::Entity::insert_many(rows.into_iter().map(|r| r.into_active_model()))
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The claim's ledger row with this key, locked.
pub async fn ledger_entry_for_update(
    conn: &impl ConnectionTrait,
    claim_id: Uuid,
    key: &str,
) -> Result<Option<payout_ledger::Model>, DbErr> {
    payout_ledger::Entity::find_by_id(key.to_string())
        .filter(payout_ledger::Column::ClaimId.eq(claim_id))
        .lock_exclusive()
        .one(conn)
        .await
}

/// The steps recorded after the claim's payouts were issued, in order per payout.
pub async fn payout_steps(
    conn: &impl ConnectionTrait,
    claim_id: Uuid,
) -> Result<Vec<payout_step::Model>, DbErr> {
    let keys = payout_ledger::Entity::find()
        .select_only()
        .column(payout_ledger::Column::IdempotencyKey)
        .filter(payout_ledger::Column::ClaimId.eq(claim_id))
        .into_query();
    payout_step::Entity::find()
        .filter(payout_step::Column::IdempotencyKey.in_subquery(keys))
        .order_by_asc(payout_step::Column::IdempotencyKey)
        .order_by_asc(payout_step::Column::Number)
        .all(conn)
        .await
}

pub async fn insert_payout_step(
    conn: &impl ConnectionTrait,
    row: payout_step::Model,
) -> Result<(), DbErr> {
    payout_step::Entity::insert(row.into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

pub async fn ledger(
    conn: &impl ConnectionTrait,
    claim_id: Uuid,
) -> Result<Vec<payout_ledger::Model>, DbErr> {
    payout_ledger::Entity::find()
        .filter(payout_ledger::Column::ClaimId.eq(claim_id))
        .order_by_asc(payout_ledger::Column::DueMonth)
        .order_by_asc(payout_ledger::Column::IdempotencyKey)
        .all(conn)
        .await
}

/// The person's registered beneficiary account (the latest version).
pub async fn beneficiary_account(
    conn: &impl ConnectionTrait,
    person_id: Uuid,
) -> Result<Option<beneficiary_account::Model>, DbErr> {
    beneficiary_account::Entity::find()
        .filter(beneficiary_account::Column::PersonId.eq(person_id))
        .order_by_desc(beneficiary_account::Column::Version)
        .one(conn)
        .await
}

pub async fn insert_beneficiary_account(
    conn: &impl ConnectionTrait,
    row: beneficiary_account::Model,
) -> Result<(), DbErr> {
    beneficiary_account::Entity::insert(row.into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Releases a held payout; false when it was released before.
pub async fn approve_ledger(
    conn: &impl ConnectionTrait,
    idempotency_key: &str,
    by: &str,
    at: DateTime<Utc>,
) -> Result<bool, DbErr> {
    let result = payout_ledger::Entity::update_many()
        .col_expr(
            payout_ledger::Column::ApprovedBy,
            Expr::value(by.to_string()),
        )
        .col_expr(payout_ledger::Column::ApprovedAt, Expr::value(at))
        .filter(payout_ledger::Column::IdempotencyKey.eq(idempotency_key))
        .filter(payout_ledger::Column::ApprovedBy.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Records a payment; false when its key was paid before (nothing is written then).
/// Confirmed claims of persons with a registered beneficiary account, with at least one payout
/// issued and a monthly instalment due through `through` (`YYYY-MM`) not in the ledger yet:
/// the monthly run's work, at most `limit` claims, in id order. (Claims it must pass over are
/// left out here, so they never crowd out the rest.)
pub async fn claims_with_due_instalments(
    conn: &impl ConnectionTrait,
    through: &str,
    limit: u64,
) -> Result<Vec<Uuid>, DbErr> {
    let rows = conn
        .query_all_raw(sea_orm::Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT DISTINCT s.claim_id FROM payout_schedule s \
             WHERE s.period <> 'once' AND s.due_month <= $1 \
             AND NOT EXISTS (SELECT 1 FROM payout_ledger l \
                             WHERE l.idempotency_key = s.idempotency_key) \
             AND EXISTS (SELECT 1 FROM payout_ledger l WHERE l.claim_id = s.claim_id) \
             AND EXISTS (SELECT 1 FROM claim c \
                         JOIN beneficiary_account b ON b.person_id = c.person_id \
                         WHERE c.id = s.claim_id AND c.status = $3) \
             ORDER BY s.claim_id LIMIT $2",
            [
                through.into(),
                i64::try_from(limit).unwrap_or(i64::MAX).into(),
                ClaimStatus::Confirmed.as_str().into(),
            ],
        ))
        .await?;
    rows.iter().map(|r| r.try_get("", "claim_id")).collect()
}

pub async fn insert_ledger(
    conn: &impl ConnectionTrait,
    row: payout_ledger::Model,
) -> Result<bool, DbErr> {
    let inserted = gigshield_kit::db::insert_unless_exists(
        conn,
        row.into_active_model(),
        [payout_ledger::Column::IdempotencyKey],
    )
    .await?;
    Ok(inserted)
}

// --- appeals --------------------------------------------------------------------------------------

pub async fn appeals(
    conn: &impl ConnectionTrait,
    claim_id: Uuid,
) -> Result<Vec<appeal::Model>, DbErr> {
    appeal::Entity::find()
        .filter(appeal::Column::ClaimId.eq(claim_id))
        .order_by_asc(appeal::Column::Id)
        .all(conn)
        .await
}

pub async fn insert_appeal(conn: &impl ConnectionTrait, row: appeal::Model) -> Result<(), DbErr> {
    appeal::Entity::insert(row.into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

pub async fn update_appeal(conn: &impl ConnectionTrait, row: appeal::Model) -> Result<(), DbErr> {
    row.into_active_model().reset_all().update(conn).await?;
    Ok(())
}

// --- the insurer stream ---------------------------------------------------------------------------

/// Key of the PostgreSQL advisory lock that orders `claim_event` writers ("claimevt").
const CLAIM_EVENT_LOCK: i64 = 0x636c_6169_6d65_7674;

/// Appends an event to the stream. A sequence value is drawn at insert but becomes visible at
/// commit, so without care a reader could see seq 8 committed while 7 is still in flight and
/// skip 7 forever. Writers therefore take a transaction-scoped advisory lock first: seq values
/// are drawn in lock order and commits happen in the same order (the lock is released by the
/// commit), so every row a reader sees has all smaller committed rows visible too. Claims are
/// low-volume; the lock is held only from here to commit. SQLite has one writer anyway.
pub async fn append_event(
    conn: &impl ConnectionTrait,
    claim_id: Uuid,
    insurer_id: Option<Uuid>,
    event_type: &str,
    payload: Vec<u8>,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    if is_postgres(conn) {
        conn.execute_raw(Statement::from_string(
            conn.get_database_backend(),
            format!("SELECT pg_advisory_xact_lock({CLAIM_EVENT_LOCK})"),
        ))
        .await?;
    }
    claim_event::Entity::insert(claim_event::ActiveModel {
        seq: sea_orm::NotSet,
        claim_id: sea_orm::Set(claim_id),
        insurer_id: sea_orm::Set(insurer_id),
        event_type: sea_orm::Set(event_type.to_string()),
        payload: sea_orm::Set(payload),
        recorded_at: sea_orm::Set(at),
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Stream rows after `after_seq`, oldest first, for one insurer or for everyone.
pub async fn events_after(
    conn: &impl ConnectionTrait,
    insurer_id: Option<Uuid>,
    after_seq: i64,
    limit: u64,
) -> Result<Vec<claim_event::Model>, DbErr> {
    let mut query = claim_event::Entity::find().filter(claim_event::Column::Seq.gt(after_seq));
    if let Some(insurer) = insurer_id {
        query = query.filter(claim_event::Column::InsurerId.eq(insurer));
    }
    query
        .order_by_asc(claim_event::Column::Seq)
        .limit(limit)
        .all(conn)
        .await
}
