//! The ceiling: `COPY` of the same rows into the same schema, text and binary.

use super::*;

pub(super) const ORDER_COLUMNS: &str = "platform_id, order_id, person_id, external_worker_id, industry, region_code, province, \
     accepted_at, picked_up_at, completed_at, cancelled_at, fen_per_order, billed, reported_at, updated_at";

pub(super) fn pg_tool(args: &PremiumLoad, name: &str) -> std::process::Command {
    std::process::Command::new(args.pg_bin.join(name))
}

/// premium's schema (as its migrations made it in the service's database) into the COPY
/// database: `pg_dump --schema-only | psql`.
pub(super) fn copy_schema(args: &PremiumLoad) -> anyhow::Result<()> {
    let dump = pg_tool(args, "pg_dump")
        .args(["--schema-only", "--no-owner", "--no-privileges"])
        .arg(&args.database_url)
        .output()
        .context("run pg_dump")?;
    if !dump.status.success() {
        bail!("pg_dump: {}", String::from_utf8_lossy(&dump.stderr));
    }
    let mut psql = pg_tool(args, "psql")
        .args(["-q", "-X", "-v", "ON_ERROR_STOP=1", "-d"])
        .arg(&args.copy_database_url)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .context("run psql")?;
    psql.stdin
        .take()
        .context("psql stdin")?
        .write_all(&dump.stdout)?;
    if !psql.wait()?.success() {
        bail!("psql could not load premium's schema into the COPY database");
    }
    Ok(())
}

pub(super) fn csv_time(at: Option<DateTime<Utc>>) -> String {
    at.map(|t| t.format("%Y-%m-%d %H:%M:%S%.6f+00").to_string())
        .unwrap_or_default()
}

/// The rows the stream stored, as CSV: same values, same shape.
pub(super) fn write_csv(
    args: &PremiumLoad,
    generator: &OrderGenerator,
    platform_id: Uuid,
    persons: &[Uuid],
) -> anyhow::Result<()> {
    if let Some(dir) = args.csv.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let file = std::fs::File::create(&args.csv)
        .with_context(|| format!("create {}", args.csv.display()))?;
    let mut out = std::io::BufWriter::with_capacity(1 << 20, file);
    let reported = csv_time(Some(Utc::now()));
    for n in 0..args.orders {
        let o = generator.order(n);
        let district = o.district();
        writeln!(
            out,
            "{platform_id},{},{},{},instant_delivery,{district},{}0000,{},{},{},{},{INSTANT_DELIVERY_FEN},{},{reported},{reported}",
            o.order_id,
            persons[o.worker as usize],
            rider_id(o.worker),
            &district[..2],
            csv_time(Some(o.accepted_at)),
            csv_time(o.picked_up_at),
            csv_time(o.completed_at),
            csv_time(o.cancelled_at),
            if o.billable() { "t" } else { "f" },
        )?;
    }
    out.flush()?;
    Ok(())
}

/// Runs one psql command against the COPY database: its time from start to exit and what it
/// printed.
pub(super) fn psql_copy_db(
    args: &PremiumLoad,
    command: &str,
) -> anyhow::Result<(Duration, String)> {
    let started = Instant::now();
    let output = pg_tool(args, "psql")
        .args(["-X", "-v", "ON_ERROR_STOP=1", "-d"])
        .arg(&args.copy_database_url)
        .args(["-c", command])
        .output()
        .context("run psql")?;
    let said = String::from_utf8_lossy(&output.stdout).trim().to_string();
    if !output.status.success() {
        bail!(
            "psql failed: {said} {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok((started.elapsed(), said))
}

/// A timed COPY of every order into the COPY database.
pub(super) fn timed_copy(args: &PremiumLoad, command: &str) -> anyhow::Result<Duration> {
    eprintln!("COPY: psql -c \"{command}\"");
    let (elapsed, said) = psql_copy_db(args, command)?;
    if said != format!("COPY {}", args.orders) {
        bail!("COPY loaded {said:?}, not {} rows", args.orders);
    }
    Ok(elapsed)
}

/// `psql \copy` of the CSV into `orders` of the COPY database.
pub(super) fn copy_rows(args: &PremiumLoad) -> anyhow::Result<Duration> {
    let path = std::fs::canonicalize(&args.csv)?;
    timed_copy(
        args,
        &format!(
            "\\copy orders ({ORDER_COLUMNS}) FROM '{}' WITH (FORMAT csv)",
            path.display()
        ),
    )
}

/// The rows the text COPY loaded, dumped in binary format, emptied and loaded again from the
/// dump: the time of the second load.
pub(super) fn copy_rows_binary(args: &PremiumLoad) -> anyhow::Result<Duration> {
    let path = args.csv.with_extension("bin");
    let file = path.display();
    psql_copy_db(
        args,
        &format!("\\copy (SELECT {ORDER_COLUMNS} FROM orders) TO '{file}' WITH (FORMAT binary)"),
    )?;
    psql_copy_db(args, "TRUNCATE orders")?;
    let elapsed = timed_copy(
        args,
        &format!("\\copy orders ({ORDER_COLUMNS}) FROM '{file}' WITH (FORMAT binary)"),
    );
    std::fs::remove_file(&path).ok();
    elapsed
}
