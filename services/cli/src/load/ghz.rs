//! ghz, an outside gRPC load tool, against one unary RPC found through the service's server
//! reflection: premium's `VerifyWorkActivity`. A cross-check of the home-grown generators with a
//! client that shares none of their code (Go's grpc-go instead of tonic). `tests/load/bench.sh`
//! installs ghz with `go install` and runs this with the stack of the claims benchmark still up.

use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, bail};
use chrono::{DateTime, SecondsFormat, Utc};
use gigshield_kit::Role;
use gigshield_kit::sea_orm::{ConnectionTrait, Database, Statement};
use uuid::Uuid;

use super::report::machine;

const CALL: &str = "gigshield.premium.v1.PremiumService/VerifyWorkActivity";
/// How many different (person, instant) questions ghz cycles through.
const SAMPLES: usize = 1000;

#[derive(clap::Args, Debug)]
pub struct GhzLoad {
    /// The ghz binary.
    #[arg(long, default_value = ".local/bin/ghz")]
    pub ghz: PathBuf,
    /// The version it was installed at, for the report (`go install` builds say "dev").
    #[arg(long, default_value = "(version not given)")]
    pub ghz_version: String,
    /// premium's gRPC listener, host:port (plaintext).
    #[arg(long, default_value = "127.0.0.1:50172")]
    pub target: String,
    /// premium's database: the orders asked about are drawn from it.
    #[arg(long)]
    pub database_url: String,
    /// Requests per second (ghz `--rps`).
    #[arg(long, default_value_t = 200)]
    pub rate: u64,
    /// ghz `--duration`, seconds.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// ghz workers (`--concurrency`) sharing one connection.
    #[arg(long, default_value_t = 10)]
    pub concurrency: u64,
    /// The margin each VerifyWorkActivity asks for, in minutes.
    #[arg(long, default_value_t = 30)]
    pub margin_minutes: i64,
    /// PEM private key the adjuster's bearer token is signed with (development key).
    #[arg(long, default_value = "deploy/local/dev-keys/jwt-ed25519.pem")]
    pub key: PathBuf,
}

pub async fn run(args: &GhzLoad) -> anyhow::Result<String> {
    if args.rate == 0 || args.seconds == 0 || args.concurrency == 0 {
        bail!("--rate, --seconds and --concurrency must be positive");
    }
    let db = Database::connect(&args.database_url).await?;
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT person_id, accepted_at + (COALESCE(completed_at, cancelled_at, accepted_at) - accepted_at) / 2 AS at \
                 FROM orders ORDER BY random() LIMIT {SAMPLES}"
            ),
        ))
        .await?;
    let stored = rows.len();
    if rows.is_empty() {
        bail!("premium has no orders to ask about");
    }
    let stored_orders: i64 = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT COUNT(*) AS n FROM orders".to_string(),
        ))
        .await?
        .context("count row")?
        .try_get("", "n")?;
    // ghz sends the messages of a JSON array round robin; protojson spells a Timestamp as
    // RFC 3339 and a Duration as seconds with an `s`.
    let data: Vec<serde_json::Value> = rows
        .iter()
        .map(|r| {
            let person: Uuid = r.try_get("", "person_id")?;
            let at: DateTime<Utc> = r.try_get("", "at")?;
            Ok(serde_json::json!({
                "person_id": person.to_string(),
                "at": at.to_rfc3339_opts(SecondsFormat::Micros, true),
                "margin": format!("{}s", args.margin_minutes * 60),
            }))
        })
        .collect::<Result<_, gigshield_kit::sea_orm::DbErr>>()?;
    let data_file = tempfile_path("ghz-data", "json");
    std::fs::write(&data_file, serde_json::to_vec(&data)?)?;
    let token = crate::stack::dev_minter(&args.key)?.mint(
        "load-ghz",
        &Role::national_adjuster(),
        Duration::from_secs((args.seconds + 600).min(24 * 3600)),
    );
    let metadata = serde_json::json!({ "authorization": format!("Bearer {token}") });

    eprintln!(
        "ghz: {CALL} at {} req/s for {} s, {} workers, via server reflection",
        args.rate, args.seconds, args.concurrency
    );
    let output = Command::new(&args.ghz)
        .arg("--insecure")
        .args(["--call", CALL])
        .arg("--data-file")
        .arg(&data_file)
        .args(["--metadata", &metadata.to_string()])
        .args(["--rps", &args.rate.to_string()])
        .args(["--duration", &format!("{}s", args.seconds)])
        .args(["--concurrency", &args.concurrency.to_string()])
        .args(["--connections", "1"])
        .args(["--format", "json"])
        .arg(&args.target)
        .output();
    std::fs::remove_file(&data_file).ok();
    let output = output.with_context(|| format!("run {}", args.ghz.display()))?;
    if !output.status.success() {
        bail!(
            "ghz failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        );
    }
    let summary = Summary::parse(&output.stdout)?;
    if summary.ok == 0 {
        bail!(
            "no call succeeded: status codes {:?}, errors {:?}",
            summary.status_codes,
            summary.errors
        );
    }
    let failed = summary.count.saturating_sub(summary.ok);
    Ok(format!(
        "## ghz (an outside client)\n\n\
         Machine: {machine}; ghz {version} installed by `tests/load/bench.sh` with `go install`.\n\n\
         | measure | result |\n|---|---|\n\
         | ghz → premium `VerifyWorkActivity`, found through server reflection; `--rps {rate} --duration {seconds}s --concurrency {conc} --connections 1`, \
         bearer token of an adjuster; {samples} (person, instant) questions round robin, {stored_orders} orders stored \
         ({count} calls, {failed} not OK) | **{rps:.0} req/s**; p50 {p50}, p90 {p90}, p99 {p99}, slowest {slowest} |\n\n\
         Run on the stack of the claim-pipeline benchmark after it finished (its orders are all premium holds), \
         so the numbers are for the RPC and the framework, not for a large table (the premium section measures \
         `VerifyWorkActivity` over 50 M orders with the project's own generator). ghz paces requests at the given \
         rate across a fixed pool of workers, so a slow answer can delay the next request (the project's generators \
         send on schedule whatever the latency). Status codes: {codes}. Regenerate with `make bench` (or \
         `tests/load/bench.sh claims`).\n",
        machine = machine(),
        version = args.ghz_version,
        rate = args.rate,
        seconds = args.seconds,
        conc = args.concurrency,
        samples = stored,
        count = summary.count,
        rps = summary.rps,
        p50 = summary.percentile(50)?,
        p90 = summary.percentile(90)?,
        p99 = summary.percentile(99)?,
        slowest = ns(summary.slowest_ns),
        codes = summary
            .status_codes
            .iter()
            .map(|(code, n)| format!("{code} {n}"))
            .collect::<Vec<_>>()
            .join(", "),
    ))
}

fn tempfile_path(stem: &str, ext: &str) -> PathBuf {
    std::env::temp_dir().join(format!("{stem}-{}.{ext}", Uuid::now_v7().simple()))
}

fn ns(nanos: u64) -> String {
    format!("{:.2} ms", nanos as f64 / 1e6)
}

/// The parts of ghz's JSON report that go into the table.
#[derive(Debug)]
struct Summary {
    count: u64,
    ok: u64,
    rps: f64,
    slowest_ns: u64,
    /// (percentage, latency in ns)
    distribution: Vec<(u64, u64)>,
    status_codes: Vec<(String, u64)>,
    errors: Vec<(String, u64)>,
}

impl Summary {
    fn parse(json: &[u8]) -> anyhow::Result<Self> {
        let report: serde_json::Value =
            serde_json::from_slice(json).context("ghz's JSON report")?;
        let number = |key: &str| {
            report
                .get(key)
                .and_then(serde_json::Value::as_f64)
                .with_context(|| format!("ghz report without {key}"))
        };
        let counts = |key: &str| -> Vec<(String, u64)> {
            report
                .get(key)
                .and_then(serde_json::Value::as_object)
                .map(|m| {
                    m.iter()
                        .map(|(k, v)| (k.clone(), v.as_u64().unwrap_or(0)))
                        .collect()
                })
                .unwrap_or_default()
        };
        let status_codes = counts("statusCodeDistribution");
        let ok = status_codes
            .iter()
            .find(|(code, _)| code == "OK")
            .map_or(0, |(_, n)| *n);
        let distribution = report
            .get("latencyDistribution")
            .and_then(serde_json::Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .filter_map(|i| {
                        Some((i.get("percentage")?.as_u64()?, i.get("latency")?.as_u64()?))
                    })
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            count: number("count")? as u64,
            ok,
            rps: number("rps")?,
            slowest_ns: number("slowest")? as u64,
            distribution,
            status_codes,
            errors: counts("errorDistribution"),
        })
    }

    fn percentile(&self, percentage: u64) -> anyhow::Result<String> {
        self.distribution
            .iter()
            .find(|(p, _)| *p == percentage)
            .map(|(_, latency)| ns(*latency))
            .with_context(|| format!("ghz report without a p{percentage}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_ghz_json_reports() {
        let json = br#"{"count":4000,"total":20000000000,"average":1500000,"fastest":300000,
            "slowest":45000000,"rps":199.9,
            "latencyDistribution":[{"percentage":10,"latency":500000},{"percentage":50,"latency":1200000},
              {"percentage":90,"latency":2500000},{"percentage":99,"latency":9000000}],
            "statusCodeDistribution":{"OK":3999,"Unavailable":1},
            "errorDistribution":{"rpc error: code = Unavailable":1}}"#;
        let s = Summary::parse(json).unwrap();
        assert_eq!((s.count, s.ok), (4000, 3999));
        assert_eq!(s.percentile(50).unwrap(), "1.20 ms");
        assert_eq!(s.percentile(99).unwrap(), "9.00 ms");
        assert!(s.percentile(75).is_err());
        assert_eq!(ns(s.slowest_ns), "45.00 ms");
    }
}
