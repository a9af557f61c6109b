//! Closing a month into declarations (CloseMonth) and reading them (ListDeclarations).

use std::collections::{BTreeMap, BTreeSet};

use chrono::Duration;
use gigshield_kit::idempotency::IdempotencyKey;
use gigshield_kit::{ApiError, Principal, paging, wire};
use gigshield_proto::premium as pb;
use gigshield_scheme::calendar::shanghai_date;
use gigshield_scheme::region::ProvinceCode;
use uuid::Uuid;

use super::{PremiumApi, views};
use crate::domain::arrears::{FundsSource, Settlement};
use crate::domain::billing::Charge;
use crate::domain::declaration::{DeclarationKey, build_declaration, check_close};
use crate::events;
use crate::store::queries::{self, DeclarationFilter, scope_at};

impl PremiumApi {
    pub(super) async fn close_month(
        &self,
        principal: Principal,
        req: pb::CloseMonthRequest,
    ) -> Result<pb::CloseMonthResponse, ApiError> {
        let caller = self.caller("CloseMonth", principal)?;
        let key = IdempotencyKey::new(&caller.principal, &req.request_id, "CloseMonth", &req)?;
        let month = wire::month("month", &req.month)?;
        // Microseconds: what the database keeps, so listings show the instants answered here.
        let now = self.writer.now();
        let txn = gigshield_kit::db::begin_write(self.db()).await?;
        // Waits for batches in flight and keeps new ones out until the month is closed, so no
        // charge is filed under a month that closes meanwhile.
        queries::lock_for_close(&txn).await?;
        if let Some(previous) = key.replay(&txn, &self.writer.replays).await? {
            return Ok(previous);
        }
        let last_closed = queries::last_closed(&txn).await?;
        check_close(month, last_closed, now)
            .map_err(|e| ApiError::FailedPrecondition(e.to_string()))?;

        let mut charges: BTreeMap<(Uuid, ProvinceCode), Vec<Charge>> = BTreeMap::new();
        for charge in queries::charges_filed_under(&txn, month).await? {
            charges
                .entry((charge.platform_id, charge.province))
                .or_default()
                .push(charge);
        }
        // A platform declares every province it was registered in at the month's end, with
        // or without orders (a nil declaration, 零申报).
        let last_instant = month.ends_at() - Duration::nanoseconds(1);
        for (platform_id, history) in queries::scopes(&txn, None).await? {
            if let Some(scope) = scope_at(&history, last_instant) {
                for province in &scope.provinces {
                    charges.entry((platform_id, *province)).or_default();
                }
            }
        }
        let due_date = self.settings.terms.due_date(month);
        let mut issued = Vec::with_capacity(charges.len());
        for ((platform_id, province), charges) in charges {
            let declaration = build_declaration(
                DeclarationKey {
                    platform_id,
                    province,
                    month,
                },
                &charges,
            )
            .map_err(ApiError::internal)?;
            issued.push((Uuid::now_v7(), declaration, now, due_date));
        }
        queries::insert_declarations(&txn, &issued).await?;
        queries::insert_month_close(&txn, month, now, &caller.principal.actor()).await?;

        let topic = &self.settings.topic;
        let platform_ids: Vec<Uuid> = issued
            .iter()
            .map(|(_, d, _, _)| d.key.platform_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let books = self.books(&txn, &platform_ids).await?;
        let mut messages: Vec<_> = issued
            .iter()
            .map(|(id, d, at, due)| {
                let from_credit = books
                    .get(&d.key.platform_id)
                    .map_or(0, |b| paid_from_credit(&b.settlement, *id));
                events::declaration_issued(topic, *id, d, *at, *due, from_credit)
            })
            .collect();
        let today = shanghai_date(now);
        let terms = &self.settings.terms;
        let mut declarations = Vec::with_capacity(issued.len());
        for platform_id in &platform_ids {
            let Some(b) = books.get(platform_id) else {
                continue;
            };
            messages.extend(events::platform_in_arrears(
                topic,
                *platform_id,
                &b.settlement,
                &b.declarations,
                today,
                terms,
            ));
            declarations.extend(
                b.declarations
                    .iter()
                    .filter(|d| d.month == month)
                    .map(|d| b.view(d, today, terms)),
            );
        }
        gigshield_kit::outbox::enqueue_many(&txn, messages).await?;
        let response = pb::CloseMonthResponse {
            month: month.to_string(),
            declarations,
        };
        key.record(&txn, &self.writer.replays, &response).await?;
        txn.commit().await?;
        self.writer.outbox.notify();
        Ok(response)
    }

    pub(super) async fn list_declarations(
        &self,
        principal: Principal,
        req: pb::ListDeclarationsRequest,
    ) -> Result<pb::ListDeclarationsResponse, ApiError> {
        let caller = self.caller("ListDeclarations", principal)?;
        let platform_id = wire::uuid("platform_id", &req.platform_id)?;
        super::require_platform(&caller, self.db(), platform_id).await?;
        let month = if req.month.is_empty() {
            None
        } else {
            Some(wire::month("month", &req.month)?)
        };
        let page = paging::PageQuery::from_request(req.page.as_ref())?;
        let mut rows = queries::declarations(
            self.db(),
            &DeclarationFilter {
                platform_ids: vec![platform_id],
                month,
                after: page.after,
                limit: Some(page.fetch()),
            },
        )
        .await?;
        let next = page.finish(&mut rows, |r| r.id);
        let books = self.books(self.db(), &[platform_id]).await?;
        let today = shanghai_date(self.writer.now());
        let terms = &self.settings.terms;
        let declarations = rows
            .iter()
            .map(|d| match books.get(&platform_id) {
                Some(b) => b.view(d, today, terms),
                None => views::declaration(d, None, today, terms),
            })
            .collect();
        Ok(pb::ListDeclarationsResponse {
            declarations,
            page: Some(next),
        })
    }
}

/// What of a declaration just issued was paid at once from the platform's held credit:
/// payments that arrived before it existed (a credit note's offset is not counted: it moves no
/// money).
fn paid_from_credit(settlement: &Settlement, declaration_id: Uuid) -> i64 {
    settlement
        .standings
        .iter()
        .filter(|s| s.declaration.declaration_id == declaration_id)
        .flat_map(|s| &s.allocations)
        .filter(|a| matches!(a.source, FundsSource::Payment { .. }))
        .map(|a| a.amount_fen)
        .sum()
}
