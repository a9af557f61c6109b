//! `VerifyWorkActivity` latency at a fixed rate.

use super::*;

pub(super) struct Latency {
    pub(super) requests: usize,
    pub(super) failures: usize,
    pub(super) empty: usize,
    pub(super) orders_per_answer: f64,
    pub(super) percentiles: Percentiles,
}

/// Instants inside orders drawn at random from the whole table, asked for on a fixed
/// schedule (open loop), so a slow answer does not delay the next request.
pub(super) async fn verify_latency(
    args: &PremiumLoad,
    client: &PremiumServiceClient<Channel>,
    db: &DatabaseConnection,
    stored: i64,
) -> anyhow::Result<Latency> {
    let total = (args.verify_rate * args.verify_seconds) as usize;
    let percent = (300.0 * total as f64 / stored.max(1) as f64).clamp(0.0001, 100.0);
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!(
                "SELECT person_id, accepted_at + (COALESCE(completed_at, cancelled_at, accepted_at) - accepted_at) / 2 AS at \
                 FROM orders TABLESAMPLE SYSTEM ({percent}) ORDER BY random() LIMIT {total}"
            ),
        ))
        .await?;
    if rows.is_empty() {
        bail!("no orders to ask about");
    }
    let samples: Vec<(Uuid, DateTime<Utc>)> = rows
        .iter()
        .map(|r| Ok((r.try_get("", "person_id")?, r.try_get("", "at")?)))
        .collect::<Result<_, gigshield_kit::sea_orm::DbErr>>()?;
    let adjuster = Role::national_adjuster();
    let requests: Vec<_> = (0..total)
        .map(|i| {
            let (person, at) = samples[i % samples.len()];
            let mut message = pb::VerifyWorkActivityRequest {
                person_id: person.to_string(),
                at: Some(timestamp(at)),
                margin: Some(Default::default()),
            };
            if let Some(margin) = message.margin.as_mut() {
                margin.seconds = args.verify_margin_minutes * 60;
            }
            authorized(&adjuster, message)
        })
        .collect();

    let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / args.verify_rate as f64));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let mut tasks = Vec::with_capacity(total);
    for request in requests {
        ticker.tick().await;
        let mut client = client.clone();
        tasks.push(tokio::spawn(async move {
            let sent = Instant::now();
            client
                .verify_work_activity(request)
                .await
                .map(|r| (sent.elapsed(), r.into_inner().orders.len()))
        }));
    }
    let mut latencies = Vec::with_capacity(total);
    let mut failures = 0;
    let mut empty = 0;
    let mut found = 0;
    for task in tasks {
        match task.await? {
            Ok((latency, orders)) => {
                latencies.push(latency);
                found += orders;
                empty += usize::from(orders == 0);
            }
            Err(status) => {
                if failures == 0 {
                    eprintln!("VerifyWorkActivity failed: {status}");
                }
                failures += 1;
            }
        }
    }
    let answered = latencies.len().max(1);
    Ok(Latency {
        requests: total,
        failures,
        empty,
        orders_per_answer: found as f64 / answered as f64,
        percentiles: Percentiles::of(latencies).context("no successful VerifyWorkActivity")?,
    })
}

pub(in crate::load) fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| {
            let parts: Vec<&str> = s.split_whitespace().take(3).collect();
            (parts.len() == 3).then(|| parts.join(" "))
        })
        .unwrap_or_else(|| "unknown".into())
}
