//! The export's one table: a row per Shanghai month × province × platform, premium's counts of
//! the order stream beside incident's counts of reports and applications, claims' counts of
//! claims and the fund's money. The column list below is the file format:
//! the CSV header, the Parquet schema and the column dictionary (`docs/export.md`) all come
//! from it.

use std::collections::BTreeMap;

use gigshield_proto::claims as cpb;
use gigshield_proto::fund as fpb;
use gigshield_proto::incident as ipb;
use gigshield_proto::premium as ppb;
use gigshield_scheme::benefit_types;

/// A cell's place: month `YYYY-MM`, 6-digit province code, platform id (empty: claims
/// without a liable platform).
pub type Key = (String, String, String);

/// What the four services said about one place.
#[derive(Debug, Default, Clone)]
pub struct Row {
    pub key: Key,
    /// The platform's industries, from premium's cells of the platform.
    pub industries: Vec<String>,
    pub premium: Option<ppb::PremiumStatisticsCell>,
    pub incident: Option<ipb::IncidentStatisticsCell>,
    pub claims: Option<cpb::ClaimStatisticsCell>,
    pub fund: Option<fpb::FundStatisticsCell>,
}

/// The cells of each service, as read.
#[derive(Debug, Default, Clone)]
pub struct Cells {
    pub premium: Vec<ppb::PremiumStatisticsCell>,
    pub incident: Vec<ipb::IncidentStatisticsCell>,
    pub claims: Vec<cpb::ClaimStatisticsCell>,
    pub fund: Vec<fpb::FundStatisticsCell>,
}

/// The place a service's statistics cell describes: every cell type has the same three keys.
trait Keyed {
    fn key(&self) -> Key;
}

macro_rules! keyed {
    ($($cell:ty),+) => {$(
        impl Keyed for $cell {
            fn key(&self) -> Key {
                (self.month.clone(), self.province_code.clone(), self.platform_id.clone())
            }
        }
    )+};
}

keyed!(
    ppb::PremiumStatisticsCell,
    ipb::IncidentStatisticsCell,
    cpb::ClaimStatisticsCell,
    fpb::FundStatisticsCell
);

/// Joins the cells of the services on their keys, in key order.
pub fn join(cells: Cells) -> Vec<Row> {
    fn row(rows: &mut BTreeMap<Key, Row>, key: Key) -> &mut Row {
        rows.entry(key.clone()).or_insert_with(|| Row {
            key,
            ..Row::default()
        })
    }
    let mut rows: BTreeMap<Key, Row> = BTreeMap::new();
    for cell in cells.premium {
        let key = cell.key();
        row(&mut rows, key).premium = Some(cell);
    }
    for cell in cells.incident {
        let key = cell.key();
        row(&mut rows, key).incident = Some(cell);
    }
    for cell in cells.claims {
        let key = cell.key();
        row(&mut rows, key).claims = Some(cell);
    }
    for cell in cells.fund {
        let key = cell.key();
        row(&mut rows, key).fund = Some(cell);
    }
    // Every row of a platform carries the industries premium knows for it: of the same month,
    // else of the latest month premium has (claims count by filing, often a later month).
    let mut of_month: BTreeMap<(String, String), Vec<String>> = BTreeMap::new();
    let mut latest: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in rows.values() {
        if let Some(cell) = row.premium.as_ref().filter(|c| !c.industries.is_empty()) {
            of_month.insert(
                (row.key.0.clone(), row.key.2.clone()),
                cell.industries.clone(),
            );
            // Rows come in month order: the last one seen is the latest.
            latest.insert(row.key.2.clone(), cell.industries.clone());
        }
    }
    rows.into_values()
        .map(|mut row| {
            row.industries = of_month
                .get(&(row.key.0.clone(), row.key.2.clone()))
                .or_else(|| latest.get(&row.key.2))
                .cloned()
                .unwrap_or_default();
            row
        })
        .collect()
}

/// A column's type in both files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// UTF-8 text, never empty for keys.
    Text,
    /// A 64-bit integer, empty (CSV) or null (Parquet) where the figure is suppressed or the
    /// service had no cell.
    Count,
    /// `true` / `false`.
    Flag,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Text(String),
    Count(Option<i64>),
    Flag(bool),
}

pub struct Column {
    pub name: String,
    pub kind: Kind,
    pub meaning: String,
    pub value: Box<dyn Fn(&Row) -> Value + Send + Sync>,
}

fn column(
    name: &str,
    kind: Kind,
    meaning: &str,
    value: impl Fn(&Row) -> Value + Send + Sync + 'static,
) -> Column {
    Column {
        name: name.into(),
        kind,
        meaning: meaning.into(),
        value: Box::new(value),
    }
}

/// A premium figure: absent when premium had no cell or suppressed it.
fn premium(name: &str, meaning: &str, figure: fn(&ppb::PremiumStatisticsCell) -> i64) -> Column {
    column(name, Kind::Count, meaning, move |row| {
        Value::Count(row.premium.as_ref().filter(|c| !c.suppressed).map(figure))
    })
}

/// An incident figure: absent when incident had no cell or suppressed it.
fn incidents(name: &str, meaning: &str, figure: fn(&ipb::IncidentStatisticsCell) -> i64) -> Column {
    column(name, Kind::Count, meaning, move |row| {
        Value::Count(row.incident.as_ref().filter(|c| !c.suppressed).map(figure))
    })
}

/// A claims figure: absent when claims had no cell or suppressed it.
fn claims(name: &str, meaning: &str, figure: fn(&cpb::ClaimStatisticsCell) -> i64) -> Column {
    column(name, Kind::Count, meaning, move |row| {
        Value::Count(row.claims.as_ref().filter(|c| !c.suppressed).map(figure))
    })
}

/// A fund figure about fees: absent when the fund had no cell, and where premium withholds
/// the same cell — fees over the rate would give back the few persons' orders premium hides.
fn fees(name: &str, meaning: &str, figure: fn(&fpb::FundStatisticsCell) -> i64) -> Column {
    column(name, Kind::Count, meaning, move |row| {
        let withheld = row.premium.as_ref().is_some_and(|p| p.suppressed);
        Value::Count(row.fund.as_ref().filter(|_| !withheld).map(figure))
    })
}

/// A fund figure about benefits: absent when the fund had no cell or withheld its benefits.
fn benefits(name: &str, meaning: &str, figure: fn(&fpb::FundStatisticsCell) -> i64) -> Column {
    column(name, Kind::Count, meaning, move |row| {
        Value::Count(
            row.fund
                .as_ref()
                .filter(|c| !c.benefits_suppressed)
                .map(figure),
        )
    })
}

/// Every refusal reason the contract knows, as (`FILED_LATE`, column `refused_filed_late`).
fn refusal_reasons() -> Vec<(String, String)> {
    (1..)
        .map_while(|n| cpb::RefusalReason::try_from(n).ok())
        .map(|reason| {
            let name = reason
                .as_str_name()
                .trim_start_matches("REFUSAL_REASON_")
                .to_string();
            let column = format!("refused_{}", name.to_lowercase());
            (name, column)
        })
        .collect()
}

/// The file format, in column order.
#[expect(
    clippy::too_many_lines,
    reason = "a data table: one column of the file per line"
)]
pub fn columns() -> Vec<Column> {
    let mut out = vec![
        column(
            "month",
            Kind::Text,
            "Shanghai calendar month, `YYYY-MM`: of acceptance for orders, of filing for claims",
            |r| Value::Text(r.key.0.clone()),
        ),
        column(
            "province_code",
            Kind::Text,
            "6-digit code of the province (pooling region), GB/T 2260",
            |r| Value::Text(r.key.1.clone()),
        ),
        column(
            "platform_id",
            Kind::Text,
            "the platform's id in gigshield; empty for claims without a liable platform",
            |r| Value::Text(r.key.2.clone()),
        ),
        column(
            "industries",
            Kind::Text,
            "the industries the platform was registered for at the month's end, `;`-separated \
             (ride_hailing, instant_delivery, intra_city_freight, …), as premium knows them for \
             the month or its latest month; empty when premium has no cell of the platform",
            |r| Value::Text(r.industries.join(";")),
        ),
        column(
            "premium_suppressed",
            Kind::Flag,
            "premium's figures of this cell are withheld: it covers fewer persons than the \
             threshold",
            |r| Value::Flag(r.premium.as_ref().is_some_and(|c| c.suppressed)),
        ),
        premium("orders", "orders accepted in the month", |c| c.orders),
        premium(
            "billable_orders",
            "of those, the orders the billable rule charges a fee for",
            |c| c.billable_orders,
        ),
        premium(
            "fees_accrued_fen",
            "fees of the month's orders as accrued order by order, fen",
            |c| c.fees_accrued_fen,
        ),
        premium(
            "fees_declared_fen",
            "the month's declaration total, fen (late orders of earlier months included); 0 \
             until the month is closed",
            |c| c.fees_declared_fen,
        ),
        premium(
            "coverage_days",
            "person-days of coverage opened by the month's orders",
            |c| c.coverage_days,
        ),
        premium(
            "covered_persons",
            "distinct persons covered at least one day of the month",
            |c| c.covered_persons,
        ),
        column(
            "incidents_suppressed",
            Kind::Flag,
            "incident's figures of this cell are withheld: fewer injured persons than the \
             threshold",
            |r| Value::Flag(r.incident.as_ref().is_some_and(|c| c.suppressed)),
        ),
        incidents(
            "incidents",
            "accidents reported in the month (by month of report)",
            |c| c.incidents,
        ),
        incidents(
            "incident_persons",
            "distinct injured persons among them",
            |c| c.persons,
        ),
        incidents(
            "applications",
            "of those incidents, applications for injury determination filed so far",
            |c| c.applications,
        ),
        incidents(
            "applications_late",
            "of those applications, filed after the filer's deadline with an explanation",
            |c| c.applications_late,
        ),
        incidents(
            "incidents_withdrawn",
            "of those incidents, withdrawn",
            |c| c.withdrawn,
        ),
        incidents(
            "report_days_median",
            "whole Shanghai days from the accident to its report, median",
            |c| c.report_days_median,
        ),
        incidents(
            "report_days_p90",
            "whole Shanghai days from the accident to its report, 90th percentile",
            |c| c.report_days_p90,
        ),
        column(
            "claims_suppressed",
            Kind::Flag,
            "claims' figures of this cell are withheld: fewer injured persons than the threshold",
            |r| Value::Flag(r.claims.as_ref().is_some_and(|c| c.suppressed)),
        ),
        claims("claims", "claims filed in the month", |c| c.claims),
        claims("injured_persons", "distinct injured persons", |c| c.persons),
        claims(
            "claims_awaiting_decision",
            "in review or information requested",
            |c| c.awaiting_decision,
        ),
        claims("claims_confirmed", "confirmed as work injuries", |c| {
            c.confirmed
        }),
        claims(
            "claims_confirmed_automatically",
            "confirmed by the rules without a human",
            |c| c.confirmed_automatically,
        ),
        claims("claims_refused", "refused", |c| c.refused),
        claims("claims_withdrawn", "withdrawn by the applicant", |c| {
            c.withdrawn
        }),
        claims(
            "decision_days_median",
            "whole days from filing to the decision, median over decided claims",
            |c| c.decision_days_median,
        ),
        claims(
            "decision_days_p90",
            "whole days from filing to the decision, 90th percentile",
            |c| c.decision_days_p90,
        ),
        claims(
            "payment_days_median",
            "whole days from filing to the first payout leaving, median over claims paid",
            |c| c.payment_days_median,
        ),
        claims(
            "payment_days_p90",
            "whole days from filing to the first payout leaving, 90th percentile",
            |c| c.payment_days_p90,
        ),
    ];
    out.extend([
        fees(
            "fees_received_fen",
            "fees received in the month (by the month the payment arrived), fen; empty where \
             premium's figures of the cell are withheld",
            |c| c.fees_received_fen,
        ),
        fees(
            "arrears_fen",
            "fees declared and not received, all months through this one, fen; empty where \
             premium's figures of the cell are withheld",
            |c| c.arrears_fen,
        ),
        column(
            "benefits_suppressed",
            Kind::Flag,
            "the fund's benefit figures of this cell are withheld: paid on fewer claims than \
             the threshold",
            |r| Value::Flag(r.fund.as_ref().is_some_and(|c| c.benefits_suppressed)),
        ),
        benefits(
            "claims_paid",
            "distinct claims with a payout booked in the month (recoveries included)",
            |c| c.claims_paid,
        ),
        column(
            "benefits_fen",
            Kind::Count,
            "benefits booked in the month (returns and recoveries negative), fen; empty when a \
             type of the cell is withheld (the total would give it back)",
            |r| {
                Value::Count(
                    r.fund
                        .as_ref()
                        .filter(|c| !c.benefits_suppressed && c.withheld_types.is_empty())
                        .map(|c| c.benefits_fen),
                )
            },
        ),
    ]);
    for benefit in benefit_types::ALL {
        let meaning = format!(
            "benefits of type {benefit} booked in the month, fen; empty when paid on fewer \
             claims than the threshold"
        );
        out.push(column(
            &format!("benefits_{benefit}_fen"),
            Kind::Count,
            &meaning,
            move |r| {
                Value::Count(
                    r.fund
                        .as_ref()
                        .filter(|c| {
                            !c.benefits_suppressed && !c.withheld_types.iter().any(|t| t == benefit)
                        })
                        .map(|c| c.benefits_by_type_fen.get(benefit).copied().unwrap_or(0)),
                )
            },
        ));
    }
    for (reason, name) in refusal_reasons() {
        let meaning = format!("refusals for {reason}");
        out.push(column(&name, Kind::Count, &meaning, move |r| {
            Value::Count(
                r.claims
                    .as_ref()
                    .filter(|c| !c.suppressed)
                    .map(|c| c.refusals_by_reason.get(&reason).copied().unwrap_or(0)),
            )
        }));
    }
    out
}

/// The column dictionary as a Markdown table: the section `docs/export.md` carries.
pub fn dictionary() -> String {
    let mut out = String::from("| Column | Type | Meaning |\n|---|---|---|\n");
    for c in columns() {
        let kind = match c.kind {
            Kind::Text => "text",
            Kind::Count => "integer (empty: suppressed or no figure)",
            Kind::Flag => "boolean",
        };
        out.push_str(&format!("| `{}` | {kind} | {} |\n", c.name, c.meaning));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn premium_cell(platform: &str, suppressed: bool) -> ppb::PremiumStatisticsCell {
        ppb::PremiumStatisticsCell {
            month: "2026-11".into(),
            province_code: "440000".into(),
            platform_id: platform.into(),
            suppressed,
            industries: vec!["instant_delivery".into()],
            orders: if suppressed { 0 } else { 120 },
            ..Default::default()
        }
    }

    #[test]
    fn cells_of_both_services_meet_on_their_keys() {
        let claims = vec![
            cpb::ClaimStatisticsCell {
                month: "2026-11".into(),
                province_code: "440000".into(),
                platform_id: "p1".into(),
                claims: 7,
                refused: 2,
                refusals_by_reason: [("FILED_LATE".to_string(), 2)].into(),
                ..Default::default()
            },
            cpb::ClaimStatisticsCell {
                month: "2026-11".into(),
                province_code: "440000".into(),
                platform_id: String::new(),
                suppressed: true,
                ..Default::default()
            },
        ];
        let fund = vec![
            fpb::FundStatisticsCell {
                month: "2026-11".into(),
                province_code: "440000".into(),
                platform_id: "p1".into(),
                fees_received_fen: 700,
                benefits_fen: 0,
                benefits_by_type_fen: [("death_grant".to_string(), 5_000)].into(),
                withheld_types: vec!["funeral_grant".into()],
                ..Default::default()
            },
            fpb::FundStatisticsCell {
                month: "2026-11".into(),
                province_code: "440000".into(),
                platform_id: "p2".into(),
                fees_received_fen: 14,
                ..Default::default()
            },
        ];
        let rows = join(Cells {
            premium: vec![premium_cell("p1", false), premium_cell("p2", true)],
            incident: vec![ipb::IncidentStatisticsCell {
                month: "2026-11".into(),
                province_code: "440000".into(),
                platform_id: "p1".into(),
                incidents: 4,
                ..Default::default()
            }],
            claims,
            fund,
        });
        let keys: Vec<&str> = rows.iter().map(|r| r.key.2.as_str()).collect();
        assert_eq!(keys, ["", "p1", "p2"]);
        let cols = columns();
        let value = |row: &Row, name: &str| {
            let c = cols.iter().find(|c| c.name == name).unwrap();
            (c.value)(row)
        };
        assert_eq!(value(&rows[1], "orders"), Value::Count(Some(120)));
        assert_eq!(value(&rows[1], "claims"), Value::Count(Some(7)));
        assert_eq!(value(&rows[1], "refused_filed_late"), Value::Count(Some(2)));
        assert_eq!(value(&rows[1], "refused_self_harm"), Value::Count(Some(0)));
        assert_eq!(value(&rows[2], "orders"), Value::Count(None), "suppressed");
        assert_eq!(value(&rows[2], "premium_suppressed"), Value::Flag(true));
        assert_eq!(value(&rows[2], "claims"), Value::Count(None), "no cell");
        assert_eq!(value(&rows[0], "claims_suppressed"), Value::Flag(true));
        assert_eq!(
            value(&rows[1], "fees_received_fen"),
            Value::Count(Some(700))
        );
        assert_eq!(
            value(&rows[1], "benefits_death_grant_fen"),
            Value::Count(Some(5_000))
        );
        assert_eq!(
            value(&rows[1], "benefits_funeral_grant_fen"),
            Value::Count(None),
            "withheld: paid on too few claims"
        );
        assert_eq!(
            value(&rows[1], "benefits_nursing_care_fen"),
            Value::Count(Some(0))
        );
        assert_eq!(
            value(&rows[1], "benefits_fen"),
            Value::Count(None),
            "a withheld type withholds the total"
        );
        assert_eq!(
            value(&rows[2], "arrears_fen"),
            Value::Count(None),
            "no fund cell"
        );
    }

    #[test]
    fn every_refusal_reason_has_its_column_and_names_are_unique() {
        let cols = columns();
        assert_eq!(
            cols.iter()
                .filter(|c| c.name.starts_with("refused_"))
                .count(),
            12
        );
        let mut names: Vec<&str> = cols.iter().map(|c| c.name.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), cols.len());
    }
}
