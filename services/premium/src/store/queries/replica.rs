//! Premium's copy of enrollment: platform scopes over time and memberships.

use super::*;

/// A platform's scope from `effective_from` until the next one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScopeAt {
    pub effective_from: DateTime<Utc>,
    pub scope: PlatformScope,
}

/// The scope in force at `at`: the latest that started at or before it.
pub fn scope_at(history: &[ScopeAt], at: DateTime<Utc>) -> Option<&PlatformScope> {
    history
        .iter()
        .filter(|s| s.effective_from <= at)
        .max_by_key(|s| s.effective_from)
        .map(|s| &s.scope)
}

pub(super) fn scope_row(row: &platform_scope::Model) -> Result<ScopeAt, DbErr> {
    let industries = row
        .industries
        .split(',')
        .filter(|s| !s.is_empty())
        .map(industry)
        .collect::<Result<BTreeSet<_>, _>>()?;
    let provinces = row
        .provinces
        .split(',')
        .filter(|s| !s.is_empty())
        .map(province)
        .collect::<Result<BTreeSet<_>, _>>()?;
    Ok(ScopeAt {
        effective_from: row.effective_from,
        scope: PlatformScope {
            platform_id: row.platform_id,
            industries,
            provinces,
        },
    })
}

/// Scope history per platform, oldest first; `only` narrows to one platform.
pub async fn scopes(
    conn: &impl ConnectionTrait,
    only: Option<Uuid>,
) -> Result<HashMap<Uuid, Vec<ScopeAt>>, DbErr> {
    let mut query =
        platform_scope::Entity::find().order_by_asc(platform_scope::Column::EffectiveFrom);
    if let Some(platform_id) = only {
        query = query.filter(platform_scope::Column::PlatformId.eq(platform_id));
    }
    let mut out: HashMap<Uuid, Vec<ScopeAt>> = HashMap::new();
    for row in query.all(conn).await? {
        out.entry(row.platform_id)
            .or_default()
            .push(scope_row(&row)?);
    }
    Ok(out)
}

pub async fn platform_known(conn: &impl ConnectionTrait, platform_id: Uuid) -> Result<bool, DbErr> {
    Ok(platform_scope::Entity::find()
        .filter(platform_scope::Column::PlatformId.eq(platform_id))
        .one(conn)
        .await?
        .is_some())
}

/// Records a scope; a repeated event for the same instant replaces it (events of a platform
/// arrive in order, so the later one is the newer truth).
pub async fn upsert_scope(
    conn: &impl ConnectionTrait,
    row: platform_scope::Model,
) -> Result<(), DbErr> {
    platform_scope::Entity::insert(row.into_active_model())
        .on_conflict(
            OnConflict::columns([
                platform_scope::Column::PlatformId,
                platform_scope::Column::EffectiveFrom,
            ])
            .update_columns([
                platform_scope::Column::Industries,
                platform_scope::Column::Provinces,
            ])
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Every membership (past ones too) of the platform under one of the external ids.
pub async fn memberships(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
    external_ids: &[String],
) -> Result<Vec<membership::Model>, DbErr> {
    let mut out = Vec::new();
    for chunk in external_ids.chunks(CHUNK_ROWS * 10) {
        out.extend(
            membership::Entity::find()
                .filter(membership::Column::PlatformId.eq(platform_id))
                .filter(any_of(
                    conn.get_database_backend(),
                    "external_worker_id",
                    Kind::Text,
                    chunk.iter().map(|id| Value::from(id.clone())).collect(),
                ))
                .all(conn)
                .await?,
        );
    }
    Ok(out)
}
