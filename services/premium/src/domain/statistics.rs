//! Aggregates of the order stream for regulators: per Shanghai month × province × platform,
//! orders, billable orders, fees accrued and declared, coverage days and covered persons, with
//! every figure of a cell describing fewer persons than the threshold suppressed.

use std::collections::BTreeMap;

use uuid::Uuid;

/// The longest span one request may aggregate, in months.
pub const MAX_MONTHS: u32 = 24;

/// The most cells one answer carries; a wider span is refused, never cut short.
pub const MAX_CELLS: u64 = 50_000;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct CellKey {
    /// `YYYY-MM`.
    pub month: String,
    pub province: String,
    pub platform_id: Uuid,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Figures {
    pub orders: i64,
    pub billable_orders: i64,
    pub fees_accrued_fen: i64,
    pub fees_declared_fen: i64,
    pub coverage_days: i64,
    pub covered_persons: i64,
}

/// What the store summed, one kind of row per source table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    Orders {
        key: CellKey,
        orders: i64,
        billable: i64,
        fen: i64,
    },
    Coverage {
        key: CellKey,
        days: i64,
        persons: i64,
    },
    Declared {
        key: CellKey,
        fen: i64,
    },
}

/// One cell per key any source had; `None` figures: suppressed.
pub fn cells(rows: Vec<Row>, min_persons: u32) -> Vec<(CellKey, Option<Figures>)> {
    let mut out: BTreeMap<CellKey, Figures> = BTreeMap::new();
    for row in rows {
        match row {
            Row::Orders {
                key,
                orders,
                billable,
                fen,
            } => {
                let f = out.entry(key).or_default();
                f.orders += orders;
                f.billable_orders += billable;
                f.fees_accrued_fen += fen;
            }
            Row::Coverage { key, days, persons } => {
                let f = out.entry(key).or_default();
                f.coverage_days += days;
                f.covered_persons += persons;
            }
            Row::Declared { key, fen } => out.entry(key).or_default().fees_declared_fen += fen,
        }
    }
    out.into_iter()
        .map(|(key, f)| {
            let shown = f.covered_persons >= i64::from(min_persons);
            (key, shown.then_some(f))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources_meet_in_their_cell_and_small_cells_lose_their_figures() {
        let p = Uuid::now_v7();
        let key = |month: &str| CellKey {
            month: month.into(),
            province: "440000".into(),
            platform_id: p,
        };
        let rows = vec![
            Row::Orders {
                key: key("2026-10"),
                orders: 100,
                billable: 90,
                fen: 630,
            },
            Row::Coverage {
                key: key("2026-10"),
                days: 40,
                persons: 12,
            },
            Row::Declared {
                key: key("2026-10"),
                fen: 630,
            },
            Row::Orders {
                key: key("2026-11"),
                orders: 3,
                billable: 3,
                fen: 21,
            },
            Row::Coverage {
                key: key("2026-11"),
                days: 2,
                persons: 2,
            },
        ];
        let cells = cells(rows, 5);
        assert_eq!(cells.len(), 2);
        assert_eq!(
            cells[0].1,
            Some(Figures {
                orders: 100,
                billable_orders: 90,
                fees_accrued_fen: 630,
                fees_declared_fen: 630,
                coverage_days: 40,
                covered_persons: 12,
            })
        );
        assert_eq!(cells[1].1, None, "two persons: suppressed");
    }
}
