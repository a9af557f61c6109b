//! The platform and riders the load reports for, registered and synced before it starts.

use super::*;

/// `joined`: when the platform's participation began (None: now).
pub(in crate::load) async fn register_platform(
    client: &mut EnrollmentServiceClient<Channel>,
    joined: Option<DateTime<Utc>>,
) -> anyhow::Result<Uuid> {
    let code = synthetic::credit_code(chrono::Utc::now().timestamp() as u64);
    let response = client
        .register_platform(authorized(
            &Role::national_operator(),
            epb::RegisterPlatformRequest {
                request_id: Uuid::now_v7().to_string(),
                legal_name: "基准测试即时配送平台".into(),
                credit_code: code,
                industries: vec![Industry::InstantDelivery as i32],
                region_codes: PROVINCES.iter().map(|p| p.to_string()).collect(),
                contact: Some(epb::Contact {
                    name: "基准测试".into(),
                    phone: "010-12345678".into(),
                    email: String::new(),
                }),
                effective_from: joined.map(gigshield_kit::wire::timestamp),
            },
        ))
        .await
        .context("register the benchmark platform")?
        .into_inner();
    Ok(Uuid::parse_str(
        &response.platform.context("platform")?.platform_id,
    )?)
}

/// Registers the riders in 4 concurrent streams; returns each rider's person id by index.
/// With `joined`, the operator imports them with memberships dated from it (only operators
/// may date a start); without, the platform registers them now.
pub(in crate::load) async fn register_workers(
    client: &EnrollmentServiceClient<Channel>,
    platform_id: Uuid,
    workers: u64,
    joined: Option<DateTime<Utc>>,
) -> anyhow::Result<Vec<Uuid>> {
    const STREAMS: u64 = 4;
    let registrar = match joined {
        Some(_) => Role::national_operator(),
        None => Role::Platform { platform_id },
    };
    let per_stream = workers.div_ceil(STREAMS);
    let tasks: Vec<_> = (0..STREAMS)
        .map(|s| {
            let range = (s * per_stream)..((s + 1) * per_stream).min(workers);
            let batches: Vec<epb::BulkRegisterWorkersRequest> = range
                .collect::<Vec<_>>()
                .chunks(ENROLLMENT_MAX_BATCH)
                .map(|chunk| epb::BulkRegisterWorkersRequest {
                    platform_id: platform_id.to_string(),
                    registrations: chunk
                        .iter()
                        .map(|&i| epb::WorkerRegistration {
                            external_worker_id: rider_id(i),
                            real_name: synthetic::name(i),
                            resident_id: synthetic::resident_id(i),
                            mobile: synthetic::mobile(i),
                            region_code: synthetic::region(i).to_string(),
                            registered_at: joined.map(gigshield_kit::wire::timestamp),
                        })
                        .collect(),
                })
                .collect();
            let mut client = client.clone();
            let request = authorized(&registrar, tokio_stream::iter(batches));
            tokio::spawn(async move {
                client
                    .bulk_register_workers(request)
                    .await
                    .map(|r| r.into_inner())
            })
        })
        .collect();
    let mut persons = vec![Uuid::nil(); workers as usize];
    for task in tasks {
        let response = task.await?.context("bulk registration stream")?;
        for r in response.results {
            if !r.error_code.is_empty() {
                bail!(
                    "rider {} refused: {} {}",
                    r.external_worker_id,
                    r.error_code,
                    r.error_message
                );
            }
            let index: usize = r
                .external_worker_id
                .strip_prefix("rider-")
                .and_then(|i| i.parse().ok())
                .context("rider id in the answer")?;
            persons[index] = Uuid::parse_str(&r.person_id).context("person_id")?;
        }
    }
    if persons.iter().any(Uuid::is_nil) {
        bail!("some riders came back without a person id");
    }
    Ok(persons)
}

pub(super) async fn count(db: &DatabaseConnection, sql: &str) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_string(),
        ))
        .await?
        .context("count row")?;
    Ok(row.try_get::<i64>("", "n")?)
}

pub(super) async fn count_with(
    db: &DatabaseConnection,
    sql: &str,
    values: Vec<Value>,
) -> anyhow::Result<i64> {
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await?
        .context("count row")?;
    Ok(row.try_get::<Option<i64>>("", "n")?.unwrap_or(0))
}

/// Until a service's replica of enrollment (premium's or claims') has every rider's
/// membership with the platform, and the platform's scope where the replica keeps one.
pub(in crate::load) async fn wait_for_replica(
    db: &DatabaseConnection,
    service: &str,
    platform_id: Uuid,
    workers: u64,
    keeps_scopes: bool,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(900);
    loop {
        let scopes = if keeps_scopes {
            count_with(
                db,
                "SELECT COUNT(*) AS n FROM platform_scope WHERE platform_id = $1",
                vec![platform_id.into()],
            )
            .await?
        } else {
            1
        };
        let members = count_with(
            db,
            "SELECT COUNT(*) AS n FROM replica_membership WHERE platform_id = $1",
            vec![platform_id.into()],
        )
        .await?;
        if scopes > 0 && members as u64 >= workers {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("{service}'s replica knows {members} of {workers} riders after 15 minutes");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
