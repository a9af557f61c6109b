//! WatchClaims: the insurer claim stream without Kafka. The stream reads `claim_event` (written
//! with each outbox row, in seq = commit order, see `queries::append_event`): first everything
//! after the resume token, then new rows as they commit. A message's token is its seq, so a
//! client resuming with the last token it received gets exactly the rows after it.

use std::pin::Pin;

use gigshield_kit::wire::timestamp;
use gigshield_kit::{ApiError, Principal, paging};
use gigshield_proto::claims as pb;
use tokio::sync::mpsc;
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

use super::ClaimsApi;
use crate::events;
use crate::store::queries;

pub type ClaimStream = Pin<Box<dyn Stream<Item = Result<pb::WatchClaimsResponse, Status>> + Send>>;

/// Rows read per query; also the stream's buffer.
const BATCH: u64 = 256;

fn resume_after(token: &str) -> Result<i64, ApiError> {
    match paging::decode_token(token.trim())? {
        None => Ok(0),
        Some(cursor) => cursor
            .parse::<i64>()
            .ok()
            .filter(|seq| *seq >= 0)
            .ok_or_else(|| ApiError::invalid("resume_token", "is not a token this service issued")),
    }
}

impl ClaimsApi {
    pub(super) async fn watch_claims(
        &self,
        principal: Principal,
        req: pb::WatchClaimsRequest,
    ) -> Result<ClaimStream, ApiError> {
        let caller = self.caller("WatchClaims", principal).await?;
        // The table admits only insurers and their adjusters: the stream is theirs.
        let insurer = caller.principal.role.insurer();
        let mut last = resume_after(&req.resume_token)?;
        // Each stream holds a task and a database connection between polls: bounded.
        let permit = self.watchers.clone().try_acquire_owned().map_err(|_| {
            ApiError::ResourceExhausted(format!(
                "this replica serves {} WatchClaims streams already; retry later or resume \
                 on another replica",
                self.settings.max_watch_streams
            ))
        })?;
        let (tx, rx) = mpsc::channel(BATCH as usize);
        let db = self.db().clone();
        let notifier = self.settings.stream.clone();
        let poll = self.settings.watch_poll;
        let shutdown = self.settings.shutdown.clone();
        tokio::spawn(async move {
            let _permit = permit;
            loop {
                // Registered before the query, so a commit between query and wait still wakes.
                let woken = notifier.notified();
                let rows = match queries::events_after(&db, insurer, last, BATCH).await {
                    Ok(rows) => rows,
                    Err(err) => {
                        let _ = tx.send(Err(Status::from(ApiError::from(err)))).await;
                        return;
                    }
                };
                let caught_up = (rows.len() as u64) < BATCH;
                for row in rows {
                    last = row.seq;
                    let Some(event) = events::decode(&row.event_type, &row.payload) else {
                        tracing::warn!(seq = row.seq, event.type = %row.event_type, "stream row skipped");
                        continue;
                    };
                    let message = pb::WatchClaimsResponse {
                        resume_token: paging::encode_token(&row.seq.to_string()),
                        claim_id: row.claim_id.to_string(),
                        event_type: row.event_type,
                        recorded_at: Some(timestamp(row.recorded_at)),
                        event: Some(event),
                    };
                    if shutdown.is_cancelled() || tx.send(Ok(message)).await.is_err() {
                        return; // the client went away
                    }
                }
                if caught_up {
                    tokio::select! {
                        _ = woken => {}
                        _ = tokio::time::sleep(poll) => {}
                        _ = tx.closed() => return,
                        _ = shutdown.cancelled() => return,
                    }
                }
            }
        });
        Ok(Box::pin(ReceiverStream::new(rx)))
    }
}
