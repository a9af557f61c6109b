//! The queries incident runs; each takes the connection or transaction to run on.

use chrono::{DateTime, Utc};
use gigshield_kit::area_span::{AreaSpan, inside_or_province};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DbErr, EntityTrait, IntoActiveModel,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::entities::{
    application, evidence, incident, incident_revision, replica_platform_scope, statement,
};

pub async fn incident(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<incident::Model>, DbErr> {
    incident::Entity::find_by_id(id).one(conn).await
}

/// The incident, locked until the transaction ends (PostgreSQL; SQLite has one writer anyway),
/// so concurrent changes to one incident queue up and its events keep their order.
pub async fn incident_for_update(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<Option<incident::Model>, DbErr> {
    incident::Entity::find_by_id(id)
        .lock_exclusive()
        .one(conn)
        .await
}

pub async fn insert_incident(
    conn: &impl ConnectionTrait,
    row: incident::Model,
) -> Result<(), DbErr> {
    incident::Entity::insert(row.into_active_model().reset_all())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

pub async fn update_incident(
    conn: &impl ConnectionTrait,
    row: incident::Model,
) -> Result<(), DbErr> {
    row.into_active_model().reset_all().update(conn).await?;
    Ok(())
}

pub async fn insert_revision(
    conn: &impl ConnectionTrait,
    row: incident_revision::Model,
) -> Result<(), DbErr> {
    incident_revision::Entity::insert(row.into_active_model().reset_all())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Every revision of the incident, the report first.
pub async fn revisions(
    conn: &impl ConnectionTrait,
    incident_id: Uuid,
) -> Result<Vec<incident_revision::Model>, DbErr> {
    incident_revision::Entity::find()
        .filter(incident_revision::Column::IncidentId.eq(incident_id))
        .order_by_asc(incident_revision::Column::Revision)
        .all(conn)
        .await
}

pub async fn revision(
    conn: &impl ConnectionTrait,
    incident_id: Uuid,
    revision: i32,
) -> Result<Option<incident_revision::Model>, DbErr> {
    incident_revision::Entity::find_by_id((incident_id, revision))
        .one(conn)
        .await
}

/// The evidence of the incident, oldest first.
pub async fn evidence(
    conn: &impl ConnectionTrait,
    incident_id: Uuid,
) -> Result<Vec<evidence::Model>, DbErr> {
    evidence::Entity::find()
        .filter(evidence::Column::IncidentId.eq(incident_id))
        .order_by_asc(evidence::Column::Id)
        .all(conn)
        .await
}

pub async fn insert_evidence(
    conn: &impl ConnectionTrait,
    rows: Vec<evidence::Model>,
) -> Result<(), DbErr> {
    if rows.is_empty() {
        return Ok(());
    }
    evidence::Entity::insert_many(rows.into_iter().map(|r| r.into_active_model().reset_all()))
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

pub async fn application(
    conn: &impl ConnectionTrait,
    incident_id: Uuid,
) -> Result<Option<application::Model>, DbErr> {
    application::Entity::find_by_id(incident_id).one(conn).await
}

pub async fn applications(
    conn: &impl ConnectionTrait,
    incident_ids: &[Uuid],
) -> Result<Vec<application::Model>, DbErr> {
    if incident_ids.is_empty() {
        return Ok(Vec::new());
    }
    application::Entity::find()
        .filter(application::Column::IncidentId.is_in(incident_ids.iter().copied()))
        .all(conn)
        .await
}

pub async fn insert_application(
    conn: &impl ConnectionTrait,
    row: application::Model,
) -> Result<(), DbErr> {
    application::Entity::insert(row.into_active_model().reset_all())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Whose incidents a list may contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Visibility {
    Platform(Uuid),
    /// The incidents about these persons (a worker and those who delegated to them).
    Persons(Vec<Uuid>),
    /// The incidents whose claims are routed to this insurer.
    Insurer(Uuid),
    /// Incidents placed in an area (see `Jurisdiction::sql_patterns`); `None` is everywhere.
    Area(Option<(String, String)>),
}

#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub platform_id: Option<Uuid>,
    pub person_id: Option<Uuid>,
    /// Region code prefix: `44` a province, `4403` a prefecture, `440305` a district.
    pub region_prefix: Option<String>,
    pub occurred_from: Option<DateTime<Utc>>,
    pub occurred_until: Option<DateTime<Utc>>,
    pub status: Option<String>,
}

/// Incidents reported in the span, inside its area, at most `limit`.
pub async fn reported_between(
    conn: &impl ConnectionTrait,
    span: AreaSpan<'_>,
    limit: u64,
) -> Result<Vec<incident::Model>, DbErr> {
    span.filter(
        incident::Entity::find(),
        incident::Column::ReportedAt,
        incident::Column::RegionCode,
    )
    .limit(limit)
    .all(conn)
    .await
}

/// The applications of incidents reported in the span, inside its area.
pub async fn applications_reported_between(
    conn: &impl ConnectionTrait,
    span: AreaSpan<'_>,
) -> Result<Vec<application::Model>, DbErr> {
    let reported = span.ids::<incident::Entity>(
        incident::Column::Id,
        incident::Column::ReportedAt,
        incident::Column::RegionCode,
    );
    application::Entity::find()
        .filter(application::Column::IncidentId.in_subquery(reported))
        .all(conn)
        .await
}

pub async fn list(
    conn: &impl ConnectionTrait,
    visibility: Visibility,
    filter: &ListFilter,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<incident::Model>, DbErr> {
    let mut query = incident::Entity::find()
        .order_by_asc(incident::Column::Id)
        .limit(limit);
    query = match visibility {
        Visibility::Platform(platform_id) => {
            query.filter(incident::Column::PlatformId.eq(platform_id))
        }
        Visibility::Persons(persons) => query.filter(incident::Column::PersonId.is_in(persons)),
        Visibility::Insurer(insurer_id) => {
            let assigned = sea_orm::sea_query::Query::select()
                .column(sea_orm::sea_query::Alias::new("incident_id"))
                .from(sea_orm::sea_query::Alias::new("case_assignment"))
                .and_where(sea_orm::sea_query::ExprTrait::eq(
                    Expr::col(sea_orm::sea_query::Alias::new("insurer_id")),
                    insurer_id,
                ))
                .to_owned();
            query.filter(incident::Column::Id.in_subquery(assigned))
        }
        Visibility::Area(None) => query,
        Visibility::Area(Some((inside, province))) => query.filter(inside_or_province(
            incident::Column::RegionCode,
            &inside,
            &province,
        )),
    };
    if let Some(platform_id) = filter.platform_id {
        query = query.filter(incident::Column::PlatformId.eq(platform_id));
    }
    if let Some(person_id) = filter.person_id {
        query = query.filter(incident::Column::PersonId.eq(person_id));
    }
    if let Some(prefix) = &filter.region_prefix {
        query = query.filter(incident::Column::RegionCode.starts_with(prefix.as_str()));
    }
    if let Some(from) = filter.occurred_from {
        query = query.filter(incident::Column::OccurredAt.gte(from));
    }
    if let Some(until) = filter.occurred_until {
        query = query.filter(incident::Column::OccurredAt.lt(until));
    }
    if let Some(status) = &filter.status {
        query = query.filter(incident::Column::Status.eq(status.as_str()));
    }
    if let Some(after) = after {
        query = query.filter(incident::Column::Id.gt(after));
    }
    query.all(conn).await
}

pub async fn insert_platform_scope(
    conn: &impl ConnectionTrait,
    row: replica_platform_scope::Model,
) -> Result<(), DbErr> {
    gigshield_kit::db::insert_unless_exists(
        conn,
        row.into_active_model().reset_all(),
        [
            replica_platform_scope::Column::PlatformId,
            replica_platform_scope::Column::EffectiveFrom,
        ],
    )
    .await?;
    Ok(())
}

/// The provinces the platform was registered for at `at`; `None` when the replica knows no
/// scope of the platform in force then.
pub async fn platform_provinces_at(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
    at: DateTime<Utc>,
) -> Result<Option<Vec<String>>, DbErr> {
    Ok(replica_platform_scope::Entity::find()
        .filter(replica_platform_scope::Column::PlatformId.eq(platform_id))
        .filter(replica_platform_scope::Column::EffectiveFrom.lte(at))
        .order_by_desc(replica_platform_scope::Column::EffectiveFrom)
        .one(conn)
        .await?
        .map(|row| row.provinces.split(',').map(str::to_string).collect()))
}

pub async fn insert_statement(
    conn: &impl ConnectionTrait,
    row: statement::Model,
) -> Result<(), DbErr> {
    statement::Entity::insert(row.into_active_model().reset_all())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// The incident's statements, oldest first.
pub async fn statements(
    conn: &impl ConnectionTrait,
    incident_id: Uuid,
) -> Result<Vec<statement::Model>, DbErr> {
    statement::Entity::find()
        .filter(statement::Column::IncidentId.eq(incident_id))
        .order_by_asc(statement::Column::Id)
        .all(conn)
        .await
}
