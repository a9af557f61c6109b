//! A short chaos run: `gigshield chaos` with small sizes on its own PostgreSQL and Kafka
//! (`.local/chaos`, ports 15432 and 19092, reached through fault proxies on 15433 and 19094),
//! SIGKILLing every service, restarting the broker and the database, and partitioning,
//! resetting and slowing the network to them while the demo workload runs, then checking the
//! invariants from outside.
//! Needs the binaries, which `make test` builds before the tests, and the main Kafka jars
//! (`make infra-up` fetched them).

// Integration tests are scenarios told start to end; the function-length lint is for the
// code under test.
#![allow(clippy::too_many_lines)]

use std::process::Command;
use std::time::Instant;

/// `target/<profile>/gigshield`, beside the `deps` folder of this test.
fn gigshield() -> std::path::PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let dir = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>");
    let path = dir.join("gigshield");
    assert!(
        path.exists(),
        "{} is missing: `make test` builds it (or `cargo build --bins` before `cargo test`)",
        path.display()
    );
    path
}

#[test]
fn services_kafka_postgres_and_the_network_failing_during_a_small_month_lose_and_double_nothing() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("repository root")
        .to_path_buf();
    let started = Instant::now();
    let output = Command::new(gigshield())
        .current_dir(&root)
        .args([
            "chaos",
            "--workers",
            "150",
            "--platforms",
            "3",
            "--days",
            "10",
            "--incidents",
            "25",
            "--kills-per-service",
            "1",
            "--max-pause-ms",
            "3000",
        ])
        .env_remove("KAFKA_BOOTSTRAP_SERVERS")
        .output()
        .expect("run gigshield chaos");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "chaos failed ({:?}):\n{stdout}\n{stderr}",
        output.status
    );
    assert!(stdout.contains("CHAOS OK"), "{stdout}");
    for target in [
        "enrollment",
        "premium",
        "incident",
        "claims",
        "kafka broker",
        "postgresql",
        "network partition to postgresql",
        "connections to kafka reset",
        "latency to postgresql",
    ] {
        assert!(
            stdout.contains(&format!("| {target} | 1 |")),
            "{target} was not killed/restarted:\n{stdout}"
        );
    }
    assert!(!stdout.contains("VIOLATED"), "{stdout}");
    // For the log only: speed is the benchmarks' business.
    eprintln!("chaos run took {:?}", started.elapsed());
}
