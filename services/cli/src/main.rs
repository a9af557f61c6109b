//! `gigshield`: the command newcomers and operators type.
//!
//! It mints development tokens and drives load against running services; `demo` arrives
//! with the remaining services.

use gigshield_cli::load;

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use gigshield_kit::Role;
use gigshield_kit::auth::TokenMinter;
use uuid::Uuid;

#[derive(Parser)]
#[command(
    name = "gigshield",
    version,
    about = "Occupational-injury protection for platform workers"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Mint a bearer token signed with a development key (never a production key).
    Token(TokenArgs),
    /// Start every service and simulate a city-month through their APIs (`make demo`).
    Demo(gigshield_cli::demo::DemoArgs),
    /// The demo's workload while services, Kafka and PostgreSQL are killed and restarted;
    /// checks the invariants afterwards (`make chaos`).
    Chaos(gigshield_cli::chaos::ChaosArgs),
    /// Write the regulators' monthly statistics as CSV and Parquet (columns: docs/export.md).
    Export(gigshield_cli::export::ExportArgs),
    /// Send an insurer's payout records of a province-month from a CSV file to the fund.
    UploadPayoutRecords(gigshield_cli::records::UploadArgs),
    /// Drive load against a running service and write its numbers to a report section.
    Load {
        #[command(subcommand)]
        target: LoadTarget,
        /// Markdown file whose section for this load is rewritten.
        #[arg(long, global = true, default_value = "BENCHMARKS.md")]
        report: PathBuf,
    },
}

#[derive(Subcommand)]
enum LoadTarget {
    /// BulkRegisterWorkers throughput and GetWorker latency.
    Enrollment(load::enrollment::EnrollmentLoad),
    /// ReportOrders end to end against a COPY ceiling, and VerifyWorkActivity latency.
    Premium(load::premium::PremiumLoad),
    /// ApplicationFiled → ClaimConfirmed latency through the claim pipeline at a steady rate.
    Claims(load::claims::ClaimsLoad),
    /// ghz (an outside client) against premium's VerifyWorkActivity through server reflection.
    Ghz(load::ghz::GhzLoad),
}

#[derive(Clone, Copy, ValueEnum)]
enum RoleArg {
    Platform,
    Worker,
    Insurer,
    Adjuster,
    Operator,
    Regulator,
}

#[derive(clap::Args)]
struct TokenArgs {
    #[arg(long, value_enum)]
    role: RoleArg,
    /// Required with --role platform.
    #[arg(long)]
    platform_id: Option<Uuid>,
    /// Required with --role worker.
    #[arg(long)]
    person_id: Option<Uuid>,
    /// Required with --role insurer; with --role adjuster, an adjuster of that insurer.
    #[arg(long)]
    insurer_id: Option<Uuid>,
    /// `national`, a province (440000) or a city (440300): required with --role operator and
    /// regulator, and with --role adjuster of an agency (no insurer id). Never implied.
    #[arg(long)]
    region: Option<String>,
    /// The token's `sub`.
    #[arg(long, default_value = "dev")]
    subject: String,
    #[arg(long, default_value_t = 3600)]
    ttl_secs: u64,
    /// PEM private key (Ed25519 or RSA).
    #[arg(
        long,
        env = "GIGSHIELD_SIGNING_KEY",
        default_value = "deploy/local/dev-keys/jwt-ed25519.pem"
    )]
    key: PathBuf,
    #[arg(long, env = "JWT_ISSUER", default_value = gigshield_kit::auth::DEV_ISSUER)]
    issuer: String,
    #[arg(long, env = "JWT_AUDIENCE", default_value = gigshield_kit::auth::DEV_AUDIENCE)]
    audience: String,
}

fn jurisdiction(region: &str) -> anyhow::Result<gigshield_kit::Jurisdiction> {
    gigshield_kit::Jurisdiction::parse(region).map_err(|e| anyhow::anyhow!("--region: {e}"))
}

// The load generators share the cores with what they load: keep their allocation cheap.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime");
    match runtime.block_on(run(Cli::parse())) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Demo(args) => gigshield_cli::demo::run(&args).await?,
        Command::Chaos(args) => gigshield_cli::chaos::run(&args).await?,
        Command::Export(args) => gigshield_cli::export::run(&args).await?,
        Command::UploadPayoutRecords(args) => gigshield_cli::records::run(&args).await?,
        Command::Load {
            target: LoadTarget::Enrollment(args),
            report,
        } => {
            let channel = load::connect_when_serving(&args.addr, Duration::from_secs(60)).await?;
            let section = load::enrollment::run(&args, channel).await?;
            println!("{section}");
            load::report::write_section(&report, "enrollment", &section)
                .with_context(|| format!("write {}", report.display()))?;
        }
        Command::Load {
            target: LoadTarget::Premium(args),
            report,
        } => {
            let section = load::premium::run(&args).await?;
            println!("{section}");
            load::report::write_section(&report, "premium", &section)
                .with_context(|| format!("write {}", report.display()))?;
        }
        Command::Load {
            target: LoadTarget::Claims(args),
            report,
        } => {
            let section = load::claims::run(&args).await?;
            println!("{section}");
            load::report::write_section(&report, "claims", &section)
                .with_context(|| format!("write {}", report.display()))?;
        }
        Command::Load {
            target: LoadTarget::Ghz(args),
            report,
        } => {
            let section = load::ghz::run(&args).await?;
            println!("{section}");
            load::report::write_section(&report, "ghz", &section)
                .with_context(|| format!("write {}", report.display()))?;
        }
        Command::Token(args) => {
            let role = match args.role {
                RoleArg::Platform => Role::Platform {
                    platform_id: args
                        .platform_id
                        .context("--platform-id is required for a platform token")?,
                },
                RoleArg::Worker => Role::Worker {
                    person_id: args
                        .person_id
                        .context("--person-id is required for a worker token")?,
                },
                RoleArg::Insurer => Role::Insurer {
                    insurer_id: args
                        .insurer_id
                        .context("--insurer-id is required for an insurer token")?,
                },
                RoleArg::Adjuster => match (args.insurer_id, &args.region) {
                    (Some(insurer_id), None) => Role::insurer_adjuster(insurer_id),
                    (None, Some(region)) => Role::Adjuster {
                        party: gigshield_kit::Party::Agency(jurisdiction(region)?),
                    },
                    _ => anyhow::bail!(
                        "an adjuster works for an insurer (--insurer-id) or an agency (--region)"
                    ),
                },
                RoleArg::Operator => Role::Operator {
                    jurisdiction: jurisdiction(
                        args.region
                            .as_deref()
                            .context("--region is required for an operator token")?,
                    )?,
                },
                RoleArg::Regulator => Role::Regulator {
                    jurisdiction: jurisdiction(
                        args.region
                            .as_deref()
                            .context("--region is required for a regulator token")?,
                    )?,
                },
            };
            let minter = TokenMinter::from_file(&args.key)
                .with_context(|| format!("signing key {}", args.key.display()))?
                .with_issuer(Some(args.issuer), Some(args.audience));
            println!(
                "{}",
                minter.mint(&args.subject, &role, Duration::from_secs(args.ttl_secs))
            );
        }
    }
    Ok(())
}
