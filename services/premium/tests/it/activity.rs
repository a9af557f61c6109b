//! VerifyWorkActivity across two platforms for one person.

use chrono::Duration;
use gigshield_kit::Role;
use gigshield_kit::testing::Backend;
use gigshield_proto::common::Industry;
use gigshield_proto::premium as pb;
use uuid::Uuid;

use crate::support::*;

#[tokio::test]
async fn work_activity_finds_the_persons_orders_on_every_platform() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let a = app
        .platform(&[Industry::InstantDelivery], &["310000"])
        .await;
    let b = app
        .platform(&[Industry::RideHailing], &["310000", "440000"])
        .await;
    let person = Uuid::now_v7();
    app.member(a, "a-rider", person).await;
    app.member(b, "b-driver", person).await;
    app.worker(a, "someone").await;
    app.synced().await;
    let (month, _) = closed_months();
    let t = month.starts_at() + Duration::days(12) + Duration::hours(2);
    let at = |minutes: i64| t + Duration::minutes(minutes);
    app.report(
        a,
        vec![
            pb::OrderReport {
                picked_up_at: ts(at(5)),
                completed_at: ts(at(30)),
                ..order("a-1", "a-rider", Industry::InstantDelivery, "310115", at(0))
            },
            order(
                "a-open",
                "a-rider",
                Industry::InstantDelivery,
                "310115",
                at(120),
            ),
            completed(
                "a-other",
                "someone",
                Industry::InstantDelivery,
                "310115",
                at(10),
            ),
        ],
    )
    .await;
    app.report(
        b,
        vec![
            pb::OrderReport {
                completed_at: ts(at(50)),
                ..order("b-1", "b-driver", Industry::RideHailing, "440106", at(20))
            },
            pb::OrderReport {
                cancelled_at: ts(at(-55)),
                ..order(
                    "b-cancelled",
                    "b-driver",
                    Industry::RideHailing,
                    "310115",
                    at(-60),
                )
            },
        ],
    )
    .await;

    // The insurer of a case of the person may ask about them.
    let insurer_id = Uuid::now_v7();
    app.assign(person, insurer_id).await;
    let ask = |role: Role, minutes: i64, margin_minutes: i64| {
        let client = app.client.clone();
        async move {
            let mut client = client;
            client
                .verify_work_activity(as_(
                    &role,
                    pb::VerifyWorkActivityRequest {
                        person_id: person.to_string(),
                        at: ts(at(minutes)),
                        margin: Some(prost_types::Duration {
                            seconds: margin_minutes * 60,
                            nanos: 0,
                        }),
                    },
                ))
                .await
                .map(|r| {
                    r.into_inner()
                        .orders
                        .into_iter()
                        .map(|o| (o.platform_id, o.order_id))
                        .collect::<Vec<_>>()
                })
        }
    };
    let (a_id, b_id) = (a.to_string(), b.to_string());
    assert_eq!(
        ask(Role::national_adjuster(), 25, 0).await.unwrap(),
        vec![
            (a_id.clone(), "a-1".to_string()),
            (b_id.clone(), "b-1".to_string())
        ],
        "two platforms' orders overlap at +25 min"
    );
    assert_eq!(
        ask(Role::national_operator(), 55, 10).await.unwrap(),
        vec![(b_id.clone(), "b-1".to_string())],
        "a-1 ended at +30, +10 margin does not reach +55"
    );
    assert_eq!(
        ask(Role::Insurer { insurer_id }, 38, 10)
            .await
            .unwrap()
            .len(),
        2,
        "the margin widens a-1 to +40"
    );
    assert_eq!(
        ask(Role::national_adjuster(), 200, 0).await.unwrap(),
        vec![(a_id.clone(), "a-open".to_string())],
        "an open order counts after its acceptance"
    );
    assert_eq!(
        ask(Role::national_adjuster(), -57, 0).await.unwrap(),
        vec![(b_id.clone(), "b-cancelled".to_string())]
    );
    assert!(
        ask(Role::national_adjuster(), -120, 0)
            .await
            .unwrap()
            .is_empty()
    );
    let denied = ask(Role::Platform { platform_id: a }, 25, 0)
        .await
        .unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    // Behaviour 2: an insurer never routed anything read anyone's orders.
    let stranger = Role::Insurer {
        insurer_id: Uuid::now_v7(),
    };
    assert_eq!(
        ask(stranger, 25, 0).await.unwrap_err().code(),
        tonic::Code::PermissionDenied
    );
    // The claims service, with its own short-lived token.
    assert_eq!(ask(Role::service("claims"), 25, 0).await.unwrap().len(), 2);
    // Shanghai's operator sees the Shanghai order only (b-1 was taken in Guangzhou).
    assert_eq!(
        ask(Role::regional_operator("310000"), 25, 0).await.unwrap(),
        vec![(a_id.clone(), "a-1".to_string())]
    );
    let bad = ask(Role::national_adjuster(), 25, -1).await.unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    app.stop().await;
}
