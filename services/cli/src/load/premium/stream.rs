//! The ingest legs: streams of batches, acknowledgements, the outbox drained, the checks after.

use super::*;

pub(super) struct Ingest {
    pub(super) elapsed: Duration,
    pub(super) accepted: i64,
    pub(super) rejected: i64,
}

/// One replica against two on the same database: the main stream's first orders reported again
/// under new ids, through the first replica alone, then with the streams dealt to both.
pub(super) async fn compare_replicas(
    args: &PremiumLoad,
    premium: &PremiumServiceClient<Channel>,
    db: &DatabaseConnection,
    platform_id: Uuid,
    generator: &OrderGenerator,
) -> anyhow::Result<String> {
    let Some(addr) = &args.second_addr else {
        return Ok(String::new());
    };
    let second =
        PremiumServiceClient::new(connect_when_serving(addr, Duration::from_secs(120)).await?);
    let orders = args.replica_orders.min(args.orders);
    let leg = |prefix| Leg {
        orders,
        id_prefix: Some(prefix),
    };
    let one = report_orders(
        args,
        std::slice::from_ref(premium),
        platform_id,
        generator,
        leg("R1-"),
    )
    .await?;
    wait_for_outbox(db, Duration::from_secs(900)).await?;
    let both = [premium.clone(), second];
    let two = report_orders(args, &both, platform_id, generator, leg("R2-")).await?;
    wait_for_outbox(db, Duration::from_secs(900)).await?;
    let rate = |i: &Ingest| orders as f64 / i.elapsed.as_secs_f64();
    let (r1, r2) = (rate(&one), rate(&two));
    eprintln!("replicas: one {r1:.0} orders/s, two {r2:.0} orders/s");
    Ok(format!(
        "| the first {orders} orders again under new ids, {} streams: through one replica, then with the streams dealt to two replicas on the same database | one replica **{r1:.0} orders/s**, two replicas **{r2:.0} orders/s** ({:.2}×) |\n",
        args.streams,
        r2 / r1
    ))
}

/// One stream of orders to measure: how many, and a prefix that re-keys them (the replica legs
/// report the main stream's first orders again as new orders).
#[derive(Clone, Copy)]
pub(super) struct Leg<'a> {
    pub(super) orders: u64,
    pub(super) id_prefix: Option<&'a str>,
}

/// Every batch is built before the clock starts. Batches go to the streams in turn, so the
/// batches in flight at any moment are neighbours in time, as when a platform reports live.
/// Each stream is one StreamOrders call; its acknowledgements carry counts and only the items
/// not accepted as new.
pub(super) async fn report_orders(
    args: &PremiumLoad,
    clients: &[PremiumServiceClient<Channel>],
    platform_id: Uuid,
    generator: &OrderGenerator,
    leg: Leg<'_>,
) -> anyhow::Result<Ingest> {
    let orders = leg.orders;
    let batches = orders.div_ceil(args.batch as u64);
    eprintln!(
        "building {} batches of {} orders ({} orders)",
        batches, args.batch, orders
    );
    let report = |n: u64| {
        let mut r = generator.report(n);
        if let Some(prefix) = leg.id_prefix {
            r.order_id = format!("{prefix}{}", r.order_id);
        }
        r
    };
    let mut lanes: Vec<Vec<pb::StreamOrdersRequest>> =
        (0..args.streams).map(|_| Vec::new()).collect();
    let batch = |orders: Vec<pb::OrderReport>, n: usize| pb::StreamOrdersRequest {
        platform_id: platform_id.to_string(),
        batch_id: format!("bench-{n}"),
        orders,
    };
    if args.shard_by_rider {
        let mut open: Vec<Vec<pb::OrderReport>> = (0..args.streams).map(|_| Vec::new()).collect();
        for n in 0..orders {
            let lane = (generator.order(n).worker % args.streams) as usize;
            open[lane].push(report(n));
            if open[lane].len() == args.batch {
                let n = lanes[lane].len();
                lanes[lane].push(batch(std::mem::take(&mut open[lane]), n));
            }
        }
        for (lane, rest) in open.into_iter().enumerate() {
            if !rest.is_empty() {
                let n = lanes[lane].len();
                lanes[lane].push(batch(rest, n));
            }
        }
    } else {
        for b in 0..batches {
            let range = (b * args.batch as u64)..((b + 1) * args.batch as u64).min(orders);
            lanes[(b % args.streams) as usize].push(batch(range.map(report).collect(), b as usize));
        }
    }
    let platform = Role::Platform { platform_id };
    let done = Arc::new(AtomicI64::new(0));
    eprintln!("reporting in {} concurrent streams", args.streams);
    let started = Instant::now();
    let tasks: Vec<_> = lanes
        .into_iter()
        .enumerate()
        .map(|(i, lane)| {
            // Streams are dealt to the replicas in turn.
            let mut client = clients[i % clients.len()].clone();
            let platform = platform.clone();
            let done = done.clone();
            let total = orders;
            tokio::spawn(async move {
                let mut accepted = 0i64;
                let mut rejected = 0i64;
                let mut first_rejection = None;
                let mut acks = client
                    .stream_orders(authorized(&platform, tokio_stream::iter(lane)))
                    .await?
                    .into_inner();
                let mut acked = 0u64;
                while let Some(ack) = acks.message().await? {
                    accepted += ack.accepted_count;
                    rejected += ack.rejected_count + ack.unchanged_count + ack.updated_count;
                    if first_rejection.is_none() {
                        first_rejection = ack.results.first().map(|r| format!("{r:?}"));
                    }
                    let so_far =
                        done.fetch_add(ack.accepted_count, Ordering::Relaxed) + ack.accepted_count;
                    acked += 1;
                    if acked.is_multiple_of(20) {
                        let secs = started.elapsed().as_secs_f64();
                        eprintln!(
                            "  {so_far}/{total} accepted after {secs:.0} s ({:.0}/s)",
                            so_far as f64 / secs
                        );
                    }
                }
                Ok::<_, tonic::Status>((accepted, rejected, first_rejection))
            })
        })
        .collect();
    let mut accepted = 0;
    let mut rejected = 0;
    let mut first_rejection = None;
    for task in tasks {
        let (a, r, first) = task.await?.context("StreamOrders stream")?;
        accepted += a;
        rejected += r;
        first_rejection = first_rejection.or(first);
    }
    let elapsed = started.elapsed();
    if let Some(first) = first_rejection {
        bail!("{rejected} orders not accepted; the first: {first}");
    }
    if accepted as u64 != orders {
        bail!("{accepted} of {orders} orders accepted");
    }
    Ok(Ingest {
        elapsed,
        accepted,
        rejected,
    })
}

pub(super) struct Drained {
    pub(super) backlog: i64,
    pub(super) waited: Duration,
    /// Events still unsent when the wait gave up (0 when drained).
    pub(super) left: i64,
}

pub(super) async fn wait_for_outbox(
    db: &DatabaseConnection,
    limit: Duration,
) -> anyhow::Result<Drained> {
    let started = Instant::now();
    let unsent = "SELECT COUNT(*) AS n FROM outbox WHERE sent_at IS NULL";
    let backlog = count(db, unsent).await?;
    eprintln!("{backlog} events still in the outbox; waiting for the relay");
    loop {
        let left = count(db, unsent).await?;
        if left == 0 || started.elapsed() > limit {
            return Ok(Drained {
                backlog,
                waited: started.elapsed(),
                left,
            });
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

pub(super) struct Checks {
    pub(super) orders: i64,
    pub(super) coverage_days: i64,
    pub(super) ledger_fen: i64,
}

pub(super) async fn check_ingest(
    db: &DatabaseConnection,
    platform_id: Uuid,
    orders: u64,
    expected: &Expectations,
) -> anyhow::Result<Checks> {
    let checks = Checks {
        orders: count(db, "SELECT COUNT(*) AS n FROM orders").await?,
        coverage_days: count_with(
            db,
            "SELECT COUNT(*) AS n FROM coverage_day WHERE platform_id = $1",
            vec![platform_id.into()],
        )
        .await?,
        ledger_fen: count_with(
            db,
            "SELECT CAST(SUM(CASE WHEN debit_account = 'platform_receivable' THEN amount_fen ELSE -amount_fen END) AS BIGINT) AS n \
             FROM ledger_entry WHERE platform_id = $1",
            vec![platform_id.into()],
        )
        .await?,
    };
    if checks.orders as u64 != orders
        || checks.coverage_days != expected.coverage_days
        || checks.ledger_fen != expected.billable * INSTANT_DELIVERY_FEN
    {
        bail!(
            "stored state differs from the generator: {} orders (want {orders}), {} coverage days (want {}), \
             ledger {} fen (want {})",
            checks.orders,
            checks.coverage_days,
            expected.coverage_days,
            checks.ledger_fen,
            expected.billable * INSTANT_DELIVERY_FEN
        );
    }
    Ok(checks)
}
