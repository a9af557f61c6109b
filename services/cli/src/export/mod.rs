//! `gigshield export`: the monthly statistics file for the national information platform.
//!
//! Reads premium's, incident's, claims' and the fund's regulator statistics month by month
//! with the caller's token
//! (a regulator's or a provincial operator's: the files hold what that token may see, small
//! cells already suppressed by the services) and writes one table twice, as CSV and Parquet.
//! The column dictionary is `docs/export.md`, generated from [`table::columns`].

pub mod files;
pub mod table;

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use gigshield_proto::claims::GetClaimStatisticsRequest;
use gigshield_proto::claims::claims_service_client::ClaimsServiceClient;
use gigshield_proto::fund::GetFundStatisticsRequest;
use gigshield_proto::fund::fund_service_client::FundServiceClient;
use gigshield_proto::incident::GetIncidentStatisticsRequest;
use gigshield_proto::incident::incident_service_client::IncidentServiceClient;
use gigshield_proto::premium::GetPremiumStatisticsRequest;
use gigshield_proto::premium::premium_service_client::PremiumServiceClient;
use gigshield_scheme::calendar::CalendarMonth;
use tonic::transport::Channel;

use crate::demo::client::Progress;
use crate::remote;

/// The longest span one export covers; the services refuse more than this per request, and
/// the export asks one month at a time.
pub const MAX_MONTHS: u32 = 24;

#[derive(clap::Args, Debug, Clone)]
pub struct ExportArgs {
    /// First Shanghai month (YYYY-MM).
    #[arg(long)]
    pub from: CalendarMonth,
    /// Last Shanghai month (YYYY-MM); the first one when left out.
    #[arg(long)]
    pub through: Option<CalendarMonth>,
    /// Premium's gRPC endpoint.
    #[arg(
        long,
        env = "GIGSHIELD_PREMIUM_ADDR",
        default_value = "http://127.0.0.1:50052"
    )]
    pub premium: String,
    /// Incident's gRPC endpoint.
    #[arg(
        long,
        env = "GIGSHIELD_INCIDENT_ADDR",
        default_value = "http://127.0.0.1:50053"
    )]
    pub incident: String,
    /// Claims' gRPC endpoint.
    #[arg(
        long,
        env = "GIGSHIELD_CLAIMS_ADDR",
        default_value = "http://127.0.0.1:50054"
    )]
    pub claims: String,
    /// The fund's gRPC endpoint.
    #[arg(
        long,
        env = "GIGSHIELD_FUND_ADDR",
        default_value = "http://127.0.0.1:50055"
    )]
    pub fund: String,
    /// A regulator's or provincial operator's bearer token.
    #[arg(long, env = "GIGSHIELD_TOKEN", hide_env_values = true)]
    pub token: String,
    /// Where the two files go.
    #[arg(long, default_value = ".")]
    pub out_dir: PathBuf,
}

/// Where to read, with which token.
pub struct Sources {
    pub premium: Channel,
    pub incident: Channel,
    pub claims: Channel,
    pub fund: Channel,
    pub token: String,
}

impl Sources {
    fn request<T>(&self, message: T) -> anyhow::Result<tonic::Request<T>> {
        let mut request = crate::remote::authorized(message, &self.token)?;
        request.set_timeout(Duration::from_secs(60));
        Ok(request)
    }
}

/// The months from `from` through `through`, at most [`MAX_MONTHS`].
pub fn months(from: CalendarMonth, through: CalendarMonth) -> anyhow::Result<Vec<CalendarMonth>> {
    from.months_through(through, MAX_MONTHS)
        .map_err(|e| anyhow::anyhow!("--through {e}"))?;
    let mut out = vec![from];
    while let Some(next) = out.last().and_then(|m| m.next()).filter(|m| *m <= through) {
        out.push(next);
    }
    Ok(out)
}

/// Reads the four services month by month and joins their cells.
pub async fn collect(
    sources: &Sources,
    months: &[CalendarMonth],
    progress: &Progress,
) -> anyhow::Result<Vec<table::Row>> {
    let mut cells = table::Cells::default();
    for month in months {
        let m = month.to_string();
        let answer = PremiumServiceClient::new(sources.premium.clone())
            .get_premium_statistics(sources.request(GetPremiumStatisticsRequest {
                from_month: m.clone(),
                through_month: m.clone(),
            })?)
            .await
            .with_context(|| format!("premium's GetPremiumStatistics for {m}"))?;
        cells.premium.extend(answer.into_inner().cells);
        progress.add(1);
        let answer = IncidentServiceClient::new(sources.incident.clone())
            .get_incident_statistics(sources.request(GetIncidentStatisticsRequest {
                from_month: m.clone(),
                through_month: m.clone(),
            })?)
            .await
            .with_context(|| format!("incident's GetIncidentStatistics for {m}"))?;
        cells.incident.extend(answer.into_inner().cells);
        progress.add(1);
        let answer = ClaimsServiceClient::new(sources.claims.clone())
            .get_claim_statistics(sources.request(GetClaimStatisticsRequest {
                from_month: m.clone(),
                through_month: m.clone(),
            })?)
            .await
            .with_context(|| format!("claims' GetClaimStatistics for {m}"))?;
        cells.claims.extend(answer.into_inner().cells);
        progress.add(1);
        let answer = FundServiceClient::new(sources.fund.clone())
            .get_fund_statistics(sources.request(GetFundStatisticsRequest {
                from_month: m.clone(),
                through_month: m.clone(),
            })?)
            .await
            .with_context(|| format!("the fund's GetFundStatistics for {m}"))?;
        cells.fund.extend(answer.into_inner().cells);
        progress.add(1);
    }
    Ok(table::join(cells))
}

/// Reads, joins and writes both files; returns their paths and the rows written.
pub async fn export(
    sources: &Sources,
    from: CalendarMonth,
    through: CalendarMonth,
    dir: &Path,
) -> anyhow::Result<([PathBuf; 2], Vec<table::Row>)> {
    let months = months(from, through)?;
    let progress = Progress::new("statistics exported", months.len() as u64 * 4 + 1);
    let rows = collect(sources, &months, &progress).await?;
    std::fs::create_dir_all(dir).with_context(|| format!("create {}", dir.display()))?;
    let paths = files::paths(dir, &from.to_string(), &through.to_string());
    let columns = table::columns();
    // Both written, then both renamed: a reader never pairs a new CSV with an old Parquet.
    let written = files::write_csv(&paths[0], &columns, &rows)
        .and_then(|()| files::write_parquet(&paths[1], &columns, &rows))
        .and_then(|()| files::publish(&paths));
    if let Err(e) = written {
        files::discard(&paths);
        return Err(e);
    }
    progress.add(1);
    progress.finish();
    Ok((paths, rows))
}

pub async fn run(args: &ExportArgs) -> anyhow::Result<()> {
    let sources = Sources {
        premium: remote::channel(&args.premium)?,
        incident: remote::channel(&args.incident)?,
        claims: remote::channel(&args.claims)?,
        fund: remote::channel(&args.fund)?,
        token: args.token.clone(),
    };
    let through = args.through.unwrap_or(args.from);
    let ([csv, parquet], rows) = export(&sources, args.from, through, &args.out_dir).await?;
    println!(
        "{} rows written to {} and {} (columns: docs/export.md)",
        rows.len(),
        csv.display(),
        parquet.display()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_span_lists_its_months_and_refuses_reversed_or_long_ones() {
        let m = |s: &str| s.parse::<CalendarMonth>().unwrap();
        let listed: Vec<String> = months(m("2026-11"), m("2027-02"))
            .unwrap()
            .iter()
            .map(ToString::to_string)
            .collect();
        assert_eq!(listed, ["2026-11", "2026-12", "2027-01", "2027-02"]);
        assert!(months(m("2026-11"), m("2026-10")).is_err());
        assert!(months(m("2024-01"), m("2026-01")).is_err(), "25 months");
    }

    /// `docs/export.md` carries the dictionary this build writes; `GIGSHIELD_UPDATE_DOCS=1`
    /// rewrites it.
    #[test]
    fn the_column_dictionary_in_docs_is_current() {
        const BEGIN: &str = "<!-- columns: generated by `gigshield export`'s tests -->\n";
        const END: &str = "<!-- end of columns -->";
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/export.md");
        let text = std::fs::read_to_string(&path).unwrap();
        let start = text.find(BEGIN).expect("the begin marker") + BEGIN.len();
        let end = text.find(END).expect("the end marker");
        let generated = table::dictionary();
        if std::env::var_os("GIGSHIELD_UPDATE_DOCS").is_some() {
            let updated = format!("{}{generated}{}", &text[..start], &text[end..]);
            std::fs::write(&path, updated).unwrap();
        } else {
            assert_eq!(
                &text[start..end],
                generated,
                "docs/export.md is stale: GIGSHIELD_UPDATE_DOCS=1 cargo test -p gigshield-cli"
            );
        }
    }
}
