//! No free text in the logs: the service binary runs as a child process with `RUST_LOG=debug`,
//! is driven through every RPC that takes free text (also into refusals), and its whole stdout
//! and stderr are searched for the words.

use std::process::Stdio;
use std::time::Duration;

use gigshield_kit::testing::{TestDatabase, new_topic, service_env};
use gigshield_proto::incident as pb;
use gigshield_proto::incident::incident_service_client::IncidentServiceClient;
use prost_types::FieldMask;
use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};
use tonic::Code;
use tonic::transport::Channel;
use uuid::Uuid;

use crate::support::*;

/// Reads a child's stream to its end in the background.
fn drain(
    mut stream: impl tokio::io::AsyncRead + Unpin + Send + 'static,
) -> tokio::task::JoinHandle<Vec<u8>> {
    tokio::spawn(async move {
        let mut out = Vec::new();
        let _ = stream.read_to_end(&mut out).await;
        out
    })
}

async fn connect(addr: &str, child: &mut Child) -> IncidentServiceClient<Channel> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(90);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            panic!("the service exited early: {status}");
        }
        if let Ok(channel) = Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
        {
            return IncidentServiceClient::new(channel);
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "the service did not listen"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

/// Asks the child to stop as in production (SIGTERM), so shutdown logging is captured too.
async fn terminate(child: &mut Child) {
    if let Some(pid) = child.id() {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(pid.to_string())
            .status()
            .await;
    }
    if tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .is_err()
    {
        child.start_kill().expect("SIGKILL");
        child.wait().await.expect("reap");
    }
}

#[tokio::test]
async fn no_free_text_reaches_the_logs() {
    let probe = format!("PROBE{}", Uuid::now_v7().simple());
    let description = format!("{probe}-description 左腿开放性骨折，大量出血");
    let reason = format!("{probe}-amendment 诊断更新为颅脑损伤");
    let explanation = format!("{probe}-explanation 一直在ICU");
    let withdrawal = format!("{probe}-withdrawal 精神状况不佳");

    let db = TestDatabase::postgres().await;
    let topic = new_topic("incident-logs", 1).await;
    let enrollment_topic = new_topic("enrollment-logs", 1).await;
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_gigshield-incident"))
        .env_clear()
        .envs(service_env())
        .env("RUST_LOG", "debug")
        .env("DATABASE_URL", &db.url)
        .env("KAFKA_SESSION_TIMEOUT_MS", "6000")
        .env("GRPC_ADDR", &addr)
        .env("OUTBOX_POLL_INTERVAL_MS", "20")
        .env("INCIDENT_TOPIC", &topic)
        .env("INCIDENT_ENROLLMENT_TOPIC", &enrollment_topic)
        .env("INCIDENT_CLAIMS_TOPIC", new_topic("claims-logs", 1).await)
        .env(
            "INCIDENT_CONSUMER_GROUP",
            format!("incident-logs-{}", Uuid::now_v7()),
        )
        .env("INCIDENT_MAX_TEXT_CHARS", "200")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("start gigshield-incident");
    let stdout = drain(child.stdout.take().unwrap());
    let stderr = drain(child.stderr.take().unwrap());
    let mut client = connect(&addr, &mut child).await;

    let enrollment = Enrollment::new(enrollment_topic);
    let (platform_id, person_id) = (Uuid::now_v7(), Uuid::now_v7());
    enrollment
        .platform(platform_id, &["110000"], days_ago(30))
        .await;
    enrollment
        .worker(person_id, platform_id, "rider-1", days_ago(30))
        .await;
    let platform = gigshield_kit::Role::Platform { platform_id };
    let worker = gigshield_kit::Role::Worker { person_id };

    // Until the replica caught up the worker is unknown; the same request is safe to repeat.
    let report = platform_report(facts(hours_ago(2), &description));
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    let incident = loop {
        match client.report_incident(as_(&platform, report.clone())).await {
            Ok(r) => break r.into_inner().incident.unwrap(),
            Err(status) if status.code() == Code::FailedPrecondition => {
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "replica never caught up"
                );
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
            Err(status) => panic!("report refused: {status:?}"),
        }
    };
    let id = incident.incident_id.clone();
    assert_eq!(incident.current.unwrap().description, description);

    // Refusals that carry the text in the request: a reused request_id, an oversized text.
    let mut reused = report.clone();
    reused.facts.as_mut().unwrap().description = format!("{description} 2");
    let refused = client
        .report_incident(as_(&platform, reused))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::AlreadyExists);
    let oversized = platform_report(facts(hours_ago(2), &description.repeat(10)));
    let refused = client
        .report_incident(as_(&platform, oversized))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert!(!refused.message().contains(&probe));

    let mut new_facts = facts(hours_ago(2), &format!("{description} 补充"));
    new_facts.severity = pb::Severity::Hospitalised as i32;
    client
        .amend_incident(as_(
            &worker,
            pb::AmendIncidentRequest {
                request_id: Uuid::now_v7().to_string(),
                incident_id: id.clone(),
                facts: Some(new_facts),
                update_mask: Some(FieldMask {
                    paths: vec!["description".into()],
                }),
                reason: reason.clone(),
            },
        ))
        .await
        .unwrap();
    client
        .attach_evidence(as_(
            &worker,
            pb::AttachEvidenceRequest {
                request_id: Uuid::now_v7().to_string(),
                incident_id: id.clone(),
                items: vec![pb::EvidenceItem {
                    uri: format!("https://files.example.cn/{probe}.pdf"),
                    ..evidence_item(1)
                }],
            },
        ))
        .await
        .unwrap();
    client
        .file_application(as_(
            &worker,
            pb::FileApplicationRequest {
                request_id: Uuid::now_v7().to_string(),
                incident_id: id.clone(),
                late_explanation: explanation.clone(),
            },
        ))
        .await
        .unwrap();
    let read = client
        .get_incident(as_(
            &gigshield_kit::Role::national_adjuster(),
            pb::GetIncidentRequest {
                incident_id: id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap();
    assert_eq!(read.application.unwrap().late_explanation, explanation);
    client
        .withdraw_incident(as_(
            &worker,
            pb::WithdrawIncidentRequest {
                request_id: Uuid::now_v7().to_string(),
                incident_id: id.clone(),
                reason: withdrawal.clone(),
            },
        ))
        .await
        .unwrap();
    // The relay published everything (its debug logging ran over these events too).
    let seen = read_events(&topic, 5).await;
    assert!(seen.iter().all(|s| !contains(&s.everything, &probe)));

    terminate(&mut child).await;
    let mut output = stdout.await.unwrap();
    output.extend(stderr.await.unwrap());
    let text = String::from_utf8_lossy(&output);
    assert!(
        text.contains("DEBUG") && text.contains("incident reported") && text.contains(&id),
        "the capture holds the service's debug log:\n{text}"
    );
    for (what, words) in [
        ("probe", probe.as_str()),
        ("description", "开放性骨折"),
        ("amendment reason", "颅脑损伤"),
        ("late explanation", "一直在ICU"),
        ("withdrawal reason", "精神状况不佳"),
    ] {
        assert!(
            !text.contains(words),
            "the {what} reached the logs:\n{}",
            text.lines()
                .filter(|l| l.contains(words))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
    drop(db);
}
