//! The table printed at the end of a run, and where to look next.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::time::Duration;

use super::Outcome;
use super::drive::rate_of;
use crate::load::report::{Percentiles, ms};
use crate::stack::StackInfo;

/// Fen as yuan with two decimals.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let fen = fen.unsigned_abs();
    format!("{sign}¥{}.{:02}", group(fen / 100), fen % 100)
}

fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn industry_name(i: gigshield_proto::common::Industry) -> &'static str {
    use gigshield_proto::common::Industry as I;
    match i {
        I::InstantDelivery | I::FoodDelivery => "instant delivery",
        I::RideHailing => "ride-hailing",
        I::IntraCityFreight => "intra-city freight",
        I::Unspecified => "?",
    }
}

fn percentiles(samples: &[Duration]) -> String {
    match Percentiles::of(samples.to_vec()) {
        Some(p) => format!(
            "p50 {}, p90 {}, p99 {}, max {} ({} samples)",
            ms(p.p50),
            ms(p.p90),
            ms(p.p99),
            ms(p.max),
            samples.len()
        ),
        None => "no samples".into(),
    }
}

/// `still_running`: the services stay up after the demo (`--keep-running`), so the closing
/// hints may name their ports.
#[expect(
    clippy::too_many_lines,
    reason = "the summary page top to bottom; to split by section"
)]
pub fn render(o: &Outcome, stack: &StackInfo, elapsed: Duration, still_running: bool) -> String {
    let mut s = String::new();
    let month = o.month.to_string();
    let _ = writeln!(s, "\n== gigshield demo: {month}, Shenzhen ==\n");
    let _ = writeln!(
        s,
        "| platform | industry | orders accepted | billable | coverage days | fees (statement) | declared | paid |"
    );
    let _ = writeln!(s, "|---|---|---:|---:|---:|---:|---:|---:|");
    let mut totals = (0i64, 0i64, 0u64, 0i64, 0i64, 0i64);
    for (p, platform) in o.workload.platforms.iter().enumerate() {
        let (orders, billable, fen) = o.statements.get(p).copied().unwrap_or_default();
        let (declared, paid) = o.declarations.get(p).copied().unwrap_or_default();
        let days = o.tally.coverage_days.get(p).copied().unwrap_or_default();
        let mine = o.tally.orders.get(p).and_then(|m| m.get(&month)).copied();
        let check = match mine {
            Some((n, b))
                if n == orders
                    && b == billable
                    && fen == b * rate_of(&o.tally, platform.industry) =>
            {
                ""
            }
            _ => " ≠ generator",
        };
        let _ = writeln!(
            s,
            "| {} | {} | {orders}{check} | {billable} | {days} | {} | {} | {} |",
            platform.legal_name,
            industry_name(platform.industry),
            yuan(fen),
            yuan(declared),
            yuan(paid)
        );
        totals.0 += orders;
        totals.1 += billable;
        totals.2 += days;
        totals.3 += fen;
        totals.4 += declared;
        totals.5 += paid;
    }
    let _ = writeln!(
        s,
        "| **all** | | **{}** | {} | {} | **{}** | {} | {} |",
        totals.0,
        totals.1,
        totals.2,
        yuan(totals.3),
        yuan(totals.4),
        yuan(totals.5)
    );
    let _ = writeln!(
        s,
        "\nWorkers: {} ({} memberships). Rates per order: delivery {} fen, ride-hailing {} fen, freight {} fen.",
        o.tally.workers_registered,
        o.tally.memberships_registered,
        rate_of(&o.tally, gigshield_proto::common::Industry::InstantDelivery),
        rate_of(&o.tally, gigshield_proto::common::Industry::RideHailing),
        rate_of(
            &o.tally,
            gigshield_proto::common::Industry::IntraCityFreight
        ),
    );

    // Claims by case, outcome and reason.
    let mut by_kind: BTreeMap<&str, (u64, u64, u64, u64)> = BTreeMap::new();
    let mut reasons: BTreeMap<String, u64> = BTreeMap::new();
    let mut refusals: BTreeMap<String, u64> = BTreeMap::new();
    for app in &o.tally.applications {
        let entry = by_kind.entry(app.kind.label()).or_default();
        entry.0 += 1;
        let Some(claim) = o
            .book
            .by_incident
            .get(&app.incident_id)
            .and_then(|ids| ids.first())
            .and_then(|id| o.book.claims.get(id))
        else {
            continue;
        };
        match (claim.confirmed, &claim.refused) {
            (Some(true), _) => entry.1 += 1,
            (Some(false), _) => entry.2 += 1,
            (_, Some(reason)) => {
                entry.3 += 1;
                *refusals.entry(reason.clone()).or_default() += 1;
            }
            _ => {}
        }
        for r in &claim.review_reasons {
            *reasons.entry(r.clone()).or_default() += 1;
        }
    }
    let _ = writeln!(
        s,
        "\n| case | applications | confirmed automatically | confirmed by the adjuster | refused |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|");
    for (kind, (n, auto, manual, refused)) in &by_kind {
        let _ = writeln!(s, "| {kind} | {n} | {auto} | {manual} | {refused} |");
    }
    let _ = writeln!(
        s,
        "\nApplications refused at filing (late, no explanation; the worker then filed): {}",
        o.tally.refused_at_filing
    );
    let _ = writeln!(s, "Review reasons: {}", join(&reasons));
    let _ = writeln!(s, "Refusal reasons: {}", join(&refusals));
    let _ = writeln!(
        s,
        "Benefits: {} appraisals, {} assessments — one-time {} plus {} a month; {} payouts issued, {} paid.",
        o.benefits.appraisals,
        o.benefits.assessed,
        yuan(o.benefits.one_time_fen),
        yuan(o.benefits.monthly_fen),
        o.benefits.payouts,
        yuan(o.benefits.paid_fen)
    );
    let _ = writeln!(
        s,
        "Benefit figures: the shipped, sourced ones (national incomes 2024–2025, Shenzhen's meal \
         allowance) plus {} example area wages for Shenzhen entered through AddBenefitFigure — \
         labelled examples, confidence ?, not published figures.",
        o.benefits.example_figures
    );
    let _ = writeln!(
        s,
        "Awaiting benefit parameters (listed by ListAwaitingParameters, assessed when the figure \
         is added): {}",
        join(&o.benefits.awaiting_parameters)
    );
    let _ = writeln!(
        s,
        "\n![Orders per hour]({})\n![Claim funnel]({})",
        super::chart::PICTURES[0],
        super::chart::PICTURES[1]
    );
    s.push_str(&fund_section(o));
    let _ = writeln!(
        s,
        "\nLatency — ReportOrders batch of up to 1000 orders, round trip: {}",
        percentiles(&o.tally.report_latencies)
    );
    let _ = writeln!(
        s,
        "Latency — application filed → claim determined (as seen on WatchClaims): {}",
        percentiles(&o.decision_latencies)
    );
    let _ = writeln!(
        s,
        "Claim events seen on WatchClaims: {} ({}); calls retried: {}.",
        o.book.events,
        join(&o.book.event_types),
        o.retries
    );
    let _ = writeln!(s, "\nPhases:");
    for (name, d) in &o.phases {
        let _ = writeln!(s, "  {name:<44} {:>7.1}s", d.as_secs_f64());
    }
    let _ = writeln!(s, "  {:<44} {:>7.1}s", "total", elapsed.as_secs_f64());
    if !o.failures.is_empty() {
        let _ = writeln!(s, "\nFailures:");
        for f in o.failures.iter().take(20) {
            let _ = writeln!(s, "  - {f}");
        }
    }
    let _ = writeln!(s, "{}", where_next(stack, o, still_running));
    s
}

/// The fund's books as the fund service keeps them from premium's and claims' events alone.
fn fund_section(o: &Outcome) -> String {
    let f = &o.fund;
    let mut s = String::new();
    let _ = writeln!(
        s,
        "\nThe fund, Guangdong pool (fund service, from events only; caught up in {:.1}s):",
        f.caught_up_after.as_secs_f64()
    );
    let _ = writeln!(
        s,
        "| month | fees declared | received | arrears | benefits | balance |"
    );
    let _ = writeln!(s, "|---|---:|---:|---:|---:|---:|");
    for st in [&f.fees, &f.benefits] {
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} | {} | {} |",
            st.month,
            yuan(st.fees_declared_fen),
            yuan(st.fees_received_fen),
            yuan(st.arrears_fen),
            yuan(st.benefits_fen),
            yuan(st.balance_fen)
        );
    }
    let by_type: BTreeMap<String, u64> = f
        .benefits
        .benefits_by_type_fen
        .iter()
        .map(|(k, v)| (k.clone(), u64::try_from(*v).unwrap_or(0) / 100))
        .collect();
    let _ = writeln!(s, "Benefits by type (yuan): {}", join(&by_type));
    let st = &f.settlement;
    let _ = writeln!(
        s,
        "Insurer settlement {}: {} payouts issued ({}), {} returned, advanced {}, service fee {} \
         ({} bps), reimbursed {}, owed {}; records submitted: {}; approvable after the month ends.",
        st.month,
        st.payouts_issued,
        yuan(st.issued_fen),
        st.payouts_returned,
        yuan(st.advanced_fen),
        yuan(st.service_fee_fen),
        st.service_fee_bps,
        yuan(st.reimbursed_fen),
        yuan(st.owed_fen),
        if st.records_submitted { "yes" } else { "no" }
    );
    let shown: Vec<_> = f.statistics.iter().filter(|c| !c.suppressed).collect();
    let claims: i64 = shown.iter().map(|c| c.claims).sum();
    let auto: i64 = shown.iter().map(|c| c.confirmed_automatically).sum();
    let _ = writeln!(
        s,
        "Regulator's counts (Guangdong, by filing month × platform): {} cells, {} suppressed \
         (fewer than {} persons); {claims} claims shown, {auto} confirmed automatically.",
        f.statistics.len(),
        f.statistics.len() - shown.len(),
        f.min_persons
    );
    s
}

fn join(map: &BTreeMap<String, u64>) -> String {
    if map.is_empty() {
        return "none".into();
    }
    map.iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn where_next(stack: &StackInfo, o: &Outcome, still_running: bool) -> String {
    let mut s = String::new();
    let cfg = &stack.config;
    if !still_running {
        let _ = writeln!(
            s,
            "\nWhere to look next (the services have stopped; `make demo ARGS=--keep-running` keeps them up, with grpcurl hints for their ports):"
        );
        return persisted(s, cfg);
    }
    let platform = o
        .tally
        .platform_ids
        .first()
        .map(|p| p.to_string())
        .unwrap_or_default();
    let _ = writeln!(
        s,
        "\nWhere to look next (the services are still up; reflection is on):"
    );
    let _ = writeln!(
        s,
        "  TOKEN=$(make -s token ARGS=\"--role operator --region national\")\n  grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" -d '{{\"platform_id\":\"{platform}\",\"month\":\"{}\"}}' {} gigshield.premium.v1.PremiumService/ListDeclarations",
        o.month,
        stack.addr("premium").trim_start_matches("http://")
    );
    let _ = writeln!(
        s,
        "  TOKEN=$(make -s token ARGS=\"--role insurer --insurer-id {}\")\n  grpcurl -plaintext -H \"authorization: Bearer $TOKEN\" -d '{{}}' {} gigshield.claims.v1.ClaimsService/WatchClaims",
        o.insurer,
        stack.addr("claims").trim_start_matches("http://")
    );
    let _ = writeln!(
        s,
        "  grpcurl -plaintext {} list   # every service lists itself",
        stack.addr("enrollment").trim_start_matches("http://")
    );
    persisted(s, cfg)
}

/// What outlives the services: topics, databases, logs.
fn persisted(mut s: String, cfg: &crate::stack::StackConfig) -> String {
    let _ = writeln!(
        s,
        "  topics: {}",
        crate::stack::SERVICES
            .iter()
            .map(|t| cfg.topic(&format!("{t}.events.v1")))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let _ = writeln!(
        s,
        "  databases: {}_{{{}}} on {}",
        cfg.label,
        crate::stack::SERVICES.join(","),
        cfg.pg_base_url
    );
    let _ = write!(s, "  logs: {}/<service>.log", cfg.log_dir.display());
    s
}

/// The addresses of a stack left running.
pub fn running(stack: &StackInfo) -> String {
    let mut s = String::from("\nServices left running:\n");
    for name in crate::stack::SERVICES {
        let _ = writeln!(s, "  {name:<11} {}", stack.addr(name));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yuan_from_fen() {
        assert_eq!(yuan(0), "¥0.00");
        assert_eq!(yuan(7), "¥0.07");
        assert_eq!(yuan(123_456_789), "¥1,234,567.89");
        assert_eq!(yuan(-1050), "-¥10.50");
    }
}
