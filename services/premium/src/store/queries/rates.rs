//! The rate table: dated per-order fees by industry, province and platform.

use super::*;

/// The stored identity of a rate line: `industry|platform or *|province or *`.
pub fn rate_key(key: &RateKey) -> String {
    format!(
        "{}|{}|{}",
        key.industry.as_str(),
        key.platform_id
            .map(|p| p.to_string())
            .unwrap_or_else(|| "*".into()),
        key.province
            .map(|p| p.region_code())
            .unwrap_or_else(|| "*".into()),
    )
}

pub fn rate_row(model: &rate::Model) -> Result<RateRow, DbErr> {
    Ok(RateRow {
        industry: industry(&model.industry)?,
        platform_id: model.platform_id,
        province: model.province.as_deref().map(province).transpose()?,
        effective_from: model.effective_from,
        fen_per_order: model.fen_per_order,
    })
}

pub async fn rate_table(conn: &impl ConnectionTrait) -> Result<RateTable, DbErr> {
    let rows = rate::Entity::find()
        .order_by_asc(rate::Column::Id)
        .all(conn)
        .await?;
    let rows = rows.iter().map(rate_row).collect::<Result<Vec<_>, _>>()?;
    RateTable::from_history(rows).map_err(corrupt)
}

pub async fn insert_rate(conn: &impl ConnectionTrait, row: rate::Model) -> Result<(), DbErr> {
    rate::Entity::insert(row.into_active_model())
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Rates after the cursor in id order; `visible_to` limits to the rows that can price that
/// platform's orders (national rows and its own).
pub async fn list_rates(
    conn: &impl ConnectionTrait,
    industry: Option<Industry>,
    visible_to: Option<Uuid>,
    province_like: Option<&str>,
    after: Option<Uuid>,
    limit: u64,
) -> Result<Vec<rate::Model>, DbErr> {
    let mut query = rate::Entity::find()
        .order_by_asc(rate::Column::Id)
        .limit(limit);
    if let Some(industry) = industry {
        query = query.filter(rate::Column::Industry.eq(industry.as_str()));
    }
    if let Some(platform_id) = visible_to {
        query = query.filter(
            sea_orm::Condition::any()
                .add(rate::Column::PlatformId.is_null())
                .add(rate::Column::PlatformId.eq(platform_id)),
        );
    }
    // An area's rates and the general (province-less) ones.
    if let Some(pattern) = province_like {
        query = query.filter(
            sea_orm::Condition::any()
                .add(rate::Column::Province.is_null())
                .add(rate::Column::Province.like(pattern)),
        );
    }
    if let Some(after) = after {
        query = query.filter(rate::Column::Id.gt(after));
    }
    query.all(conn).await
}
