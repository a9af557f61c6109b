//! A relay or a consumer as its own process, so the tests can SIGKILL it at a chosen moment.
//!
//! `relay --pause-after-delivery`: publishes one batch, then stops (prints `PAUSED`) after the
//! broker acknowledged it and before the rows are marked sent.
//! `consume --pause-after-commit N`: stops (prints `PAUSED`) after the N-th event's database
//! commit and before its offset is stored. Every duplicate it drops prints `DUPLICATE`.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use clap::{Parser, Subcommand};
use gigshield_kit::CancellationToken;
use gigshield_kit::config::{DatabaseConfig, OutboxConfig};
use gigshield_kit::consumer::{IdempotentConsumer, Outcome};
use gigshield_kit::outbox::relay::Relay;
use gigshield_tests::{Migrator, RecordEffect};

#[derive(Parser)]
struct Args {
    #[arg(long)]
    database_url: String,
    #[command(subcommand)]
    role: RoleArg,
}

#[derive(Subcommand)]
enum RoleArg {
    Relay {
        #[arg(long)]
        pause_after_delivery: bool,
    },
    Consume {
        #[arg(long)]
        topic: String,
        #[arg(long)]
        group: String,
        #[arg(long)]
        pause_after_commit: Option<usize>,
        /// Partitions handled at once (`IdempotentConsumer::in_lanes`).
        #[arg(long, default_value_t = 1)]
        lanes: usize,
    },
}

fn say(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// Blocks this thread for good: the test kills the process here.
fn freeze() -> ! {
    say("PAUSED");
    loop {
        std::thread::park();
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let db = gigshield_kit::db::connect(&DatabaseConfig {
        url: args.database_url,
        max_connections: 4,
        connect_timeout: std::time::Duration::from_secs(10),
    })
    .await?;
    gigshield_kit::db::migrate::<Migrator>(&db).await?;
    let kafka = gigshield_kit::testing::kafka_config("outbox-harness");
    let stop = CancellationToken::new();
    gigshield_kit::shutdown::cancel_on_signal(stop.clone());
    say("READY");
    match args.role {
        RoleArg::Relay {
            pause_after_delivery,
        } => {
            // Pausing after one delivered batch needs one relay loop: with several, the others
            // would go on delivering while this one is frozen.
            let workers = if pause_after_delivery {
                1
            } else {
                OutboxConfig::default().workers
            };
            let config = OutboxConfig {
                workers,
                ..OutboxConfig::default()
            };
            let mut relay = Relay::new(db, &kafka, "harness", config)?;
            if pause_after_delivery {
                relay = relay.on_delivered(|n| {
                    if n > 0 {
                        say(&format!("DELIVERED {n}"));
                        freeze();
                    }
                });
            }
            relay.run(stop).await;
        }
        RoleArg::Consume {
            topic,
            group,
            pause_after_commit,
            lanes,
        } => {
            let applied = Arc::new(AtomicUsize::new(0));
            let consumer = IdempotentConsumer::new(
                &kafka,
                &group,
                &[gigshield_kit::consumer::Subscription {
                    topic: &topic,
                    producer: "harness",
                }],
                db,
                RecordEffect,
            )?
            .on_committed(move |_, outcome| match outcome {
                Outcome::Applied => {
                    let n = applied.fetch_add(1, Ordering::SeqCst) + 1;
                    if Some(n) == pause_after_commit {
                        freeze();
                    }
                }
                Outcome::Duplicate => say("DUPLICATE"),
                Outcome::Rejected => say("REJECTED"),
                Outcome::DeadLettered => say("DEAD_LETTERED"),
                Outcome::Ignored => say("IGNORED"),
            })
            .in_lanes(lanes);
            consumer.run(stop).await;
        }
    }
    Ok(())
}
