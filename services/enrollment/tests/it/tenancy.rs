//! Every RPC refuses another tenant's data.

use gigshield_kit::testing::Backend;
use gigshield_proto::enrollment as pb;
use tonic::Code;

use crate::support::*;

#[tokio::test]
async fn every_rpc_refuses_other_tenants() {
    let mut app = TestApp::spawn(Backend::Postgres).await;
    let a = app.platform(CREDIT_CODES[0]).await;
    let b = app.platform(CREDIT_CODES[1]).await;
    let bs_worker = app
        .register(b, registration("b-1", &resident_id(40), "陈一"))
        .await
        .unwrap();
    let me = platform(a);
    let c = &mut app.client;
    let denied = |r: Result<_, tonic::Status>, what: &str| {
        assert_eq!(
            r.err().map(|s| s.code()),
            Some(Code::PermissionDenied),
            "{what}"
        );
    };

    denied(
        c.register_platform(as_(&me, register_platform_request("91110000600037341L")))
            .await
            .map(|_| ()),
        "RegisterPlatform",
    );
    denied(
        c.get_platform(as_(
            &me,
            pb::GetPlatformRequest {
                platform_id: b.to_string(),
            },
        ))
        .await
        .map(|_| ()),
        "GetPlatform",
    );
    denied(
        c.update_platform(as_(
            &me,
            pb::UpdatePlatformRequest {
                request_id: "u".into(),
                platform_id: a.to_string(),
                ..Default::default()
            },
        ))
        .await
        .map(|_| ()),
        "UpdatePlatform",
    );
    denied(
        c.add_credit_code_exception(as_(
            &me,
            pb::AddCreditCodeExceptionRequest {
                request_id: "e".into(),
                credit_code: "x".into(),
                reason: "r".into(),
            },
        ))
        .await
        .map(|_| ()),
        "AddCreditCodeException",
    );
    denied(
        c.register_worker(as_(
            &me,
            pb::RegisterWorkerRequest {
                request_id: "r".into(),
                platform_id: b.to_string(),
                registration: Some(registration("x", &resident_id(41), "陈二")),
            },
        ))
        .await
        .map(|_| ()),
        "RegisterWorker",
    );
    let stream = tokio_stream::iter(vec![pb::BulkRegisterWorkersRequest {
        platform_id: b.to_string(),
        registrations: vec![registration("y", &resident_id(42), "陈三")],
    }]);
    denied(
        c.bulk_register_workers(as_(&me, stream)).await.map(|_| ()),
        "BulkRegisterWorkers",
    );
    denied(
        c.get_worker(as_(
            &me,
            pb::GetWorkerRequest {
                worker_id: bs_worker.worker_id.clone(),
            },
        ))
        .await
        .map(|_| ()),
        "GetWorker",
    );
    denied(
        c.list_workers(as_(
            &me,
            pb::ListWorkersRequest {
                platform_id: b.to_string(),
                ..Default::default()
            },
        ))
        .await
        .map(|_| ()),
        "ListWorkers",
    );
    denied(
        c.deregister_worker(as_(
            &me,
            pb::DeregisterWorkerRequest {
                request_id: "d".into(),
                worker_id: bs_worker.worker_id.clone(),
                ..Default::default()
            },
        ))
        .await
        .map(|_| ()),
        "DeregisterWorker",
    );
    denied(
        c.get_person(as_(
            &me,
            pb::GetPersonRequest {
                person_id: bs_worker.person_id.clone(),
            },
        ))
        .await
        .map(|_| ()),
        "GetPerson",
    );

    // A platform lists only itself; a worker reads only itself.
    let listed = c
        .list_platforms(as_(&me, pb::ListPlatformsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        listed
            .platforms
            .iter()
            .map(|p| p.platform_id.clone())
            .collect::<Vec<_>>(),
        vec![a.to_string()]
    );
    let someone_else = worker(&uuid::Uuid::now_v7().to_string());
    denied(
        c.get_worker(as_(
            &someone_else,
            pb::GetWorkerRequest {
                worker_id: bs_worker.worker_id.clone(),
            },
        ))
        .await
        .map(|_| ()),
        "GetWorker as another worker",
    );
    denied(
        c.get_platform(as_(
            &someone_else,
            pb::GetPlatformRequest {
                platform_id: b.to_string(),
            },
        ))
        .await
        .map(|_| ()),
        "GetPlatform as a worker",
    );

    let anonymous = c
        .get_platform(tonic::Request::new(pb::GetPlatformRequest {
            platform_id: b.to_string(),
        }))
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    app.stop().await;
}
