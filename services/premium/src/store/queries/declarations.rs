//! Monthly declarations and their lines.

use super::*;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDeclaration {
    pub id: Uuid,
    pub platform_id: Uuid,
    pub province: ProvinceCode,
    pub month: CalendarMonth,
    pub total_fen: i64,
    pub issued_at: DateTime<Utc>,
    pub due_date: NaiveDate,
    pub lines: Vec<DeclarationLine>,
}

pub async fn insert_declarations(
    conn: &impl ConnectionTrait,
    issued: &[(Uuid, Declaration, DateTime<Utc>, NaiveDate)],
) -> Result<(), DbErr> {
    if issued.is_empty() {
        return Ok(());
    }
    let rows = issued.iter().map(|(id, d, at, due)| {
        declaration::Model {
            id: *id,
            platform_id: d.key.platform_id,
            province: d.key.province.region_code(),
            month: d.key.month.to_string(),
            total_fen: d.total_fen,
            issued_at: *at,
            due_date: due.to_string(),
        }
        .into_active_model()
    });
    let rows: Vec<_> = rows.collect();
    for chunk in rows.chunks(CHUNK_ROWS) {
        declaration::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    let lines: Vec<_> = issued
        .iter()
        .flat_map(|(id, d, _, _)| {
            d.lines.iter().enumerate().map(move |(i, l)| {
                declaration_line::Model {
                    declaration_id: *id,
                    line_no: i32::try_from(i).unwrap_or(i32::MAX),
                    adjusts_month: l.adjusts_month.map(|m| m.to_string()),
                    industry: l.industry.as_str().to_string(),
                    fen_per_order: l.fen_per_order,
                    order_count: l.order_count,
                    amount_fen: l.amount_fen,
                }
                .into_active_model()
            })
        })
        .collect();
    for chunk in lines.chunks(CHUNK_ROWS) {
        declaration_line::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await?;
    }
    Ok(())
}

/// Which declarations to load.
#[derive(Debug, Clone, Default)]
pub struct DeclarationFilter {
    pub platform_ids: Vec<Uuid>,
    pub month: Option<CalendarMonth>,
    pub after: Option<Uuid>,
    pub limit: Option<u64>,
}

/// Declarations in id (issue) order, with their lines.
pub async fn declarations(
    conn: &impl ConnectionTrait,
    filter: &DeclarationFilter,
) -> Result<Vec<StoredDeclaration>, DbErr> {
    let mut query = declaration::Entity::find()
        .filter(declaration::Column::PlatformId.is_in(filter.platform_ids.iter().copied()))
        .order_by_asc(declaration::Column::Id);
    if let Some(m) = filter.month {
        query = query.filter(declaration::Column::Month.eq(m.to_string()));
    }
    if let Some(after) = filter.after {
        query = query.filter(declaration::Column::Id.gt(after));
    }
    if let Some(limit) = filter.limit {
        query = query.limit(limit);
    }
    let rows = query.all(conn).await?;
    let ids: Vec<Uuid> = rows.iter().map(|d| d.id).collect();
    let mut lines: HashMap<Uuid, Vec<declaration_line::Model>> = HashMap::new();
    for chunk in ids.chunks(CHUNK_ROWS) {
        for line in declaration_line::Entity::find()
            .filter(declaration_line::Column::DeclarationId.is_in(chunk.iter().copied()))
            .order_by_asc(declaration_line::Column::LineNo)
            .all(conn)
            .await?
        {
            lines.entry(line.declaration_id).or_default().push(line);
        }
    }
    rows.into_iter()
        .map(|d| {
            let own = lines.remove(&d.id).unwrap_or_default();
            Ok(StoredDeclaration {
                id: d.id,
                platform_id: d.platform_id,
                province: province(&d.province)?,
                month: month(&d.month)?,
                total_fen: d.total_fen,
                issued_at: d.issued_at,
                due_date: d.due_date.parse().map_err(corrupt)?,
                lines: own
                    .iter()
                    .map(|l| {
                        Ok(DeclarationLine {
                            adjusts_month: l.adjusts_month.as_deref().map(month).transpose()?,
                            industry: industry(&l.industry)?,
                            fen_per_order: l.fen_per_order,
                            order_count: l.order_count,
                            amount_fen: l.amount_fen,
                        })
                    })
                    .collect::<Result<_, DbErr>>()?,
            })
        })
        .collect()
}
