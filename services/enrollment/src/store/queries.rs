//! The queries enrollment runs; each takes the connection or transaction to run on.

use std::collections::{BTreeSet, HashMap};

use chrono::{DateTime, Utc};
use gigshield_scheme::industry::Industry;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect, Value,
};
use uuid::Uuid;

use gigshield_kit::Jurisdiction;
use gigshield_kit::bulk::{BulkRows, Column, Kind, any_of, column};
use sea_orm::{Condition, QueryTrait};

use super::entities::{
    credit_code_exception, delegation, identity_review, membership, membership_activity, person,
    platform, platform_scope,
};
use crate::domain::platform::Scope;

/// Which memberships a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusFilter {
    Any,
    Active,
    Deregistered,
}

pub async fn platform(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<platform::Model>, DbErr> {
    platform::Entity::find_by_id(id).one(conn).await
}

pub async fn platform_by_credit_code(
    conn: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<platform::Model>, DbErr> {
    platform::Entity::find()
        .filter(platform::Column::CreditCode.eq(code))
        .one(conn)
        .await
}

pub async fn insert_platform(
    conn: &impl ConnectionTrait,
    row: platform::Model,
) -> Result<(), DbErr> {
    platform::Entity::insert(row.into_active_model().reset_all())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

pub async fn update_platform(
    conn: &impl ConnectionTrait,
    row: platform::Model,
) -> Result<(), DbErr> {
    row.into_active_model().reset_all().update(conn).await?;
    Ok(())
}

/// Scopes of the given platforms, oldest first.
pub async fn scopes(
    conn: &impl ConnectionTrait,
    platform_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Scope>>, DbErr> {
    let rows = platform_scope::Entity::find()
        .filter(platform_scope::Column::PlatformId.is_in(platform_ids.iter().copied()))
        .order_by_asc(platform_scope::Column::EffectiveFrom)
        .all(conn)
        .await?;
    let mut out: HashMap<Uuid, Vec<Scope>> = HashMap::new();
    for row in rows {
        let industries = row
            .industries
            .split(',')
            .map(Industry::parse_stored)
            .collect::<Result<BTreeSet<_>, _>>()
            .map_err(|e| DbErr::Custom(format!("platform_scope of {}: {e}", row.platform_id)))?;
        let provinces = row.provinces.split(',').map(str::to_string).collect();
        out.entry(row.platform_id).or_default().push(Scope {
            industries,
            provinces,
            effective_from: row.effective_from,
        });
    }
    Ok(out)
}

pub async fn insert_scope(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
    scope: &Scope,
    recorded_at: DateTime<Utc>,
) -> Result<(), DbErr> {
    let row = platform_scope::Model {
        platform_id,
        effective_from: scope.effective_from,
        industries: scope
            .industries
            .iter()
            .map(|i| i.as_str())
            .collect::<Vec<_>>()
            .join(","),
        provinces: scope
            .provinces
            .iter()
            .cloned()
            .collect::<Vec<_>>()
            .join(","),
        recorded_at,
    };
    platform_scope::Entity::insert(row.into_active_model().reset_all())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Whose platforms a listing shows.
#[derive(Debug, Clone)]
pub enum PlatformFilter {
    /// One platform (a platform caller lists itself).
    Only(Uuid),
    /// Platforms that ever had the area's province in scope; `None` is every platform.
    Area(Option<(String, String)>),
}

/// Platforms after the cursor in id order.
pub async fn list_platforms(
    conn: &impl ConnectionTrait,
    after: Option<Uuid>,
    limit: u64,
    filter: PlatformFilter,
) -> Result<Vec<platform::Model>, DbErr> {
    let mut query = platform::Entity::find()
        .order_by_asc(platform::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(platform::Column::Id.gt(after));
    }
    match filter {
        PlatformFilter::Only(id) => query = query.filter(platform::Column::Id.eq(id)),
        PlatformFilter::Area(None) => {}
        PlatformFilter::Area(Some((_, province))) => {
            let in_scope = platform_scope::Entity::find()
                .select_only()
                .column(platform_scope::Column::PlatformId)
                .filter(platform_scope::Column::Provinces.like(format!("%{province}%")))
                .into_query();
            query = query.filter(platform::Column::Id.in_subquery(in_scope));
        }
    }
    query.all(conn).await
}

pub async fn is_credit_code_exception(
    conn: &impl ConnectionTrait,
    code: &str,
) -> Result<bool, DbErr> {
    Ok(credit_code_exception::Entity::find_by_id(code.to_string())
        .one(conn)
        .await?
        .is_some())
}

/// Adds the exception unless it is already listed.
pub async fn insert_credit_code_exception(
    conn: &impl ConnectionTrait,
    row: credit_code_exception::Model,
) -> Result<(), DbErr> {
    gigshield_kit::db::insert_unless_exists(
        conn,
        row.into_active_model().reset_all(),
        [credit_code_exception::Column::CreditCode],
    )
    .await?;
    Ok(())
}

pub async fn person(conn: &impl ConnectionTrait, id: Uuid) -> Result<Option<person::Model>, DbErr> {
    person::Entity::find_by_id(id).one(conn).await
}

pub async fn persons(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<person::Model>, DbErr> {
    person::Entity::find()
        .filter(person::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await
}

pub async fn persons_by_index(
    conn: &impl ConnectionTrait,
    indexes: &[Vec<u8>],
) -> Result<Vec<person::Model>, DbErr> {
    if indexes.is_empty() {
        return Ok(Vec::new());
    }
    let indexes = indexes.iter().map(|i| Value::from(i.clone())).collect();
    person::Entity::find()
        .filter(any_of(
            conn.get_database_backend(),
            "resident_id_index",
            Kind::Bytes,
            indexes,
        ))
        .all(conn)
        .await
}

const PERSON_COLUMNS: &[Column] = &[
    column("id", Kind::Uuid),
    column("resident_id_index", Kind::Bytes),
    column("resident_id_sealed", Kind::Bytes),
    column("resident_id_key_id", Kind::Text),
    column("resident_id_masked", Kind::Text),
    column("real_name", Kind::Text),
    column("birth_year", Kind::Int),
    column("sex", Kind::SmallInt),
    column("created_at", Kind::Time),
];

pub async fn insert_persons(
    conn: &impl ConnectionTrait,
    rows: Vec<person::Model>,
) -> Result<(), DbErr> {
    let mut bulk = BulkRows::new(conn.get_database_backend(), PERSON_COLUMNS, rows.len());
    for p in rows {
        bulk.push([
            p.id.into(),
            p.resident_id_index.into(),
            p.resident_id_sealed.into(),
            p.resident_id_key_id.into(),
            p.resident_id_masked.into(),
            p.real_name.into(),
            p.birth_year.into(),
            p.sex.into(),
            p.created_at.into(),
        ]);
    }
    for stmt in bulk.insert_into("person", "") {
        conn.execute_raw(stmt).await?;
    }
    Ok(())
}

/// Active memberships of the platform that use one of the external ids or persons.
///
/// Two queries, not one with `OR`: each is answered by its own partial unique index, while
/// PostgreSQL plans the `OR` of two large `IN` lists as a scan of the whole table.
pub async fn active_memberships_matching(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
    external_ids: &[String],
    person_ids: &[Uuid],
) -> Result<Vec<membership::Model>, DbErr> {
    let backend = conn.get_database_backend();
    let active = || {
        membership::Entity::find()
            .filter(membership::Column::PlatformId.eq(platform_id))
            .filter(membership::Column::DeregisteredAt.is_null())
    };
    let external_ids = external_ids
        .iter()
        .map(|e| Value::from(e.clone()))
        .collect();
    let mut found = active()
        .filter(any_of(
            backend,
            "external_worker_id",
            Kind::Text,
            external_ids,
        ))
        .all(conn)
        .await?;
    let person_ids = person_ids.iter().map(|p| Value::from(*p)).collect();
    let by_person = active()
        .filter(any_of(backend, "person_id", Kind::Uuid, person_ids))
        .all(conn)
        .await?;
    let seen: std::collections::HashSet<Uuid> = found.iter().map(|m| m.id).collect();
    found.extend(by_person.into_iter().filter(|m| !seen.contains(&m.id)));
    Ok(found)
}

const MEMBERSHIP_COLUMNS: &[Column] = &[
    column("id", Kind::Uuid),
    column("person_id", Kind::Uuid),
    column("platform_id", Kind::Uuid),
    column("external_worker_id", Kind::Text),
    column("mobile_sealed", Kind::Bytes),
    column("mobile_key_id", Kind::Text),
    column("mobile_masked", Kind::Text),
    column("region_code", Kind::Text),
    column("registered_at", Kind::Time),
];

/// Inserts new memberships (none deregistered yet: those columns stay NULL).
pub async fn insert_memberships(
    conn: &impl ConnectionTrait,
    rows: Vec<membership::Model>,
) -> Result<(), DbErr> {
    let mut bulk = BulkRows::new(conn.get_database_backend(), MEMBERSHIP_COLUMNS, rows.len());
    for m in rows {
        if m.deregistered_at.is_some() {
            return Err(DbErr::Custom(format!(
                "membership {} is inserted already deregistered",
                m.id
            )));
        }
        bulk.push([
            m.id.into(),
            m.person_id.into(),
            m.platform_id.into(),
            m.external_worker_id.into(),
            m.mobile_sealed.into(),
            m.mobile_key_id.into(),
            m.mobile_masked.into(),
            m.region_code.into(),
            m.registered_at.into(),
        ]);
    }
    for stmt in bulk.insert_into("membership", "") {
        conn.execute_raw(stmt).await?;
    }
    Ok(())
}

pub async fn membership(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<membership::Model>, DbErr> {
    membership::Entity::find_by_id(id).one(conn).await
}

/// Every membership of a person, oldest first.
pub async fn memberships_of_person(
    conn: &impl ConnectionTrait,
    person_id: Uuid,
) -> Result<Vec<membership::Model>, DbErr> {
    membership::Entity::find()
        .filter(membership::Column::PersonId.eq(person_id))
        .order_by_asc(membership::Column::Id)
        .all(conn)
        .await
}

/// Region codes of an area (see [`Jurisdiction::covers`]); every code for national.
fn region_in(column: impl ColumnTrait, area: &Jurisdiction) -> Condition {
    match area.sql_patterns() {
        None => Condition::all(),
        Some((inside, province)) => Condition::any()
            .add(column.like(inside))
            .add(column.eq(province)),
    }
}

/// The platform's memberships registered in `area` (every one for a national or platform
/// caller: pass `Jurisdiction::National`).
pub async fn list_memberships(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
    area: &Jurisdiction,
    status: StatusFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<membership::Model>, DbErr> {
    let mut query = membership::Entity::find()
        .filter(membership::Column::PlatformId.eq(platform_id))
        .filter(region_in(membership::Column::RegionCode, area))
        .order_by_asc(membership::Column::Id)
        .limit(limit);
    query = match status {
        StatusFilter::Any => query,
        StatusFilter::Active => query.filter(membership::Column::DeregisteredAt.is_null()),
        StatusFilter::Deregistered => {
            query.filter(membership::Column::DeregisteredAt.is_not_null())
        }
    };
    if let Some(after) = after {
        query = query.filter(membership::Column::Id.gt(after));
    }
    query.all(conn).await
}

/// Ends an active membership; false when it was no longer active.
pub async fn end_membership(
    conn: &impl ConnectionTrait,
    id: Uuid,
    at: DateTime<Utc>,
    reason_sealed: Option<Vec<u8>>,
    by: &str,
) -> Result<bool, DbErr> {
    let result = membership::Entity::update_many()
        .col_expr(membership::Column::DeregisteredAt, Expr::value(at))
        .col_expr(
            membership::Column::DeregistrationReasonSealed,
            Expr::value(reason_sealed),
        )
        .col_expr(
            membership::Column::DeregisteredBy,
            Expr::value(by.to_string()),
        )
        .filter(membership::Column::Id.eq(id))
        .filter(membership::Column::DeregisteredAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// What premium and incident reported of the person's work for the platform.
pub async fn activity(
    conn: &impl ConnectionTrait,
    person_id: Uuid,
    platform_id: Uuid,
) -> Result<Option<membership_activity::Model>, DbErr> {
    membership_activity::Entity::find_by_id((person_id, platform_id))
        .one(conn)
        .await
}

/// Moves the last order day forward (never back: events may arrive out of order across
/// partitions).
pub async fn note_order_day(
    conn: &impl ConnectionTrait,
    person_id: Uuid,
    platform_id: Uuid,
    date: &str,
) -> Result<(), DbErr> {
    note_activity(conn, person_id, platform_id, "last_order_date", date.into()).await
}

/// Moves the last incident instant forward.
pub async fn note_incident(
    conn: &impl ConnectionTrait,
    person_id: Uuid,
    platform_id: Uuid,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    note_activity(conn, person_id, platform_id, "last_incident_at", at.into()).await
}

async fn note_activity(
    conn: &impl ConnectionTrait,
    person_id: Uuid,
    platform_id: Uuid,
    column: &str,
    value: sea_orm::Value,
) -> Result<(), DbErr> {
    let stmt = sea_orm::Statement::from_sql_and_values(
        conn.get_database_backend(),
        format!(
            "INSERT INTO membership_activity (person_id, platform_id, {column}) VALUES ($1, $2, $3) \
             ON CONFLICT (person_id, platform_id) DO UPDATE SET {column} = CASE \
             WHEN membership_activity.{column} IS NULL OR membership_activity.{column} < excluded.{column} \
             THEN excluded.{column} ELSE membership_activity.{column} END"
        ),
        [person_id.into(), platform_id.into(), value],
    );
    conn.execute_raw(stmt).await.map(|_| ())
}

pub async fn insert_delegation(
    conn: &impl ConnectionTrait,
    row: delegation::Model,
) -> Result<(), DbErr> {
    delegation::Entity::insert(row.into_active_model().reset_all())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

pub async fn delegation(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<delegation::Model>, DbErr> {
    delegation::Entity::find_by_id(id).one(conn).await
}

/// Ends a delegation still in force; false when it was already revoked.
pub async fn revoke_delegation(
    conn: &impl ConnectionTrait,
    id: Uuid,
    at: DateTime<Utc>,
    by: &str,
) -> Result<bool, DbErr> {
    let result = delegation::Entity::update_many()
        .col_expr(delegation::Column::RevokedAt, Expr::value(at))
        .col_expr(delegation::Column::RevokedBy, Expr::value(by.to_string()))
        .filter(delegation::Column::Id.eq(id))
        .filter(delegation::Column::RevokedAt.is_null())
        .exec(conn)
        .await?;
    Ok(result.rows_affected == 1)
}

/// Delegations the person gave or received, in id order after the cursor.
pub async fn delegations_of(
    conn: &impl ConnectionTrait,
    person_id: Uuid,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<delegation::Model>, DbErr> {
    let mut query = delegation::Entity::find()
        .filter(
            Condition::any()
                .add(delegation::Column::GrantorPersonId.eq(person_id))
                .add(delegation::Column::DelegatePersonId.eq(person_id)),
        )
        .order_by_asc(delegation::Column::Id)
        .limit(limit);
    if let Some(after) = after {
        query = query.filter(delegation::Column::Id.gt(after));
    }
    query.all(conn).await
}

/// The persons who let `delegate` act for them at `at`.
pub async fn delegators(
    conn: &impl ConnectionTrait,
    delegate: Uuid,
    at: DateTime<Utc>,
) -> Result<Vec<Uuid>, DbErr> {
    let rows = delegation::Entity::find()
        .filter(delegation::Column::DelegatePersonId.eq(delegate))
        .filter(delegation::Column::ValidFrom.lte(at))
        .filter(
            Condition::any()
                .add(delegation::Column::ValidUntil.is_null())
                .add(delegation::Column::ValidUntil.gt(at)),
        )
        .filter(
            Condition::any()
                .add(delegation::Column::RevokedAt.is_null())
                .add(delegation::Column::RevokedAt.gt(at)),
        )
        .all(conn)
        .await?;
    Ok(rows.into_iter().map(|d| d.grantor_person_id).collect())
}

/// The open review of a platform's external id, if any.
pub async fn open_identity_review(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
    external_worker_id: &str,
) -> Result<Option<identity_review::Model>, DbErr> {
    identity_review::Entity::find()
        .filter(identity_review::Column::PlatformId.eq(platform_id))
        .filter(identity_review::Column::ExternalWorkerId.eq(external_worker_id))
        .filter(identity_review::Column::Status.eq("OPEN"))
        .one(conn)
        .await
}

pub async fn insert_identity_review(
    conn: &impl ConnectionTrait,
    row: identity_review::Model,
) -> Result<(), DbErr> {
    identity_review::Entity::insert(row.into_active_model().reset_all())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

pub async fn identity_review(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<identity_review::Model>, DbErr> {
    identity_review::Entity::find_by_id(id).one(conn).await
}

pub async fn update_identity_review(
    conn: &impl ConnectionTrait,
    row: identity_review::Model,
) -> Result<(), DbErr> {
    row.into_active_model().reset_all().update(conn).await?;
    Ok(())
}

/// Reviews of registrations in `area`, optionally of one status, in id order.
pub async fn list_identity_reviews(
    conn: &impl ConnectionTrait,
    area: &Jurisdiction,
    status: Option<&str>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<identity_review::Model>, DbErr> {
    let mut query = identity_review::Entity::find()
        .filter(region_in(identity_review::Column::RegionCode, area))
        .order_by_asc(identity_review::Column::Id)
        .limit(limit);
    if let Some(status) = status {
        query = query.filter(identity_review::Column::Status.eq(status));
    }
    if let Some(after) = after {
        query = query.filter(identity_review::Column::Id.gt(after));
    }
    query.all(conn).await
}
