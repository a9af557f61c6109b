//! WatchClaims: an insurer's stream resumes after a disconnect with no gap and no duplicate,
//! and shows its own routes only.

use std::time::Duration;

use chrono::TimeDelta;
use gigshield_kit::Role;
use gigshield_proto::claims as pb;
use tokio_stream::StreamExt;
use uuid::Uuid;

use crate::support::*;

async fn take(
    app: &mut TestApp,
    role: &Role,
    resume_token: &str,
    n: usize,
) -> Vec<pb::WatchClaimsResponse> {
    let mut stream = app
        .client
        .watch_claims(as_(
            role,
            pb::WatchClaimsRequest {
                resume_token: resume_token.into(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let mut out = Vec::new();
    while out.len() < n {
        let next = tokio::time::timeout(Duration::from_secs(30), stream.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} stream messages", out.len()))
            .expect("stream open")
            .unwrap();
        out.push(next);
    }
    out
}

#[tokio::test]
async fn the_stream_resumes_without_gap_or_duplicate() {
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    let insurer = app.insurer_role();
    // Three confirmed claims (two events each), a day apart so they are no duplicates.
    for day in 0..3 {
        let at = hours_ago(2 + 30 * day);
        app.order(
            &world,
            &format!("o-{day}"),
            "110105",
            at - TimeDelta::minutes(5),
        )
        .await;
        app.file(&application(&world, at)).await;
    }
    let first = take(&mut app, &insurer, "", 4).await;
    // Disconnected after 4 of 6; two more claims arrive meanwhile (one routed for review).
    app.order(
        &world,
        "o-late",
        "110105",
        hours_ago(200) - TimeDelta::minutes(5),
    )
    .await;
    app.file(&application(&world, hours_ago(200))).await;
    app.file(&application(&world, hours_ago(260))).await;
    let token = first.last().unwrap().resume_token.clone();
    let rest = take(&mut app, &insurer, &token, 6).await;

    let all: Vec<_> = first.iter().chain(rest.iter()).collect();
    let expected = app.count("SELECT COUNT(*) FROM claim_event").await;
    assert_eq!(all.len() as i64, expected);
    let mut ids: Vec<_> = all.iter().map(|m| m.resume_token.clone()).collect();
    ids.dedup();
    assert_eq!(ids.len(), all.len(), "no duplicate");
    assert!(matches!(
        all[0].event,
        Some(pb::watch_claims_response::Event::ClaimOpened(_))
    ));
    assert_eq!(
        all.iter()
            .filter(|m| m.event_type.ends_with("ClaimRouted"))
            .count(),
        1
    );

    // Live: a decision made while watching arrives on the open stream.
    let routed = rest
        .iter()
        .find(|m| m.event_type.ends_with("ClaimRouted"))
        .unwrap()
        .claim_id
        .clone();
    let last = rest.last().unwrap().resume_token.clone();
    let mut client = app.client.clone();
    // An adjuster of the insurer watches what the insurer watches. The stream is open (its
    // answer's headers arrived) before the decision is made.
    let watcher_role = Role::insurer_adjuster(app.insurer);
    let mut stream = client
        .watch_claims(as_(
            &watcher_role,
            pb::WatchClaimsRequest { resume_token: last },
        ))
        .await
        .unwrap()
        .into_inner();
    let watcher = tokio::spawn(async move {
        tokio::time::timeout(Duration::from_secs(30), stream.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap()
    });
    app.decide(
        &insurer,
        &routed,
        pb::ClaimStatus::Confirmed,
        pb::RefusalReason::Unspecified,
    )
    .await
    .unwrap();
    let live = watcher.await.unwrap();
    assert_eq!(live.claim_id, routed);
    assert_eq!(live.event_type, "gigshield.events.v1.ClaimConfirmed");

    // Another insurer's stream has none of them; workers and platforms may not watch.
    let other = Role::Insurer {
        insurer_id: Uuid::now_v7(),
    };
    let mut stream = app
        .client
        .watch_claims(as_(&other, pb::WatchClaimsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(
        tokio::time::timeout(Duration::from_millis(500), stream.next())
            .await
            .is_err(),
        "nothing for another insurer"
    );
    for role in [world.worker(), world.platform_role()] {
        let denied = app
            .client
            .watch_claims(as_(&role, pb::WatchClaimsRequest::default()))
            .await
            .unwrap_err();
        assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    }
    let bad = app
        .client
        .watch_claims(as_(
            &insurer,
            pb::WatchClaimsRequest {
                resume_token: "garbage".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), tonic::Code::InvalidArgument);
    app.stop().await;
}

/// A replica serves a bounded number of streams; beyond it the caller is told to come back
/// (`RESOURCE_EXHAUSTED`, with `RetryInfo`), and a closed stream frees its place.
#[tokio::test]
async fn streams_are_bounded_per_replica() {
    let mut app = TestApp::spawn().await;
    let role = app.insurer_role();
    let mut open = Vec::new();
    for _ in 0..MAX_WATCH_STREAMS {
        open.push(
            app.client
                .watch_claims(as_(&role, pb::WatchClaimsRequest::default()))
                .await
                .expect("within the limit")
                .into_inner(),
        );
    }
    let refused = app
        .client
        .watch_claims(as_(&role, pb::WatchClaimsRequest::default()))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::ResourceExhausted);
    let details = tonic_types::StatusExt::get_error_details(&refused);
    assert_eq!(details.error_info().unwrap().reason, "LIMIT_REACHED");
    assert!(details.retry_info().is_some());

    drop(open.pop());
    let mut reopened = None;
    for _ in 0..100 {
        match app
            .client
            .watch_claims(as_(&role, pb::WatchClaimsRequest::default()))
            .await
        {
            Ok(stream) => {
                reopened = Some(stream);
                break;
            }
            Err(status) => {
                assert_eq!(status.code(), tonic::Code::ResourceExhausted);
                // The freed stream's task notices the closed client at its next poll.
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    }
    assert!(reopened.is_some(), "a closed stream frees its place");
    app.stop().await;
}
