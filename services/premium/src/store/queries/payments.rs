//! Payments against declarations.

use super::*;

/// False when a payment with the reference already exists.
pub async fn insert_payment(
    conn: &impl ConnectionTrait,
    row: payment::Model,
) -> Result<bool, DbErr> {
    let result = gigshield_kit::db::insert_unless_exists(
        conn,
        row.into_active_model(),
        [payment::Column::PlatformId, payment::Column::Reference],
    )
    .await?;
    Ok(result)
}

pub async fn payment(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
    reference: &str,
) -> Result<Option<payment::Model>, DbErr> {
    payment::Entity::find_by_id((platform_id, reference.to_string()))
        .one(conn)
        .await
}

pub async fn payments(
    conn: &impl ConnectionTrait,
    platform_ids: &[Uuid],
) -> Result<Vec<payment::Model>, DbErr> {
    payment::Entity::find()
        .filter(payment::Column::PlatformId.is_in(platform_ids.iter().copied()))
        .order_by_asc(payment::Column::ReceivedAt)
        .all(conn)
        .await
}
