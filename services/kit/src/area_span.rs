//! The filters of statistics and queues over rows placed in time and in a region: "in
//! `[from, until)` and inside the caller's area", and "inside the area, or filed at the level
//! of its province". Written once for every service's entities.

use chrono::{DateTime, Utc};
use sea_orm::sea_query::{IntoIden, Query, SelectStatement};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, Select};

/// Where the rows must lie: `at` in `[from, until)`, and `region` inside the area (`inside`, a
/// `LIKE` pattern on the region code; `None`: everywhere).
#[derive(Debug, Clone, Copy)]
pub struct AreaSpan<'a> {
    pub inside: Option<&'a str>,
    pub from: DateTime<Utc>,
    pub until: DateTime<Utc>,
}

impl AreaSpan<'_> {
    fn condition<C: ColumnTrait>(&self, at: C, region: C) -> Condition {
        let mut condition = Condition::all()
            .add(at.gte(self.from))
            .add(at.lt(self.until));
        if let Some(inside) = self.inside {
            condition = condition.add(region.like(inside));
        }
        condition
    }

    /// `query` narrowed to the span and the area.
    pub fn filter<E: EntityTrait>(
        &self,
        query: Select<E>,
        at: E::Column,
        region: E::Column,
    ) -> Select<E> {
        query.filter(self.condition(at, region))
    }

    /// `SELECT id FROM <entity> WHERE …`: the ids of the rows in the span and the area, for an
    /// `IN (subquery)` on another table.
    pub fn ids<E: EntityTrait>(
        &self,
        id: E::Column,
        at: E::Column,
        region: E::Column,
    ) -> SelectStatement
    where
        E::Column: IntoIden,
    {
        Query::select()
            .column(id)
            .from(E::default())
            .cond_where(self.condition(at, region))
            .to_owned()
    }
}

/// Inside the area (`inside`, a `LIKE` pattern on `region`) or placed at the level of its
/// province (`province`, the region code of the province itself): what an area's queue shows.
pub fn inside_or_province<C: ColumnTrait>(region: C, inside: &str, province: &str) -> Condition {
    Condition::any()
        .add(region.like(inside))
        .add(region.eq(province))
}
