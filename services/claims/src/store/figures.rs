//! The benefit figures operators add (`benefit_figure`, each row the `BenefitFigureEntry` as
//! published) and the assessment requests waiting for one (`awaiting_assessment`).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use gigshield_proto::common::BenefitFigureEntry;
use prost::Message;
use sea_orm::{ConnectionTrait, DbErr, Statement, Value};
use uuid::Uuid;

use gigshield_kit::cache::{CountedCache, row_count};

use crate::domain::benefit_parameters::BenefitParameters;

/// How many waiting assessments one added figure completes in its transaction; the rest wait
/// for the next figure or the periodic sweep.
pub const MAX_REASSESSED_PER_WRITE: u64 = 200;

async fn execute(
    conn: &impl ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Result<(), DbErr> {
    let stmt = Statement::from_sql_and_values(conn.get_database_backend(), sql, values);
    conn.execute_raw(stmt).await.map(|_| ())
}

/// Records a figure once (its id is the key).
pub async fn insert(conn: &impl ConnectionTrait, entry: &BenefitFigureEntry) -> Result<(), DbErr> {
    let recorded_at = entry
        .recorded_at
        .as_ref()
        .and_then(|t| DateTime::<Utc>::from_timestamp(t.seconds, t.nanos.max(0) as u32))
        .ok_or_else(|| DbErr::Custom("a figure entry without recorded_at".into()))?;
    execute(
        conn,
        "INSERT INTO benefit_figure (figure_id, entry, recorded_at) VALUES ($1, $2, $3) \
         ON CONFLICT (figure_id) DO NOTHING",
        [
            entry.figure_id.clone().into(),
            entry.encode_to_vec().into(),
            recorded_at.into(),
        ],
    )
    .await
}

/// Every added figure, oldest recorded first.
pub async fn entries(conn: &impl ConnectionTrait) -> Result<Vec<BenefitFigureEntry>, DbErr> {
    let stmt = Statement::from_string(
        conn.get_database_backend(),
        "SELECT entry FROM benefit_figure ORDER BY recorded_at, figure_id",
    );
    conn.query_all_raw(stmt)
        .await?
        .iter()
        .map(|row| {
            let bytes: Vec<u8> = row.try_get("", "entry")?;
            BenefitFigureEntry::decode(bytes.as_slice())
                .map_err(|e| DbErr::Custom(format!("stored benefit figure: {e}")))
        })
        .collect()
}

/// The parameters assessments use: the shipped file with every added figure over it, cached
/// until the table grows (figures are only ever added).
pub struct BenefitBook {
    shipped: Arc<BenefitParameters>,
    cached: CountedCache<BenefitParameters>,
}

impl BenefitBook {
    pub fn new(shipped: Arc<BenefitParameters>) -> Self {
        Self {
            shipped,
            cached: CountedCache::default(),
        }
    }

    pub fn shipped(&self) -> &BenefitParameters {
        &self.shipped
    }

    /// `decode` turns a stored entry into the domain's figure (the api layer owns the wire).
    pub async fn current<E>(
        &self,
        conn: &impl ConnectionTrait,
        decode: impl Fn(&BenefitFigureEntry) -> Result<crate::domain::benefit_parameters::Figure, E>,
    ) -> Result<Arc<BenefitParameters>, DbErr>
    where
        E: std::fmt::Display,
    {
        let n = row_count(conn, "benefit_figure").await?;
        if let Some(params) = self.cached.get(n) {
            return Ok(params);
        }
        let figures = entries(conn)
            .await?
            .iter()
            .map(|e| {
                decode(e).map_err(|err| DbErr::Custom(format!("stored benefit figure: {err}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        Ok(self.cached.put(n, self.shipped.with_figures(&figures)))
    }
}

/// A kept `AssessBenefits` request.
pub struct Waiting {
    pub claim_id: Uuid,
    pub request: Vec<u8>,
    pub requested_by: String,
}

/// Keeps (or replaces) the claim's waiting request.
pub async fn keep_waiting(
    conn: &impl ConnectionTrait,
    claim_id: Uuid,
    request: Vec<u8>,
    requested_by: &str,
    at: DateTime<Utc>,
) -> Result<(), DbErr> {
    execute(
        conn,
        "INSERT INTO awaiting_assessment (claim_id, request, requested_by, requested_at) \
         VALUES ($1, $2, $3, $4) ON CONFLICT (claim_id) DO UPDATE SET \
         request = excluded.request, requested_by = excluded.requested_by, \
         requested_at = excluded.requested_at",
        [
            claim_id.into(),
            request.into(),
            requested_by.to_owned().into(),
            at.into(),
        ],
    )
    .await
}

pub async fn stop_waiting(conn: &impl ConnectionTrait, claim_id: Uuid) -> Result<(), DbErr> {
    execute(
        conn,
        "DELETE FROM awaiting_assessment WHERE claim_id = $1",
        [claim_id.into()],
    )
    .await
}

/// The oldest waiting requests, at most `limit`.
pub async fn waiting(conn: &impl ConnectionTrait, limit: u64) -> Result<Vec<Waiting>, DbErr> {
    let stmt = Statement::from_sql_and_values(
        conn.get_database_backend(),
        "SELECT claim_id, request, requested_by FROM awaiting_assessment \
         ORDER BY requested_at, claim_id LIMIT $1",
        [(limit as i64).into()],
    );
    conn.query_all_raw(stmt)
        .await?
        .iter()
        .map(|row| {
            Ok(Waiting {
                claim_id: row.try_get("", "claim_id")?,
                request: row.try_get("", "request")?,
                requested_by: row.try_get("", "requested_by")?,
            })
        })
        .collect()
}
