//! The claims part of the story: automatic confirmation, appraisal, benefits and payouts of
//! one claim; review, refusal and a successful appeal of another; a third routed elsewhere.

use chrono::{DateTime, Utc};
use gigshield_kit::Role;
use gigshield_proto::claims::watch_claims_response::Event;
use gigshield_proto::claims::{self as pb};
use gigshield_proto::events;
use gigshield_scheme::calendar::{CalendarMonth, shanghai_date};
use tonic::Code;
use uuid::Uuid;

use crate::benefits::{self, Parameters};
use crate::stack::{as_, until_ok};
use crate::story::{CATCH_UP, World};
use crate::watch::Watch;

/// The beneficiary's bank account: stored sealed, shown masked, never on a topic.
pub const ACCOUNT: &str = "6222021234567890123";
/// What `Payout.account_masked` shows of it: the first and last four characters.
/// Beijing's average monthly wage the story's operator enters: 12 500 yuan, an example.
const BEIJING_EXAMPLE_WAGE_FEN: i64 = 1_250_000;
const ACCOUNT_MASKED: &str = "6222***********0123";
/// The approved medical bills, in fen.
const MEDICAL_BILLS: [i64; 2] = [86_420, 12_345];
/// Instalments of each monthly item in the schedule.
const INSTALMENTS: i32 = 2;

async fn get_claim(world: &World, role: &Role, claim_id: &str) -> Result<pb::Claim, tonic::Status> {
    world
        .claims
        .clone()
        .get_claim(as_(
            role,
            pb::GetClaimRequest {
                claim_id: claim_id.into(),
            },
        ))
        .await
        .map(|r| r.into_inner().claim.expect("claim"))
}

async fn review_queue(world: &World, role: &Role) -> Vec<pb::ClaimSummary> {
    world
        .claims
        .clone()
        .list_review_queue(as_(role, pb::ListReviewQueueRequest { page: None }))
        .await
        .expect("review queue")
        .into_inner()
        .claims
}

fn history_actions(claim: &pb::Claim) -> Vec<&str> {
    claim.history.iter().map(|h| h.action.as_str()).collect()
}

fn insurer_of(world: &World) -> Role {
    Role::Insurer {
        insurer_id: world.beijing_insurer,
    }
}

/// The claim opened for `incident_id`, as the insurer's stream announced it.
async fn opened(stream: &mut Watch, incident_id: &str) -> events::ClaimOpened {
    let message = stream
        .find(
            CATCH_UP,
            |m| matches!(&m.event, Some(Event::ClaimOpened(o)) if o.incident_id == incident_id),
        )
        .await
        .unwrap_or_else(|| panic!("no claim opened for incident {incident_id}"));
    match message.event {
        Some(Event::ClaimOpened(opened)) => opened,
        _ => unreachable!("matched above"),
    }
}

/// The rider's application opened a claim that the rules confirmed against the delivery
/// order: the Beijing insurer's stream sees it open, then confirmed.
pub async fn automatic_confirmation(
    world: &World,
    stream: &mut Watch,
    incident_id: &str,
    person_id: &str,
) -> events::ClaimConfirmed {
    let opened = opened(stream, incident_id).await;
    let claim_id = opened.claim_id.clone();
    assert!(
        opened.trace.iter().all(|rule| rule.passed),
        "{:?}",
        opened.trace
    );
    assert_eq!(opened.insurer_id, world.beijing_insurer.to_string());
    let message = stream
        .find(CATCH_UP, |m| {
            m.claim_id == claim_id && matches!(m.event, Some(Event::ClaimConfirmed(_)))
        })
        .await;
    let Some(Some(Event::ClaimConfirmed(confirmed))) = message.map(|m| m.event) else {
        panic!(
            "no automatic confirmation; the claim's events: {:#?}\n{}",
            stream
                .seen
                .iter()
                .filter(|m| m.claim_id == claim_id)
                .collect::<Vec<_>>(),
            world.stack.claims.log_tail()
        );
    };
    assert!(confirmed.automatic, "automation confirmed it");
    assert_eq!(
        (confirmed.platform_id.as_str(), confirmed.order_id.as_str()),
        (world.delivery.to_string().as_str(), "d-1")
    );
    assert_eq!(confirmed.person_id, person_id);
    assert_eq!(confirmed.insurer_id, world.beijing_insurer.to_string());
    assert!(confirmed.appeal_id.is_empty());

    let claim = get_claim(world, &insurer_of(world), &claim_id)
        .await
        .expect("the routed insurer reads its claim");
    assert_eq!(claim.status, pb::ClaimStatus::Confirmed as i32);
    let decision = claim.decision.as_ref().expect("decision");
    assert!(decision.automatic && decision.decided_by.is_empty());
    let liability = claim.liability.as_ref().expect("liability");
    assert_eq!(
        (
            liability.platform_id.as_str(),
            liability.order_id.as_str(),
            liability.region_code.as_str()
        ),
        (world.delivery.to_string().as_str(), "d-1", "110105")
    );
    assert_eq!(history_actions(&claim), ["OPENED", "CONFIRMED"]);
    confirmed
}

/// The appraisal committee's grade, the assessment and the payouts of the confirmed claim, by
/// the insurer it is routed to. Returns the kinds of the events it caused, in order.
pub async fn appraisal_benefits_payouts(
    world: &World,
    claim_id: &str,
    occurred_at: DateTime<Utc>,
) -> Vec<&'static str> {
    let insurer = insurer_of(world);
    let mut claims = world.claims.clone();
    let now = Utc::now();
    let today = shanghai_date(now).format("%Y-%m-%d").to_string();
    let start = CalendarMonth::of(now);
    let second = start.next().expect("a month after this one");
    let mut kinds = Vec::new();

    let appraised = claims
        .record_appraisal(as_(
            &insurer,
            pb::RecordAppraisalRequest {
                request_id: world.request_id("appraisal"),
                claim_id: claim_id.into(),
                grade: benefits::GRADE,
                nursing_level: pb::NursingLevel::Partial as i32,
                appraised_on: today.clone(),
                appraisal_body: "北京市劳动能力鉴定委员会".into(),
            },
        ))
        .await
        .expect("appraisal recorded")
        .into_inner()
        .claim
        .unwrap();
    kinds.push("AppraisalRecorded");
    let appraisal = appraised.appraisals.last().expect("appraisal");
    assert_eq!(
        (appraisal.version, appraisal.grade, appraisal.nursing_level),
        (1, benefits::GRADE, pb::NursingLevel::Partial as i32)
    );
    assert_eq!(appraisal.appraised_on, today);

    // No area wage is shipped (none is published with a source we hold): Beijing's operator
    // enters the year's figure, an example here, and the assessment uses it. The figures
    // follow the covering order's region (110105 → Beijing's row).
    let year = Parameters::shipped().reference_year(occurred_at);
    let figure = claims
        .add_benefit_figure(as_(
            &Role::regional_operator("11"),
            pb::AddBenefitFigureRequest {
                request_id: world.request_id("beijing-wage"),
                figure: Some(gigshield_proto::common::BenefitFigure {
                    table: gigshield_proto::common::BenefitTable::AreaAverageMonthlyWage as i32,
                    region_code: "110000".into(),
                    year,
                    value_fen: BEIJING_EXAMPLE_WAGE_FEN,
                    source: Some(gigshield_proto::common::Source {
                        document: "example (end-to-end test)".into(),
                        url: String::new(),
                        published_on: String::new(),
                        confidence: gigshield_proto::common::Confidence::Unconfirmed as i32,
                    }),
                }),
            },
        ))
        .await
        .expect("figure added");
    assert_eq!(
        figure.into_inner().assessed_claims,
        0,
        "nothing waited for it"
    );
    let parameters = Parameters::shipped().with_area_wage("110000", year, BEIJING_EXAMPLE_WAGE_FEN);
    let lines = parameters
        .grade_3_partial_nursing("110105", occurred_at, &MEDICAL_BILLS)
        .expect("the entered wage applies");
    let assess = claims
        .assess_benefits(as_(
            &insurer,
            pb::AssessBenefitsRequest {
                request_id: world.request_id("assess"),
                claim_id: claim_id.into(),
                approved_bills: MEDICAL_BILLS
                    .iter()
                    .map(|fen| pb::ApprovedBill {
                        kind: pb::BillKind::MedicalAndRehabilitation as i32,
                        amount_fen: *fen,
                    })
                    .collect(),
                start_month: start.to_string(),
                monthly_instalments: INSTALMENTS,
                ..Default::default()
            },
        ))
        .await;
    let assessed = assess
        .expect("benefits assessed")
        .into_inner()
        .claim
        .unwrap();
    kinds.push("BenefitAssessed");
    let assessment = assessed.assessment.expect("assessment");
    let got: Vec<(String, bool, i64)> = assessment
        .items
        .iter()
        .map(|i| (i.kind.clone(), i.monthly, i.amount_fen))
        .collect();
    let want: Vec<(String, bool, i64)> = lines
        .iter()
        .map(|l| (l.kind.to_string(), l.monthly, l.amount_fen))
        .collect();
    assert_eq!(got, want, "benefit lines");
    assert!(assessment.items.iter().all(|i| !i.basis.is_empty()));
    let one_time: i64 = lines
        .iter()
        .filter(|l| !l.monthly)
        .map(|l| l.amount_fen)
        .sum();
    let monthly: i64 = lines
        .iter()
        .filter(|l| l.monthly)
        .map(|l| l.amount_fen)
        .sum();
    assert_eq!(
        (assessment.total_one_time_fen, assessment.total_monthly_fen),
        (one_time, monthly)
    );
    assert_eq!(assessment.parameters_version, parameters.version());
    let schedule_len = lines.iter().filter(|l| !l.monthly).count()
        + lines.iter().filter(|l| l.monthly).count() * INSTALMENTS as usize;
    assert_eq!(
        assessed.payouts.len(),
        schedule_len,
        "{:?}",
        assessed.payouts
    );
    assert!(assessed.payouts.iter().all(|p| !p.issued));

    // What each month's run must issue: one-time items and the first instalments in the
    // start month, the second instalments in the next.
    let due = |month: CalendarMonth| {
        let mut due: Vec<(String, String, String, i64)> = lines
            .iter()
            .filter(|l| l.monthly || month == start)
            .map(|l| {
                let period = if l.monthly {
                    month.to_string()
                } else {
                    "once".to_string()
                };
                (l.kind.to_string(), period, month.to_string(), l.amount_fen)
            })
            .collect();
        due.sort();
        due
    };
    // The worker registers where benefits go; the insurer's payouts go there (naming another
    // account would wait for a second person's approval).
    let person_id = get_claim(world, &insurer, claim_id)
        .await
        .unwrap()
        .person_id;
    let worker = Role::Worker {
        person_id: Uuid::parse_str(&person_id).unwrap(),
    };
    claims
        .set_beneficiary_account(as_(
            &worker,
            pb::SetBeneficiaryAccountRequest {
                request_id: world.request_id("beneficiary-account"),
                person_id: person_id.clone(),
                account_reference: ACCOUNT.into(),
            },
        ))
        .await
        .expect("account registered");
    let issue = |what: &str, through: CalendarMonth| {
        let mut claims = world.claims.clone();
        let request = pb::IssuePayoutsRequest {
            request_id: world.request_id(what),
            claim_id: claim_id.into(),
            through_month: through.to_string(),
            account_reference: String::new(),
        };
        let insurer = insurer.clone();
        async move {
            claims
                .issue_payouts(as_(&insurer, request))
                .await
                .expect("payouts issued")
                .into_inner()
        }
    };
    for (run, through) in [(1, start), (2, second)] {
        let answer = issue(&format!("payout-{run}"), through).await;
        let mut issued: Vec<(String, String, String, i64)> = answer
            .issued
            .iter()
            .map(|p| {
                (
                    p.kind.clone(),
                    p.period.clone(),
                    p.due_month.clone(),
                    p.amount_fen,
                )
            })
            .collect();
        issued.sort();
        assert_eq!(issued, due(through), "payouts through {through}");
        for payout in &answer.issued {
            assert!(payout.issued && payout.issued_at.is_some());
            assert_eq!(payout.account_masked, ACCOUNT_MASKED);
            assert_eq!(
                payout.idempotency_key,
                format!("claim/{claim_id}/{}/{}", payout.kind, payout.period)
            );
        }
        kinds.extend(std::iter::repeat_n("PayoutIssued", answer.issued.len()));
        // Issuing again, as a new request, finds nothing left to pay.
        let again = issue(&format!("payout-{run}-again"), through).await;
        assert!(again.issued.is_empty(), "issued twice: {:?}", again.issued);
    }

    let paid = get_claim(world, &insurer, claim_id).await.unwrap();
    assert_eq!(paid.payouts.len(), schedule_len);
    assert!(paid.payouts.iter().all(|p| p.issued));
    assert!(
        paid.payouts
            .iter()
            .all(|p| p.account_masked == ACCOUNT_MASKED),
        "{:?}",
        paid.payouts
    );
    assert_eq!(
        paid.payouts.iter().map(|p| p.amount_fen).sum::<i64>(),
        one_time + i64::from(INSTALMENTS) * monthly
    );
    assert_eq!(
        history_actions(&paid),
        [
            "OPENED",
            "CONFIRMED",
            "APPRAISAL_RECORDED",
            "BENEFIT_ASSESSED",
            "PAYOUTS_ISSUED",
            "PAYOUTS_ISSUED"
        ]
    );
    assert!(
        !format!("{paid:?}").contains(ACCOUNT),
        "the full account is never shown"
    );

    // The liable platform reads the claim without medical detail.
    let platform_view = get_claim(
        world,
        &Role::Platform {
            platform_id: world.delivery,
        },
        claim_id,
    )
    .await
    .expect("the liable platform reads the claim");
    assert!(platform_view.medical_detail_withheld);
    assert!(
        platform_view.appraisals.is_empty()
            && platform_view.assessment.is_none()
            && platform_view.payouts.is_empty()
    );
    kinds
}

/// The other driver's claim goes to the ride-hailing platform's insurer: it is in that
/// insurer's queue, and neither in the Beijing insurer's queue nor readable by it.
pub async fn routed_elsewhere(world: &World, incident_id: &str) -> String {
    let rides_insurer = Role::Insurer {
        insurer_id: world.rides_insurer,
    };
    let summary = until_ok(CATCH_UP, || async {
        review_queue(world, &rides_insurer)
            .await
            .into_iter()
            .find(|c| c.incident_id == incident_id)
            .ok_or_else(|| tonic::Status::not_found("not in the queue yet"))
    })
    .await
    .unwrap_or_else(|_| {
        panic!(
            "the claim never reached the ride-hailing insurer's queue\n{}",
            world.stack.claims.log_tail()
        )
    });
    assert_eq!(summary.insurer_id, world.rides_insurer.to_string());
    assert_eq!(summary.platform_id, world.rides.to_string());
    assert_eq!(summary.review_reasons, ["NO_COVERING_ORDER"]);
    let beijing = review_queue(world, &insurer_of(world)).await;
    assert!(beijing.iter().all(|c| c.claim_id != summary.claim_id));
    let denied = get_claim(world, &insurer_of(world), &summary.claim_id)
        .await
        .expect_err("another insurer's claim");
    assert_eq!(denied.code(), Code::NotFound, "as if it did not exist");
    summary.claim_id
}

/// The colleague's fall outside any order waits in the Beijing insurer's queue for the
/// work-relatedness rule; the insurer refuses it, the worker appeals, and the appeal's
/// outcome overturns the refusal into a confirmation. Returns the claim id.
pub async fn review_refusal_appeal(
    world: &World,
    stream: &mut Watch,
    incident_id: &str,
    person_id: &str,
    other_insurers_claim: &str,
) -> String {
    let insurer = insurer_of(world);
    let mut claims = world.claims.clone();
    let opened = opened(stream, incident_id).await;
    let claim_id = opened.claim_id.clone();
    let routed = stream
        .find(CATCH_UP, |m| {
            m.claim_id == claim_id && matches!(m.event, Some(Event::ClaimRouted(_)))
        })
        .await;
    let Some(Some(Event::ClaimRouted(routed))) = routed.map(|m| m.event) else {
        panic!("the off-order claim was not routed for review");
    };
    assert_eq!(
        (routed.cause.as_str(), routed.insurer_id.as_str()),
        ("OPENED", world.beijing_insurer.to_string().as_str())
    );
    assert_eq!(routed.review_reasons, ["NO_COVERING_ORDER"]);

    let queue = review_queue(world, &insurer).await;
    let waiting = queue
        .iter()
        .find(|c| c.claim_id == claim_id)
        .unwrap_or_else(|| panic!("not in the insurer's queue: {queue:?}"));
    assert_eq!(waiting.status, pb::ClaimStatus::InReview as i32);
    assert_eq!(waiting.review_reasons, ["NO_COVERING_ORDER"]);
    assert_eq!(waiting.person_id, person_id);
    assert!(queue.iter().all(|c| c.claim_id != other_insurers_claim));

    let claim = get_claim(world, &insurer, &claim_id).await.unwrap();
    let failed: Vec<(&str, &str)> = claim
        .trace
        .iter()
        .filter(|r| !r.passed)
        .map(|r| (r.rule.as_str(), r.reason.as_str()))
        .collect();
    assert_eq!(failed, [("WORK_RELATED", "NO_COVERING_ORDER")]);
    assert!(claim.liability.is_none(), "no order, no liable platform");
    assert_eq!(claim.platform_id, world.delivery.to_string(), "the filer");

    // A human refuses it, with a reason code from the fixed list.
    let refused = claims
        .decide(as_(
            &insurer,
            pb::DecideRequest {
                request_id: world.request_id("refuse"),
                claim_id: claim_id.clone(),
                decision: pb::ClaimStatus::Refused as i32,
                refusal_reason: pb::RefusalReason::NotDuringOrder as i32,
                note: format!(
                    "事故发生时无进行中的订单；{}",
                    crate::personal_data::HEALTH_PHRASE
                ),
            },
        ))
        .await
        .expect("refusal recorded")
        .into_inner()
        .claim
        .unwrap();
    assert_eq!(refused.status, pb::ClaimStatus::Refused as i32);
    let decision = refused.decision.expect("decision");
    assert_eq!(
        decision.refusal_reason,
        pb::RefusalReason::NotDuringOrder as i32
    );
    assert!(!decision.automatic && !decision.decided_by.is_empty());
    assert!(
        review_queue(world, &insurer)
            .await
            .iter()
            .all(|c| c.claim_id != claim_id),
        "a decided claim leaves the queue"
    );
    let twice = claims
        .decide(as_(
            &insurer,
            pb::DecideRequest {
                request_id: world.request_id("refuse-again"),
                claim_id: claim_id.clone(),
                decision: pb::ClaimStatus::Confirmed as i32,
                ..Default::default()
            },
        ))
        .await
        .expect_err("only claims waiting for a human are decided");
    assert_eq!(twice.code(), Code::FailedPrecondition);

    // The worker challenges the refusal; one open appeal at a time.
    let worker = Role::Worker {
        person_id: Uuid::parse_str(person_id).unwrap(),
    };
    let appeal = |key: &str| {
        let mut claims = world.claims.clone();
        let request = pb::FileAppealRequest {
            request_id: world.request_id(key),
            claim_id: claim_id.clone(),
            kind: pb::AppealKind::AdministrativeReview as i32,
            grounds: format!("我在送单途中受伤：{}", crate::personal_data::HEALTH_PHRASE),
        };
        let worker = worker.clone();
        async move { claims.file_appeal(as_(&worker, request)).await }
    };
    let filed = appeal("appeal").await.expect("appeal filed").into_inner();
    let pending = filed.claim.expect("claim");
    assert_eq!(pending.status, pb::ClaimStatus::Refused as i32);
    assert_eq!(pending.appeals.len(), 1);
    assert_eq!(
        pending.appeals[0].outcome,
        pb::AppealOutcome::Unspecified as i32
    );
    let second = appeal("appeal-again").await.expect_err("an appeal is open");
    assert_eq!(second.code(), Code::FailedPrecondition);

    // The administrative review overturns the refusal: the claim is confirmed.
    let decided = claims
        .record_appeal_outcome(as_(
            &insurer,
            pb::RecordAppealOutcomeRequest {
                request_id: world.request_id("appeal-outcome"),
                claim_id: claim_id.clone(),
                appeal_id: filed.appeal_id.clone(),
                outcome: pb::AppealOutcome::Overturned as i32,
                effect: pb::OverturnEffect::Confirm as i32,
            },
        ))
        .await
        .expect("appeal outcome recorded")
        .into_inner()
        .claim
        .unwrap();
    assert_eq!(decided.status, pb::ClaimStatus::Confirmed as i32);
    assert!(!decided.decision.as_ref().expect("decision").automatic);
    let appeal = &decided.appeals[0];
    assert_eq!(
        (appeal.appeal_id.as_str(), appeal.outcome, appeal.effect),
        (
            filed.appeal_id.as_str(),
            pb::AppealOutcome::Overturned as i32,
            pb::OverturnEffect::Confirm as i32
        )
    );
    assert_eq!(
        history_actions(&decided),
        [
            "OPENED",
            "ROUTED",
            "REFUSED",
            "APPEAL_FILED",
            "APPEAL_DECIDED"
        ]
    );
    let refusal = &decided.history[2];
    assert!(
        refusal.detail.starts_with("NOT_DURING_ORDER"),
        "{refusal:?}"
    );
    assert!(refusal.actor.starts_with("insurer:"), "{refusal:?}");

    let message = stream
        .find(CATCH_UP, |m| {
            m.claim_id == claim_id && matches!(m.event, Some(Event::ClaimConfirmed(_)))
        })
        .await;
    let Some(Some(Event::ClaimConfirmed(confirmed))) = message.map(|m| m.event) else {
        panic!("the overturned refusal was not confirmed on the stream");
    };
    assert!(!confirmed.automatic);
    assert_eq!(confirmed.appeal_id, filed.appeal_id);
    assert!(confirmed.order_id.is_empty(), "no covering order");
    claim_id
}
