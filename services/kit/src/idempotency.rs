//! `request_id` handling for mutating RPCs: the same request_id with the same body returns the
//! first answer; with a different body it is refused with `AlreadyExists`.
//!
//! The stored answer is written in the business transaction, so it exists exactly when the
//! effect does. Answers can hold personal data (a masked ID, a name, a note), so the record is
//! sealed with the service's vault and kept only as long as a retry is plausible
//! (`REPLAY_RETENTION_HOURS`, 7 days by default); the relay's housekeeping deletes it after.

use std::sync::Arc;
use std::time::Duration;

use sea_orm::{ConnectionTrait, DbErr, Statement};
use sha2::{Digest, Sha256};

use crate::auth::Principal;
use crate::error::ApiError;
use crate::pii::{PiiVault, Sealed};

pub const MAX_REQUEST_ID_LEN: usize = 128;
/// Authenticated context of sealed answers: a record copied elsewhere does not open.
const RESPONSE_CONTEXT: &[u8] = b"idempotency_key.response";

/// Where replay records are sealed and how long they live.
#[derive(Clone)]
pub struct Replays {
    pub vault: Arc<PiiVault>,
    pub retention: Duration,
}

impl std::fmt::Debug for Replays {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Replays")
            .field("retention", &self.retention)
            .finish_non_exhaustive()
    }
}

pub struct IdempotencyKey {
    scope: String,
    request_id: String,
    operation: &'static str,
    request_hash: Vec<u8>,
}

impl IdempotencyKey {
    /// `request` is the whole request message (request_id included): prost encodes a message
    /// deterministically, so equal requests hash equally.
    pub fn new<M: prost::Message>(
        principal: &Principal,
        request_id: &str,
        operation: &'static str,
        request: &M,
    ) -> Result<Self, ApiError> {
        let request_id = request_id.trim();
        if request_id.is_empty() {
            return Err(ApiError::invalid(
                "request_id",
                "is required for every mutating call",
            ));
        }
        if request_id.len() > MAX_REQUEST_ID_LEN {
            return Err(ApiError::invalid(
                "request_id",
                format!("longer than {MAX_REQUEST_ID_LEN} characters"),
            ));
        }
        Ok(Self {
            scope: principal.tenant_scope(),
            request_id: request_id.to_string(),
            operation,
            request_hash: Sha256::digest(request.encode_to_vec()).to_vec(),
        })
    }

    /// The stored answer of an earlier identical request, if any (and not yet expired).
    pub async fn replay<R: prost::Message + Default>(
        &self,
        conn: &impl ConnectionTrait,
        replays: &Replays,
    ) -> Result<Option<R>, ApiError> {
        let stmt = Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT operation, request_hash, response_key_id, response_sealed FROM idempotency_key \
             WHERE scope = $1 AND request_id = $2 AND expires_at > $3",
            [
                self.scope.clone().into(),
                self.request_id.clone().into(),
                chrono::Utc::now().into(),
            ],
        );
        let Some(row) = conn.query_one_raw(stmt).await? else {
            return Ok(None);
        };
        let operation: String = row.try_get("", "operation")?;
        let hash: Vec<u8> = row.try_get("", "request_hash")?;
        if operation != self.operation || hash != self.request_hash {
            return Err(ApiError::AlreadyExists(format!(
                "request_id {:?} was already used for a different request",
                self.request_id
            )));
        }
        let sealed = Sealed {
            key_id: row.try_get("", "response_key_id")?,
            blob: row.try_get("", "response_sealed")?,
        };
        let response = replays
            .vault
            .open_bytes(&sealed, RESPONSE_CONTEXT)
            .map_err(ApiError::internal)?;
        R::decode(response.as_slice())
            .map(Some)
            .map_err(ApiError::internal)
    }

    /// Stores the answer beside the effect. A concurrent request with the same id makes this
    /// fail with `Aborted`; its retry then replays the winner's answer. An expired record of
    /// the same id is replaced.
    pub async fn record<R: prost::Message>(
        &self,
        conn: &impl ConnectionTrait,
        replays: &Replays,
        response: &R,
    ) -> Result<(), ApiError> {
        let now = chrono::Utc::now();
        let expires_at = now + chrono::Duration::from_std(replays.retention).unwrap_or_default();
        let sealed = replays
            .vault
            .seal_bytes(&response.encode_to_vec(), RESPONSE_CONTEXT);
        let backend = conn.get_database_backend();
        conn.execute_raw(Statement::from_sql_and_values(
            backend,
            "DELETE FROM idempotency_key WHERE scope = $1 AND request_id = $2 AND expires_at <= $3",
            [
                self.scope.clone().into(),
                self.request_id.clone().into(),
                now.into(),
            ],
        ))
        .await?;
        let stmt = Statement::from_sql_and_values(
            backend,
            "INSERT INTO idempotency_key (scope, request_id, operation, request_hash, \
             response_key_id, response_sealed, created_at, expires_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            [
                self.scope.clone().into(),
                self.request_id.clone().into(),
                self.operation.into(),
                self.request_hash.clone().into(),
                sealed.key_id.into(),
                sealed.blob.into(),
                now.into(),
                expires_at.into(),
            ],
        );
        match conn.execute_raw(stmt).await {
            Ok(_) => Ok(()),
            Err(err) if is_unique_violation(&err) => Err(ApiError::Aborted(
                "a concurrent request used the same request_id; retry it".into(),
            )),
            Err(err) => Err(err.into()),
        }
    }
}

/// Deletes replay records past their expiry; returns how many.
pub async fn delete_expired(conn: &impl ConnectionTrait) -> Result<u64, DbErr> {
    let stmt = Statement::from_sql_and_values(
        conn.get_database_backend(),
        "DELETE FROM idempotency_key WHERE expires_at <= $1",
        [chrono::Utc::now().into()],
    );
    Ok(conn.execute_raw(stmt).await?.rows_affected())
}

pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
