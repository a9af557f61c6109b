//! `gigshield upload-payout-records`: an insurer's own records of the payouts it made for the
//! fund in a province-month, from a CSV file (`payout_key,amount_fen`, a header line first;
//! negative amounts are recoveries), streamed to the fund (`UploadPayoutRecords`) in messages
//! of 5,000 with a progress bar. A file with a line that is not a key and a whole number is
//! refused before anything is sent, naming every such line; records the fund leaves out are
//! listed with their line.

use std::path::PathBuf;

use anyhow::Context;
use gigshield_proto::fund::fund_service_client::FundServiceClient;
use gigshield_proto::fund::{PayoutRecord, UploadPayoutRecordsRequest};
use gigshield_scheme::calendar::CalendarMonth;
use tokio_stream::StreamExt as _;
use uuid::Uuid;

use crate::demo::client::Progress;
use crate::remote;

/// Records per message: half the fund's limit of 10,000.
pub const PER_MESSAGE: usize = 5_000;
const HEADER: &str = "payout_key,amount_fen";

#[derive(clap::Args, Debug, Clone)]
pub struct UploadArgs {
    /// CSV file: `payout_key,amount_fen` per line after that header.
    #[arg(long)]
    pub file: PathBuf,
    /// The province (XX0000) and Shanghai month (YYYY-MM) the records are for.
    #[arg(long)]
    pub province: String,
    #[arg(long)]
    pub month: CalendarMonth,
    /// The insurer; an insurer's token leaves it out (its own).
    #[arg(long, default_value = "")]
    pub insurer_id: String,
    /// The fund's gRPC endpoint.
    #[arg(
        long,
        env = "GIGSHIELD_FUND_ADDR",
        default_value = "http://127.0.0.1:50055"
    )]
    pub fund: String,
    /// The insurer's bearer token.
    #[arg(long, env = "GIGSHIELD_TOKEN", hide_env_values = true)]
    pub token: String,
}

/// The records of a file's text with the line each came from, or every line that is not a
/// record.
pub fn parse(text: &str) -> Result<Vec<(usize, PayoutRecord)>, String> {
    let mut lines = text.lines().enumerate();
    match lines.next() {
        Some((_, header)) if header.trim() == HEADER => {}
        _ => return Err(format!("line 1: the header must be `{HEADER}`")),
    }
    let mut records = Vec::new();
    let mut bad = Vec::new();
    for (i, line) in lines {
        if line.trim().is_empty() {
            continue;
        }
        let parsed = line.rsplit_once(',').and_then(|(key, amount)| {
            let amount = amount.trim().parse::<i64>().ok()?;
            Some(PayoutRecord {
                payout_key: key.trim().to_string(),
                amount_fen: amount,
            })
        });
        match parsed {
            Some(record) => records.push((i + 1, record)),
            None => bad.push(i + 1),
        }
    }
    if bad.is_empty() {
        Ok(records)
    } else {
        let shown: Vec<String> = bad.iter().take(20).map(ToString::to_string).collect();
        Err(format!(
            "{} line(s) are not `payout_key,whole number of fen`: {}{}",
            bad.len(),
            shown.join(", "),
            if bad.len() > 20 { ", …" } else { "" }
        ))
    }
}

/// The stream's messages: one request id and header, the records in order.
pub fn messages(args: &UploadArgs, records: &[PayoutRecord]) -> Vec<UploadPayoutRecordsRequest> {
    let request_id = Uuid::now_v7().to_string();
    let head = UploadPayoutRecordsRequest {
        request_id,
        insurer_id: args.insurer_id.clone(),
        province_code: args.province.clone(),
        month: args.month.to_string(),
        records: Vec::new(),
    };
    if records.is_empty() {
        return vec![head];
    }
    records
        .chunks(PER_MESSAGE)
        .map(|chunk| UploadPayoutRecordsRequest {
            records: chunk.to_vec(),
            ..head.clone()
        })
        .collect()
}

pub async fn run(args: &UploadArgs) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&args.file)
        .with_context(|| format!("read {}", args.file.display()))?;
    let parsed = parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", args.file.display()))?;
    let (lines, records): (Vec<usize>, Vec<PayoutRecord>) = parsed.into_iter().unzip();
    let progress = Progress::new("payout records sent", records.len() as u64);
    let sent = messages(args, &records);
    let counted = progress.clone();
    let stream = tokio_stream::iter(sent).map(move |m| {
        counted.add(m.records.len() as u64);
        m
    });
    let request = remote::authorized(stream, &args.token)?;
    let answer = FundServiceClient::new(remote::channel(&args.fund)?)
        .upload_payout_records(request)
        .await
        .context("the fund's UploadPayoutRecords")?
        .into_inner();
    progress.finish();
    println!(
        "{} record(s) kept, {} left out",
        answer.accepted, answer.rejected_total
    );
    for r in &answer.rejected {
        let line = usize::try_from(r.index)
            .ok()
            .and_then(|i| lines.get(i))
            .copied()
            .unwrap_or(0);
        println!("  line {line}: {} {}", r.field, r.reason);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_records_or_a_list_of_its_bad_lines() {
        let good = "payout_key,amount_fen\nclaim/a/death_grant/once,113004000\n\nclaim/a/recovery/RC-1, -500\n";
        let records = parse(good).unwrap();
        assert_eq!(records.len(), 2);
        assert_eq!(records[1].0, 4, "its line in the file, after the blank one");
        assert_eq!(records[1].1.payout_key, "claim/a/recovery/RC-1");
        assert_eq!(records[1].1.amount_fen, -500);
        let bad = "payout_key,amount_fen\nclaim/a/x/once,12.5\nok,1\nno-comma\n";
        assert_eq!(
            parse(bad).unwrap_err(),
            "2 line(s) are not `payout_key,whole number of fen`: 2, 4"
        );
        assert!(parse("key,amount\n").unwrap_err().contains("header"));
    }

    #[test]
    fn records_go_in_messages_of_five_thousand_under_one_request_id() {
        let args = UploadArgs {
            file: PathBuf::new(),
            province: "440000".into(),
            month: "2026-11".parse().unwrap(),
            insurer_id: String::new(),
            fund: String::new(),
            token: String::new(),
        };
        let records: Vec<PayoutRecord> = (0..12_001)
            .map(|n| PayoutRecord {
                payout_key: format!("k{n}"),
                amount_fen: 1,
            })
            .collect();
        let sent = messages(&args, &records);
        assert_eq!(
            sent.iter().map(|m| m.records.len()).collect::<Vec<_>>(),
            [5_000, 5_000, 2_001]
        );
        assert!(
            sent.iter()
                .all(|m| m.request_id == sent[0].request_id && m.month == "2026-11")
        );
        assert_eq!(
            messages(&args, &[]).len(),
            1,
            "an empty month is a submission too"
        );
    }
}
