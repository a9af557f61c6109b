//! Payments (RecordPayment) and what a platform owes (GetAccount). Allocations are derived:
//! every read settles the platform's full history again (domain `settle`), so a payment
//! recorded late lands where it belongs in time.

use std::collections::HashMap;

use chrono::{DateTime, SubsecRound, Utc};
use gigshield_kit::{ApiError, Principal, Violations, wire};
use gigshield_proto::premium as pb;
use gigshield_scheme::calendar::shanghai_date;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use super::PremiumApi;
use super::views::Books;
use crate::domain::arrears::{DeclarationDue, FundsSource, Payment, settle};
use crate::events;
use crate::store::payment;
use crate::store::queries::{self, DeclarationFilter};

const MAX_REFERENCE_CHARS: usize = 128;
/// The largest single payment: 10^14 fen, a trillion yuan — far above any platform's month,
/// and low enough that balances summed over every payment of a platform stay inside `i64`.
const MAX_PAYMENT_FEN: i64 = 100_000_000_000_000;

impl PremiumApi {
    /// Declarations, payments and their settlement for each platform.
    pub(super) async fn books(
        &self,
        conn: &impl ConnectionTrait,
        platform_ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Books>, ApiError> {
        let filter = DeclarationFilter {
            platform_ids: platform_ids.to_vec(),
            ..Default::default()
        };
        let mut declarations: HashMap<Uuid, Vec<_>> = HashMap::new();
        for d in queries::declarations(conn, &filter).await? {
            declarations.entry(d.platform_id).or_default().push(d);
        }
        let mut payments: HashMap<Uuid, Vec<Payment>> = HashMap::new();
        for p in queries::payments(conn, platform_ids).await? {
            payments.entry(p.platform_id).or_default().push(Payment {
                reference: p.reference,
                amount_fen: p.amount_fen,
                received_at: p.received_at,
            });
        }
        let mut out = HashMap::new();
        for platform_id in platform_ids {
            let declarations = declarations.remove(platform_id).unwrap_or_default();
            let dues: Vec<DeclarationDue> = declarations
                .iter()
                .map(|d| DeclarationDue {
                    declaration_id: d.id,
                    month: d.month,
                    issued_at: d.issued_at,
                    total_fen: d.total_fen,
                    due_date: d.due_date,
                })
                .collect();
            let settlement = settle(&dues, &payments.remove(platform_id).unwrap_or_default())
                .map_err(ApiError::internal)?;
            out.insert(
                *platform_id,
                Books {
                    declarations,
                    settlement,
                },
            );
        }
        Ok(out)
    }

    pub(super) async fn record_payment(
        &self,
        principal: Principal,
        req: pb::RecordPaymentRequest,
    ) -> Result<pb::RecordPaymentResponse, ApiError> {
        let caller = self.caller("RecordPayment", principal)?;
        // Microseconds: what the database keeps, so a replay answers with the same instants.
        let now = self.writer.now();
        let (platform_id, payment, received_at) = payment_of(&req, now, self.settings.clock_skew)?;

        let txn = gigshield_kit::db::begin_write(self.db()).await?;
        if !queries::platform_known(&txn, platform_id).await? {
            return Err(ApiError::NotFound(format!("platform {platform_id}")));
        }
        let inserted = queries::insert_payment(
            &txn,
            payment::Model {
                platform_id,
                reference: payment.reference.clone(),
                amount_fen: payment.amount_fen,
                received_at: payment.received_at,
                recorded_at: now,
                recorded_by: caller.principal.actor(),
            },
        )
        .await?;
        let payment = if inserted {
            queries::post_payment(
                &txn,
                platform_id,
                payment.amount_fen,
                &payment.reference,
                now,
            )
            .await?;
            payment
        } else {
            // The same collection again: answer with where it stands now, change nothing.
            let existing = queries::payment(&txn, platform_id, &payment.reference)
                .await?
                .ok_or_else(|| {
                    ApiError::Aborted("the payment changed concurrently; retry".into())
                })?;
            if existing.amount_fen != payment.amount_fen
                || (received_at.is_some() && Some(existing.received_at) != received_at)
            {
                return Err(ApiError::AlreadyExists(format!(
                    "payment reference {:?} was already recorded with a different amount or time",
                    payment.reference
                )));
            }
            Payment {
                received_at: existing.received_at,
                ..payment
            }
        };

        let mut books = self.books(&txn, &[platform_id]).await?;
        let books = books
            .remove(&platform_id)
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("books of {platform_id} missing")))?;
        let source = FundsSource::Payment {
            reference: payment.reference.clone(),
        };
        let allocations: Vec<(Uuid, i64)> = books
            .settlement
            .standings
            .iter()
            .flat_map(|s| {
                s.allocations
                    .iter()
                    .filter(|a| a.source == source)
                    .map(|a| (s.declaration.declaration_id, a.amount_fen))
            })
            .collect();
        let today = shanghai_date(now);
        if inserted {
            let topic = &self.settings.topic;
            let mut messages = vec![events::payment_recorded(
                topic,
                platform_id,
                &payment,
                &allocations,
                &books.settlement,
            )];
            messages.extend(events::platform_in_arrears(
                topic,
                platform_id,
                &books.settlement,
                &books.declarations,
                today,
                &self.settings.terms,
            ));
            gigshield_kit::outbox::enqueue_many(&txn, messages).await?;
            txn.commit().await?;
            self.writer.outbox.notify();
        } else {
            txn.rollback().await?;
        }
        Ok(pb::RecordPaymentResponse {
            payment: Some(pb::Payment {
                platform_id: platform_id.to_string(),
                reference: payment.reference.clone(),
                amount_fen: payment.amount_fen,
                received_at: Some(wire::timestamp(payment.received_at)),
                allocations: allocations
                    .iter()
                    .map(|(id, amount)| pb::Allocation {
                        declaration_id: id.to_string(),
                        amount_fen: *amount,
                    })
                    .collect(),
            }),
            account: Some(books.account(platform_id, today, &self.settings.terms)),
        })
    }

    pub(super) async fn get_account(
        &self,
        principal: Principal,
        req: pb::GetAccountRequest,
    ) -> Result<pb::GetAccountResponse, ApiError> {
        let caller = self.caller("GetAccount", principal)?;
        let platform_id = wire::uuid("platform_id", &req.platform_id)?;
        super::require_platform(&caller, self.db(), platform_id).await?;
        let mut books = self.books(self.db(), &[platform_id]).await?;
        let books = books
            .remove(&platform_id)
            .ok_or_else(|| ApiError::internal(anyhow::anyhow!("books of {platform_id} missing")))?;
        Ok(pb::GetAccountResponse {
            account: Some(books.account(
                platform_id,
                shanghai_date(self.writer.now()),
                &self.settings.terms,
            )),
        })
    }
}

/// A payment as the request states it, checked: the platform, the payment (received now when
/// the request gives no time) and the time the request gave.
fn payment_of(
    req: &pb::RecordPaymentRequest,
    now: DateTime<Utc>,
    clock_skew: chrono::TimeDelta,
) -> Result<(Uuid, Payment, Option<DateTime<Utc>>), ApiError> {
    let mut v = Violations::new();
    let platform_id = v.check(
        "platform_id",
        wire::uuid("platform_id", &req.platform_id).map_err(|_| "must be a UUID"),
    );
    let reference = req.reference.trim().to_string();
    if reference.is_empty() {
        v.add("reference", "is required");
    } else if reference.chars().count() > MAX_REFERENCE_CHARS {
        v.add(
            "reference",
            format!("longer than {MAX_REFERENCE_CHARS} characters"),
        );
    }
    if !(1..=MAX_PAYMENT_FEN).contains(&req.amount_fen) {
        v.add(
            "amount_fen",
            format!("must be positive and at most {MAX_PAYMENT_FEN} fen"),
        );
    }
    let received_at = match wire::datetime("received_at", req.received_at.as_ref()) {
        Ok(at) => at.map(|at| at.trunc_subsecs(6)),
        Err(_) => {
            v.add("received_at", "is not a valid timestamp");
            None
        }
    };
    if received_at.is_some_and(|at| at > now + clock_skew) {
        v.add("received_at", "must not be in the future");
    }
    v.into_result()?;
    let Some(platform_id) = platform_id else {
        return Err(ApiError::invalid("platform_id", "must be a UUID"));
    };
    let payment = Payment {
        reference,
        amount_fen: req.amount_fen,
        received_at: received_at.unwrap_or(now),
    };
    Ok((platform_id, payment, received_at))
}
