//! The demo's last step: the regulators' export files of the demo month (and of this month,
//! when the claims were filed), written with a national regulator's token under the demo's
//! directory, and checked against what the demo itself reported.

use std::fmt::Write;
use std::path::PathBuf;
use std::time::Duration;

use gigshield_kit::{Jurisdiction, Role};
use gigshield_scheme::calendar::CalendarMonth;

use super::Outcome;
use crate::export::{self, Sources, table::Row};
use crate::stack::{StackConfig, StackInfo, dev_token};

pub struct ExportView {
    pub paths: [PathBuf; 2],
    pub rows: usize,
    pub suppressed: usize,
    pub orders: i64,
    pub claims: i64,
    pub benefits_fen: i64,
    /// Rows where some benefit figure is withheld (a type paid on too few claims).
    pub benefits_withheld: usize,
}

fn summed(rows: &[Row]) -> (i64, i64, usize) {
    let orders = rows
        .iter()
        .filter_map(|r| r.premium.as_ref().filter(|c| !c.suppressed))
        .map(|c| c.orders)
        .sum();
    let claims = rows
        .iter()
        .filter_map(|r| r.claims.as_ref().filter(|c| !c.suppressed))
        .map(|c| c.claims)
        .sum();
    let suppressed = rows
        .iter()
        .filter(|r| {
            r.premium.as_ref().is_some_and(|c| c.suppressed)
                || r.incident.as_ref().is_some_and(|c| c.suppressed)
                || r.claims.as_ref().is_some_and(|c| c.suppressed)
        })
        .count();
    (orders, claims, suppressed)
}

/// Writes the files; a figure that disagrees with the demo's own count is a failure.
pub async fn write(
    stack: &StackInfo,
    config: &StackConfig,
    o: &mut Outcome,
) -> anyhow::Result<ExportView> {
    let regulator = Role::Regulator {
        jurisdiction: Jurisdiction::National,
    };
    let sources = Sources {
        premium: stack.channel("premium"),
        incident: stack.channel("incident"),
        claims: stack.channel("claims"),
        fund: stack.channel("fund"),
        token: dev_token(&config.repo_root, &regulator, Duration::from_secs(3600))?,
    };
    let now = CalendarMonth::of(chrono::Utc::now());
    let (paths, rows) = export::export(&sources, o.month, now, &config.log_dir).await?;
    let (orders, claims, suppressed) = summed(&rows);
    let reported: i64 = o.statements.iter().map(|(orders, _, _)| orders).sum();
    if suppressed == 0 && orders != reported {
        o.failures.push(format!(
            "the export counts {orders} orders, premium's statements {reported}"
        ));
    }
    let opened = i64::try_from(o.book.claims.len()).unwrap_or(i64::MAX);
    if suppressed == 0 && claims != opened {
        o.failures.push(format!(
            "the export counts {claims} claims, WatchClaims showed {opened}"
        ));
    }
    let applications: i64 = rows
        .iter()
        .filter_map(|r| r.incident.as_ref().filter(|c| !c.suppressed))
        .map(|c| c.applications)
        .sum();
    let filed = i64::try_from(o.tally.applications.len()).unwrap_or(i64::MAX);
    if suppressed == 0 && applications != filed {
        o.failures.push(format!(
            "the export counts {applications} applications, the demo filed {filed}"
        ));
    }
    // What the file shows of benefits: every type not withheld.
    let benefits: i64 = rows
        .iter()
        .filter_map(|r| r.fund.as_ref().filter(|c| !c.benefits_suppressed))
        .flat_map(|c| c.benefits_by_type_fen.values())
        .sum();
    let benefits_withheld = rows
        .iter()
        .filter(|r| {
            r.fund
                .as_ref()
                .is_some_and(|c| c.benefits_suppressed || !c.withheld_types.is_empty())
        })
        .count();
    if benefits_withheld == 0 && benefits != o.benefits.paid_fen {
        o.failures.push(format!(
            "the export counts {benefits} fen of benefits, the demo paid {}",
            o.benefits.paid_fen
        ));
    }
    Ok(ExportView {
        paths,
        rows: rows.len(),
        suppressed,
        orders,
        claims,
        benefits_fen: benefits,
        benefits_withheld,
    })
}

pub fn section(view: &ExportView) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nRegulators' export (national regulator's token; columns in docs/export.md): {} rows, \
         {} with suppressed figures; {} orders, {} claims and ¥{:.2} of benefits shown ({} \
         rows withhold a benefit type paid on too few claims).",
        view.rows,
        view.suppressed,
        view.orders,
        view.claims,
        view.benefits_fen as f64 / 100.0,
        view.benefits_withheld
    );
    for path in &view.paths {
        let _ = writeln!(s, "  {}", path.display());
    }
    s
}
