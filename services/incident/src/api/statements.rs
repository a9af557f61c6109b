//! AddStatement: the liable platform's own account of an incident and the facts of the
//! worker's report it disputes. The worker's facts stay as reported.

use gigshield_kit::idempotency::IdempotencyKey;
use gigshield_kit::{ApiError, Principal, Violations, wire};
use gigshield_proto::incident as pb;
use uuid::Uuid;

use super::changes::about;
use super::{IncidentApi, convert};
use crate::domain::facts::FaultShare;
use crate::domain::statement::Disputes;
use crate::domain::text::free_text;
use crate::events;
use crate::store::{queries, records, statement};

fn disputes_in(v: &mut Violations, raw: Option<&pb::Disputes>) -> Disputes {
    let raw = raw.cloned().unwrap_or_default();
    let fault: Option<FaultShare> =
        convert::fault_in(v, "disputes.worker_fault_share", raw.worker_fault_share);
    Disputes {
        not_during_order: raw.not_during_order,
        intentional_crime: raw.intentional_crime,
        intoxication_or_drugs: raw.intoxication_or_drugs,
        self_harm: raw.self_harm,
        worker_fault_share: fault,
    }
}

impl IncidentApi {
    pub(super) async fn add_statement(
        &self,
        principal: Principal,
        req: pb::AddStatementRequest,
    ) -> Result<pb::AddStatementResponse, ApiError> {
        let acting = self.acting("AddStatement", principal).await?;
        let key = IdempotencyKey::new(
            &acting.caller.principal,
            &req.request_id,
            "AddStatement",
            &req,
        )?;
        let id = wire::uuid("incident_id", &req.incident_id)?;
        let mut v = Violations::new();
        let text = free_text(&req.text, self.max_text(), true)
            .map_err(|e| v.add("text", e.to_string()))
            .ok();
        let disputes = disputes_in(&mut v, req.disputes.as_ref());
        v.into_result()?;
        let text = text.ok_or_else(|| ApiError::internal(anyhow::anyhow!("validated")))?;

        gigshield_kit::write!(self.writer, key, |txn| {
            let locked = self.locked(&acting, &txn, id).await?;
            let actor = acting.actor(&locked.parties())?;
            let row = locked.row;
            let now = self.writer.now();
            let statement_id = Uuid::now_v7();
            queries::insert_statement(
                &txn,
                statement::Model {
                    id: statement_id,
                    incident_id: id,
                    text_sealed: self
                        .vault
                        .seal(text.expose(), records::STATEMENT)
                        .to_bytes(),
                    disputes: disputes.names().join(","),
                    disputed_fault_share: disputes
                        .worker_fault_share
                        .map(|f| f.as_str().to_string()),
                    added_by: actor.to_json(),
                    added_at: now,
                },
            )
            .await?;
            gigshield_kit::outbox::enqueue(
                &txn,
                events::statement_added(
                    &self.settings.topic,
                    &about(&row),
                    statement_id,
                    &disputes,
                    now,
                ),
            )
            .await?;
            tracing::info!(incident_id = %id, disputed = %disputes.names().join(","), "statement added");
            Ok(pb::AddStatementResponse {
                incident: Some(self.answer(&acting, &txn, row).await?),
            })
        })
    }
}
