//! The topics fund follows. Each event's entries are booked in the consumer's transaction
//! with the kit's inbox row, so a redelivered event books nothing twice; the entries name the
//! event (`source_id` = its `ce_id`), so every figure traces back to what made it.
//!
//! - `premium.events.v1`: a declaration books fees declared; a payment books what it paid of
//!   each declaration (in that declaration's province) and holds the rest as the platform's
//!   credit.
//! - `claims.events.v1`: claims are remembered where they are and who handles them; a payout
//!   books a benefit the insurer advanced; a return takes it back and a re-instruction books
//!   it again; sent and paid only move the payout's state.

use chrono::{DateTime, Utc};
use gigshield_kit::Service;
use gigshield_kit::clock::Clock;
use gigshield_kit::consumer::{EventHandler, HandlerError, Subscription};
use gigshield_kit::envelope::Envelope;
use gigshield_kit::feed::{field_instant, field_uuid, optional_uuid};
use gigshield_proto::events;
use gigshield_scheme::calendar::CalendarMonth;
use sea_orm::DatabaseTransaction;

use crate::domain::ledger::{self, Entry};
use crate::store::{claim_ref, declaration_ref, payout, queries};

pub const DECLARATION_ISSUED: &str = "gigshield.events.v1.DeclarationIssued";
pub const PAYMENT_RECORDED: &str = "gigshield.events.v1.PaymentRecorded";
pub const CLAIM_OPENED: &str = "gigshield.events.v1.ClaimOpened";
pub const CLAIM_ROUTED: &str = "gigshield.events.v1.ClaimRouted";
pub const PAYOUT_ISSUED: &str = "gigshield.events.v1.PayoutIssued";
pub const PAYOUT_STATE_CHANGED: &str = "gigshield.events.v1.PayoutStateChanged";

/// Starts both consumers: `<group>-premium` and `<group>-claims`.
pub fn spawn(
    service: &mut Service,
    group: &str,
    premium_topic: &str,
    claims_topic: &str,
) -> anyhow::Result<()> {
    service.spawn_consumer(
        &format!("{group}-premium"),
        &[Subscription {
            topic: premium_topic,
            producer: "premium",
        }],
        PremiumFees {
            clock: service.clock(),
        },
    )?;
    service.spawn_consumer(
        &format!("{group}-claims"),
        &[Subscription {
            topic: claims_topic,
            producer: "claims",
        }],
        ClaimsBenefits {
            clock: service.clock(),
        },
    )
}

fn permanent(reason: impl Into<String>) -> HandlerError {
    HandlerError::Permanent(reason.into())
}

fn month(field: &str, value: &str) -> Result<CalendarMonth, HandlerError> {
    value
        .parse()
        .map_err(|e| permanent(format!("{field}: {e}")))
}

async fn book(
    txn: &DatabaseTransaction,
    event: &Envelope,
    entries: impl IntoIterator<Item = Option<Entry>>,
    booked_at: DateTime<Utc>,
) -> Result<(), HandlerError> {
    let entries: Vec<Entry> = entries.into_iter().flatten().collect();
    let kind = event
        .event_type
        .rsplit('.')
        .next()
        .unwrap_or(&event.event_type);
    queries::book(txn, &entries, &event.id, kind, booked_at).await?;
    Ok(())
}

/// Fees from premium's declarations and payments.
/// `clock` stamps the entries.
#[derive(Debug, Clone)]
pub struct PremiumFees {
    pub clock: Clock,
}

impl EventHandler for PremiumFees {
    fn wants(&self, event_type: &str) -> bool {
        matches!(event_type, DECLARATION_ISSUED | PAYMENT_RECORDED)
    }

    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &Envelope,
    ) -> Result<(), HandlerError> {
        match event.event_type.as_str() {
            DECLARATION_ISSUED => {
                let e: events::DeclarationIssued = event.decode(DECLARATION_ISSUED)?;
                let platform = field_uuid("platform_id", &e.platform_id)?;
                let declared_month = month("month", &e.month)?;
                queries::remember_declaration(
                    txn,
                    declaration_ref::Model {
                        declaration_id: field_uuid("declaration_id", &e.declaration_id)?,
                        platform_id: platform,
                        province: e.province_code.clone(),
                        month: e.month.clone(),
                    },
                )
                .await?;
                let declared =
                    ledger::declared(&e.province_code, declared_month, platform, e.total_fen);
                // Held credit that paid it at once: received in the month it was issued.
                let issued = CalendarMonth::of(field_instant("issued_at", e.issued_at.as_ref())?);
                let [from_pool, received] = ledger::credit_applied(
                    &e.province_code,
                    issued,
                    platform,
                    e.paid_from_credit_fen,
                );
                book(
                    txn,
                    event,
                    [declared, from_pool, received],
                    self.clock.now(),
                )
                .await
            }
            PAYMENT_RECORDED => {
                let e: events::PaymentRecorded = event.decode(PAYMENT_RECORDED)?;
                let platform = field_uuid("platform_id", &e.platform_id)?;
                let paid_in =
                    CalendarMonth::of(field_instant("received_at", e.received_at.as_ref())?);
                let mut entries = Vec::with_capacity(e.allocations.len() + 1);
                let mut allocated = 0_i64;
                for a in &e.allocations {
                    let id = field_uuid("allocations.declaration_id", &a.declaration_id)?;
                    // One platform's events share a partition: its declaration came first.
                    let Some(declaration) = queries::declaration(txn, id).await? else {
                        return Err(permanent(format!(
                            "payment allocated to unknown declaration {id}"
                        )));
                    };
                    allocated = allocated.saturating_add(a.amount_fen);
                    entries.push(ledger::received(
                        &declaration.province,
                        paid_in,
                        platform,
                        a.amount_fen,
                    ));
                }
                entries.push(ledger::credit_held(
                    paid_in,
                    platform,
                    e.amount_fen.saturating_sub(allocated),
                ));
                book(txn, event, entries, self.clock.now()).await
            }
            _ => Ok(()),
        }
    }
}

/// Benefits from claims' payouts.
/// `clock` stamps the entries.
#[derive(Debug, Clone)]
pub struct ClaimsBenefits {
    pub clock: Clock,
}

impl EventHandler for ClaimsBenefits {
    fn wants(&self, event_type: &str) -> bool {
        matches!(
            event_type,
            CLAIM_OPENED | CLAIM_ROUTED | PAYOUT_ISSUED | PAYOUT_STATE_CHANGED
        )
    }

    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &Envelope,
    ) -> Result<(), HandlerError> {
        match event.event_type.as_str() {
            CLAIM_OPENED => {
                let e: events::ClaimOpened = event.decode(CLAIM_OPENED)?;
                queries::remember_claim(
                    txn,
                    claim_ref::Model {
                        claim_id: field_uuid("claim_id", &e.claim_id)?,
                        province: e.province_code.clone(),
                        platform_id: optional_uuid("platform_id", &e.platform_id)?,
                        insurer_id: optional_uuid("insurer_id", &e.insurer_id)?,
                    },
                )
                .await?;
                Ok(())
            }
            CLAIM_ROUTED => {
                let e: events::ClaimRouted = event.decode(CLAIM_ROUTED)?;
                let id = field_uuid("claim_id", &e.claim_id)?;
                queries::route_claim(txn, id, optional_uuid("insurer_id", &e.insurer_id)?).await?;
                Ok(())
            }
            PAYOUT_ISSUED => payout_issued(txn, event, self.clock.now()).await,
            PAYOUT_STATE_CHANGED => payout_state_changed(txn, event, self.clock.now()).await,
            _ => Ok(()),
        }
    }
}

async fn claim_of(
    txn: &DatabaseTransaction,
    claim_id: &str,
) -> Result<claim_ref::Model, HandlerError> {
    let id = field_uuid("claim_id", claim_id)?;
    // One claim's events share a partition: ClaimOpened came first.
    queries::claim(txn, id)
        .await?
        .ok_or_else(|| permanent(format!("payout of unknown claim {id}")))
}

async fn payout_issued(
    txn: &DatabaseTransaction,
    event: &Envelope,
    now: DateTime<Utc>,
) -> Result<(), HandlerError> {
    let e: events::PayoutIssued = event.decode(PAYOUT_ISSUED)?;
    let claim = claim_of(txn, &e.claim_id).await?;
    let issued = CalendarMonth::of(field_instant("issued_at", e.issued_at.as_ref())?);
    let first = queries::insert_payout(
        txn,
        payout::Model {
            payout_key: e.idempotency_key.clone(),
            claim_id: claim.claim_id,
            province: claim.province.clone(),
            month: issued.to_string(),
            insurer_id: claim.insurer_id,
            amount_fen: e.amount_fen,
            kind: e.kind.clone(),
            state: "INSTRUCTED".into(),
        },
    )
    .await?;
    if !first {
        // Claims issues a payout key once; another event for it would pay it twice.
        return Err(permanent(format!(
            "payout {} issued twice",
            e.idempotency_key
        )));
    }
    let entry = ledger::advanced(
        &claim.province,
        issued,
        claim.platform_id,
        claim.insurer_id,
        &e.kind,
        e.amount_fen,
    );
    book(txn, event, [entry], now).await
}

async fn payout_state_changed(
    txn: &DatabaseTransaction,
    event: &Envelope,
    now: DateTime<Utc>,
) -> Result<(), HandlerError> {
    let e: events::PayoutStateChanged = event.decode(PAYOUT_STATE_CHANGED)?;
    let claim = claim_of(txn, &e.claim_id).await?;
    let Some(row) = queries::payout(txn, &e.idempotency_key).await? else {
        return Err(permanent(format!(
            "state of unknown payout {}",
            e.idempotency_key
        )));
    };
    let at = CalendarMonth::of(field_instant("changed_at", e.changed_at.as_ref())?);
    // The money moves back on a return and out again on a re-instruction, booked with the
    // insurer and province of the payout's first issue.
    let moved = match e.state.as_str() {
        "RETURNED" => -row.amount_fen,
        "INSTRUCTED" => row.amount_fen,
        "SENT" | "PAID" => 0,
        other => return Err(permanent(format!("unknown payout state {other}"))),
    };
    let entry = ledger::advanced(
        &row.province,
        at,
        claim.platform_id,
        row.insurer_id,
        &row.kind,
        moved,
    );
    queries::set_payout_state(txn, row, &e.state).await?;
    book(txn, event, [entry], now).await
}
