//! `gigshield export` as an operator runs it: the command against the running premium, claims
//! and fund, with a regulator's token, writing what the services answer and nothing more.

use std::path::PathBuf;

use gigshield_kit::Role;
use gigshield_kit::testing::token;
use gigshield_proto::fund::{self as fund, fund_service_client::FundServiceClient};
use gigshield_proto::premium::{self as prem, premium_service_client::PremiumServiceClient};

use crate::stack::{Stack, as_};

/// The `gigshield` command, built beside the services.
fn command() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let path = exe
        .parent()
        .and_then(|deps| deps.parent())
        .expect("target/<profile>")
        .join("gigshield");
    assert!(
        path.exists(),
        "{} is missing: `cargo build --bins`",
        path.display()
    );
    path
}

async fn export(
    stack: &Stack,
    role: &Role,
    from: &str,
    through: &str,
    dir: &std::path::Path,
) -> std::process::Output {
    tokio::process::Command::new(command())
        .args(["export", "--from", from, "--through", through, "--premium"])
        .arg(&stack.premium.addr)
        .arg("--incident")
        .arg(&stack.incident.addr)
        .arg("--claims")
        .arg(&stack.claims.addr)
        .arg("--fund")
        .arg(&stack.fund.addr)
        .arg("--out-dir")
        .arg(dir)
        .env("GIGSHIELD_TOKEN", token(role))
        .output()
        .await
        .expect("the command runs")
}

/// Each CSV row as column → field.
fn csv_rows(text: &str) -> Vec<Vec<(String, String)>> {
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .expect("a header")
        .split(',')
        .map(String::from)
        .collect();
    lines
        .map(|line| {
            // The story's fields hold no commas or quotes (codes, ids, numbers).
            header
                .iter()
                .cloned()
                .zip(line.split(',').map(String::from))
                .collect()
        })
        .collect()
}

fn field<'a>(row: &'a [(String, String)], name: &str) -> &'a str {
    row.iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no column {name}"))
}

/// The file holds exactly what `GetPremiumStatistics` and `GetFundStatistics` tell the same
/// regulator, suppressed cells included; a platform's token writes nothing.
pub async fn regulators_file(stack: &Stack, month: &str) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let regulator = Role::Regulator {
        jurisdiction: gigshield_kit::Jurisdiction::National,
    };
    let done = export(stack, &regulator, month, month, dir.path()).await;
    assert!(
        done.status.success(),
        "export failed: {}",
        String::from_utf8_lossy(&done.stderr)
    );
    let stem = dir.path().join(format!("statistics-{month}_{month}"));
    let csv = std::fs::read_to_string(stem.with_extension("csv")).expect("the CSV file");
    let parquet = std::fs::read(stem.with_extension("parquet")).expect("the Parquet file");
    assert!(
        parquet.starts_with(b"PAR1") && parquet.ends_with(b"PAR1"),
        "a whole Parquet file"
    );
    let rows = csv_rows(&csv);
    let answer = PremiumServiceClient::new(stack.premium.channel.clone())
        .get_premium_statistics(as_(
            &regulator,
            prem::GetPremiumStatisticsRequest {
                from_month: month.into(),
                through_month: month.into(),
            },
        ))
        .await
        .expect("the regulator's statistics")
        .into_inner();
    assert!(!answer.cells.is_empty(), "the story's orders are counted");
    for cell in &answer.cells {
        let row = rows
            .iter()
            .find(|r| {
                field(r, "province_code") == cell.province_code
                    && field(r, "platform_id") == cell.platform_id
            })
            .unwrap_or_else(|| panic!("no row for {cell:?}"));
        assert_eq!(
            field(row, "premium_suppressed"),
            cell.suppressed.to_string()
        );
        let orders = if cell.suppressed {
            String::new()
        } else {
            cell.orders.to_string()
        };
        assert_eq!(field(row, "orders"), orders, "{cell:?}");
        assert_eq!(
            field(row, "covered_persons").is_empty(),
            cell.suppressed,
            "a suppressed cell's figures stay out of the file"
        );
    }

    let books = FundServiceClient::new(stack.fund.channel.clone())
        .get_fund_statistics(as_(
            &regulator,
            fund::GetFundStatisticsRequest {
                from_month: month.into(),
                through_month: month.into(),
            },
        ))
        .await
        .expect("the regulator's fund figures")
        .into_inner();
    assert!(
        !books.cells.is_empty(),
        "the story's fees and benefits are booked"
    );
    for cell in &books.cells {
        let row = rows
            .iter()
            .find(|r| {
                field(r, "province_code") == cell.province_code
                    && field(r, "platform_id") == cell.platform_id
            })
            .unwrap_or_else(|| panic!("no row for {cell:?}"));
        // Fees are left out where premium withholds the cell (they would give its orders away).
        let arrears = if field(row, "premium_suppressed") == "true" {
            String::new()
        } else {
            cell.arrears_fen.to_string()
        };
        assert_eq!(field(row, "arrears_fen"), arrears, "{cell:?}");
        assert_eq!(
            field(row, "benefits_suppressed"),
            cell.benefits_suppressed.to_string()
        );
        let benefits = if cell.benefits_suppressed || !cell.withheld_types.is_empty() {
            String::new()
        } else {
            cell.benefits_fen.to_string()
        };
        assert_eq!(field(row, "benefits_fen"), benefits, "{cell:?}");
    }

    let platform = Role::Platform {
        platform_id: uuid::Uuid::now_v7(),
    };
    let elsewhere = tempfile::tempdir().expect("a temporary directory");
    let refused = export(stack, &platform, month, month, elsewhere.path()).await;
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("PermissionDenied")
            || String::from_utf8_lossy(&refused.stderr).contains("permission"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert_eq!(
        std::fs::read_dir(elsewhere.path())
            .expect("the directory")
            .count(),
        0,
        "a refused export leaves no file"
    );
}

/// An insurer sends its payout records from a CSV file with the command; a line the fund
/// cannot take is named by its line, the rest kept.
pub async fn insurer_uploads_its_records(stack: &Stack, insurer: uuid::Uuid, month: &str) {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("records.csv");
    std::fs::write(
        &file,
        "payout_key,amount_fen\nclaim/x/death_grant/once,113004000\nclaim/x/funeral_grant/once,0\n",
    )
    .expect("the file is written");
    let done = tokio::process::Command::new(command())
        .args([
            "upload-payout-records",
            "--province",
            "110000",
            "--month",
            month,
        ])
        .arg("--file")
        .arg(&file)
        .arg("--fund")
        .arg(&stack.fund.addr)
        .env(
            "GIGSHIELD_TOKEN",
            token(&Role::Insurer {
                insurer_id: insurer,
            }),
        )
        .output()
        .await
        .expect("the command runs");
    let out = String::from_utf8_lossy(&done.stdout);
    assert!(
        done.status.success(),
        "upload failed: {}",
        String::from_utf8_lossy(&done.stderr)
    );
    assert!(out.contains("1 record(s) kept, 1 left out"), "{out}");
    assert!(out.contains("line 3: records[1].amount_fen"), "{out}");
}
