//! `request_id` handling for mutating RPCs: the same request_id with the same body returns the
//! first answer; with a different body it is refused with `AlreadyExists`.
//!
//! The stored answer is written in the business transaction, so it exists exactly when the
//! effect does.

use sea_orm::{ConnectionTrait, DbErr, Statement};
use sha2::{Digest, Sha256};

use crate::auth::Principal;
use crate::error::ApiError;

pub const MAX_REQUEST_ID_LEN: usize = 128;

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

    /// The stored answer of an earlier identical request, if any.
    pub async fn replay<R: prost::Message + Default>(
        &self,
        conn: &impl ConnectionTrait,
    ) -> Result<Option<R>, ApiError> {
        let stmt = Statement::from_sql_and_values(
            conn.get_database_backend(),
            "SELECT operation, request_hash, response FROM idempotency_key WHERE scope = $1 AND request_id = $2",
            [self.scope.clone().into(), self.request_id.clone().into()],
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
        let response: Vec<u8> = row.try_get("", "response")?;
        R::decode(response.as_slice())
            .map(Some)
            .map_err(ApiError::internal)
    }

    /// Stores the answer beside the effect. A concurrent request with the same id makes this
    /// fail with `Aborted`; its retry then replays the winner's answer.
    pub async fn record<R: prost::Message>(
        &self,
        conn: &impl ConnectionTrait,
        response: &R,
    ) -> Result<(), ApiError> {
        let stmt = Statement::from_sql_and_values(
            conn.get_database_backend(),
            "INSERT INTO idempotency_key (scope, request_id, operation, request_hash, response, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
            [
                self.scope.clone().into(),
                self.request_id.clone().into(),
                self.operation.into(),
                self.request_hash.clone().into(),
                response.encode_to_vec().into(),
                chrono::Utc::now().into(),
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

pub fn is_unique_violation(err: &DbErr) -> bool {
    matches!(
        err.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(_))
    )
}
