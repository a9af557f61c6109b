//! The queries fund runs; each takes the connection or transaction to run on.

use chrono::{DateTime, Utc};
use gigshield_kit::db::insert_unless_exists;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Set,
};
use uuid::Uuid;

use super::entities::{
    claim_ref, declaration_ref, fund_entry, insurer_contract, payout, payout_record,
    payout_submission, reimbursement, settlement,
};
use crate::domain::ledger::{Account, Entry};

// --- entries ------------------------------------------------------------------------------------

/// Books `entries` as made by `source_id` (an event id or a request), in the caller's
/// transaction.
pub async fn book(
    conn: &impl ConnectionTrait,
    entries: &[Entry],
    source_id: &str,
    source_type: &str,
    at: DateTime<Utc>,
) -> Result<Vec<fund_entry::Model>, DbErr> {
    let rows: Vec<fund_entry::Model> = entries
        .iter()
        .map(|e| fund_entry::Model {
            id: Uuid::now_v7(),
            province: e.province.clone(),
            month: e.month.to_string(),
            debit: e.debit.as_str().into(),
            credit: e.credit.as_str().into(),
            amount_fen: e.amount_fen,
            platform_id: e.platform_id,
            insurer_id: e.insurer_id,
            benefit_type: e.benefit_type.clone(),
            source_id: source_id.to_string(),
            source_type: source_type.to_string(),
            recorded_at: at,
        })
        .collect();
    if !rows.is_empty() {
        fund_entry::Entity::insert_many(
            rows.iter().cloned().map(IntoActiveModel::into_active_model),
        )
        .exec_without_returning(conn)
        .await?;
    }
    Ok(rows)
}

/// A stored entry back as the ledger's; a row this service did not write is an error.
pub fn entry_of(row: &fund_entry::Model) -> Result<Entry, DbErr> {
    let corrupt = |what: &str| DbErr::Custom(format!("fund_entry {}: bad {what}", row.id));
    Ok(Entry {
        province: row.province.clone(),
        month: row.month.parse().map_err(|_| corrupt("month"))?,
        debit: Account::parse(&row.debit).ok_or_else(|| corrupt("debit"))?,
        credit: Account::parse(&row.credit).ok_or_else(|| corrupt("credit"))?,
        amount_fen: row.amount_fen,
        platform_id: row.platform_id,
        insurer_id: row.insurer_id,
        benefit_type: row.benefit_type.clone(),
    })
}

/// The province's entries of every month through `month` (YYYY-MM sorts as text).
pub async fn entries_through(
    conn: &impl ConnectionTrait,
    province: &str,
    month: &str,
) -> Result<Vec<fund_entry::Model>, DbErr> {
    fund_entry::Entity::find()
        .filter(fund_entry::Column::Province.eq(province))
        .filter(fund_entry::Column::Month.lte(month))
        .all(conn)
        .await
}

/// The province's entries of one month, in booking order, keyset-paged.
pub async fn entries_of_month(
    conn: &impl ConnectionTrait,
    province: &str,
    month: &str,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<fund_entry::Model>, DbErr> {
    let mut query = fund_entry::Entity::find()
        .filter(fund_entry::Column::Province.eq(province))
        .filter(fund_entry::Column::Month.eq(month));
    if let Some(after) = after {
        query = query.filter(fund_entry::Column::Id.gt(after));
    }
    query
        .order_by_asc(fund_entry::Column::Id)
        .limit(limit)
        .all(conn)
        .await
}

/// Entries of a platform in a province over months `from..=through`.
pub async fn platform_entries(
    conn: &impl ConnectionTrait,
    platform: Uuid,
    province: &str,
    from: &str,
    through: &str,
) -> Result<Vec<fund_entry::Model>, DbErr> {
    fund_entry::Entity::find()
        .filter(fund_entry::Column::PlatformId.eq(platform))
        .filter(fund_entry::Column::Province.eq(province))
        .filter(fund_entry::Column::Month.gte(from))
        .filter(fund_entry::Column::Month.lte(through))
        .all(conn)
        .await
}

// --- where events belong ------------------------------------------------------------------------

/// A declaration's place; a replayed one changes nothing.
pub async fn remember_declaration(
    conn: &impl ConnectionTrait,
    row: declaration_ref::Model,
) -> Result<(), DbErr> {
    insert_unless_exists(
        conn,
        row.into_active_model(),
        [declaration_ref::Column::DeclarationId],
    )
    .await?;
    Ok(())
}

pub async fn declaration(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<declaration_ref::Model>, DbErr> {
    declaration_ref::Entity::find_by_id(id).one(conn).await
}

/// A claim's place and current insurer (a routing replaces the insurer).
pub async fn remember_claim(
    conn: &impl ConnectionTrait,
    row: claim_ref::Model,
) -> Result<(), DbErr> {
    claim_ref::Entity::insert(row.into_active_model())
        .on_conflict(
            OnConflict::column(claim_ref::Column::ClaimId)
                .update_column(claim_ref::Column::InsurerId)
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

pub async fn claim(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<claim_ref::Model>, DbErr> {
    claim_ref::Entity::find_by_id(id).one(conn).await
}

/// The insurer now handling a known claim.
pub async fn route_claim(
    conn: &impl ConnectionTrait,
    id: Uuid,
    insurer: Option<Uuid>,
) -> Result<(), DbErr> {
    claim_ref::Entity::update_many()
        .col_expr(
            claim_ref::Column::InsurerId,
            sea_orm::sea_query::Expr::value(insurer),
        )
        .filter(claim_ref::Column::ClaimId.eq(id))
        .exec(conn)
        .await?;
    Ok(())
}

// --- payouts ------------------------------------------------------------------------------------

/// The first issue of a payout; false when it was known (a replay cannot book it twice).
pub async fn insert_payout(conn: &impl ConnectionTrait, row: payout::Model) -> Result<bool, DbErr> {
    insert_unless_exists(conn, row.into_active_model(), [payout::Column::PayoutKey]).await
}

pub async fn payout(
    conn: &impl ConnectionTrait,
    key: &str,
) -> Result<Option<payout::Model>, DbErr> {
    payout::Entity::find_by_id(key.to_string()).one(conn).await
}

pub async fn set_payout_state(
    conn: &impl ConnectionTrait,
    row: payout::Model,
    state: &str,
) -> Result<(), DbErr> {
    let mut active = row.into_active_model();
    active.state = Set(state.to_string());
    active.update(conn).await?;
    Ok(())
}

pub async fn payouts_of(
    conn: &impl ConnectionTrait,
    insurer: Uuid,
    province: &str,
    month: &str,
) -> Result<Vec<payout::Model>, DbErr> {
    payout::Entity::find()
        .filter(payout::Column::InsurerId.eq(insurer))
        .filter(payout::Column::Province.eq(province))
        .filter(payout::Column::Month.eq(month))
        .order_by_asc(payout::Column::PayoutKey)
        .all(conn)
        .await
}

// --- contracts, reimbursements, settlements ------------------------------------------------------

pub async fn insert_contract(
    conn: &impl ConnectionTrait,
    row: insurer_contract::Model,
) -> Result<(), DbErr> {
    insurer_contract::Entity::insert(row.into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The contract in force on `day` (YYYY-MM-DD): the latest starting on or before it.
pub async fn contract_on(
    conn: &impl ConnectionTrait,
    insurer: Uuid,
    province: &str,
    day: &str,
) -> Result<Option<insurer_contract::Model>, DbErr> {
    insurer_contract::Entity::find()
        .filter(insurer_contract::Column::InsurerId.eq(insurer))
        .filter(insurer_contract::Column::Province.eq(province))
        .filter(insurer_contract::Column::EffectiveFrom.lte(day))
        .order_by_desc(insurer_contract::Column::EffectiveFrom)
        .one(conn)
        .await
}

/// Claims a bank reference; false when it already paid.
pub async fn claim_reference(
    conn: &impl ConnectionTrait,
    row: reimbursement::Model,
) -> Result<bool, DbErr> {
    insert_unless_exists(
        conn,
        row.into_active_model(),
        [
            reimbursement::Column::InsurerId,
            reimbursement::Column::Reference,
        ],
    )
    .await
}

/// Replaces the insurer's records of a month with `records`.
pub async fn replace_records(
    conn: &impl ConnectionTrait,
    submission: payout_submission::Model,
    records: Vec<payout_record::Model>,
) -> Result<(), DbErr> {
    payout_record::Entity::delete_many()
        .filter(payout_record::Column::InsurerId.eq(submission.insurer_id))
        .filter(payout_record::Column::Province.eq(submission.province.clone()))
        .filter(payout_record::Column::Month.eq(submission.month.clone()))
        .exec(conn)
        .await?;
    for chunk in records.chunks(1_000) {
        payout_record::Entity::insert_many(
            chunk
                .iter()
                .cloned()
                .map(IntoActiveModel::into_active_model),
        )
        .exec_without_returning(conn)
        .await?;
    }
    payout_submission::Entity::insert(submission.into_active_model())
        .on_conflict(
            OnConflict::columns([
                payout_submission::Column::InsurerId,
                payout_submission::Column::Province,
                payout_submission::Column::Month,
            ])
            .update_columns([
                payout_submission::Column::Records,
                payout_submission::Column::SubmittedAt,
            ])
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

pub async fn records(
    conn: &impl ConnectionTrait,
    insurer: Uuid,
    province: &str,
    month: &str,
) -> Result<(Option<payout_submission::Model>, Vec<payout_record::Model>), DbErr> {
    let submission =
        payout_submission::Entity::find_by_id((insurer, province.to_string(), month.to_string()))
            .one(conn)
            .await?;
    let records = payout_record::Entity::find()
        .filter(payout_record::Column::InsurerId.eq(insurer))
        .filter(payout_record::Column::Province.eq(province))
        .filter(payout_record::Column::Month.eq(month))
        .all(conn)
        .await?;
    Ok((submission, records))
}

pub async fn settlement(
    conn: &impl ConnectionTrait,
    insurer: Uuid,
    province: &str,
    month: &str,
) -> Result<Option<settlement::Model>, DbErr> {
    settlement::Entity::find_by_id((insurer, province.to_string(), month.to_string()))
        .one(conn)
        .await
}

pub async fn insert_settlement(
    conn: &impl ConnectionTrait,
    row: settlement::Model,
) -> Result<(), DbErr> {
    settlement::Entity::insert(row.into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Entries of an insurer in a province's month (for its settlement).
pub async fn insurer_entries(
    conn: &impl ConnectionTrait,
    insurer: Uuid,
    province: &str,
    month: &str,
) -> Result<Vec<fund_entry::Model>, DbErr> {
    fund_entry::Entity::find()
        .filter(fund_entry::Column::InsurerId.eq(insurer))
        .filter(fund_entry::Column::Province.eq(province))
        .filter(fund_entry::Column::Month.eq(month))
        .all(conn)
        .await
}
