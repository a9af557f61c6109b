//! Workers: registration rules, masking, one person on two platforms, bulk streams,
//! deregistration, and what is stored at rest.

use gigshield_kit::testing::{Backend, sql};
use gigshield_proto::enrollment as pb;
use tonic::Code;

use crate::support::*;

async fn registration_masks_and_is_idempotent(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let platform_id = app.platform(CREDIT_CODES[0]).await;
    let id = resident_id(1);
    let request = pb::RegisterWorkerRequest {
        request_id: "reg-1".into(),
        platform_id: platform_id.to_string(),
        registration: Some(registration("rider-1", &id, "张三")),
    };
    let worker = app
        .client
        .register_worker(as_(&platform(platform_id), request.clone()))
        .await
        .unwrap()
        .into_inner()
        .worker
        .unwrap();
    // First 3 + last 4: neither the district nor the birth date.
    assert_eq!(
        worker.resident_id,
        format!("{}***********{}", &id[..3], &id[14..])
    );
    assert_eq!(worker.mobile, "138****5678");
    assert_eq!(worker.birth_year, 1990);
    assert_eq!(worker.status, pb::WorkerStatus::Active as i32);

    let replay = app
        .client
        .register_worker(as_(&platform(platform_id), request.clone()))
        .await
        .unwrap()
        .into_inner()
        .worker
        .unwrap();
    assert_eq!(replay.worker_id, worker.worker_id);
    let mut other_body = request.clone();
    other_body.registration.as_mut().unwrap().mobile = "13900000000".into();
    assert_eq!(
        app.client
            .register_worker(as_(&platform(platform_id), other_body))
            .await
            .unwrap_err()
            .code(),
        Code::AlreadyExists
    );

    // The same platform id for another person is refused; for the same person it is the same membership.
    let taken = app
        .register(
            platform_id,
            registration("rider-1", &resident_id(2), "李四"),
        )
        .await
        .unwrap_err();
    assert_eq!(taken.code(), Code::AlreadyExists);
    let same = app
        .register(platform_id, registration("rider-1", &id, "张三"))
        .await
        .unwrap();
    assert_eq!(same.worker_id, worker.worker_id);

    // The person sees their own numbers.
    let own = app
        .client
        .get_worker(as_(
            &crate::support::worker(&worker.person_id),
            pb::GetWorkerRequest {
                worker_id: worker.worker_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .worker
        .unwrap();
    assert_eq!(own.resident_id, id);
    assert_eq!(own.mobile, "13812345678");
    app.stop().await;
}

#[tokio::test]
async fn registration_masks_and_is_idempotent_on_the_suites_backend() {
    registration_masks_and_is_idempotent(Backend::suite()).await;
}

#[tokio::test]
async fn each_bad_input_is_named() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let platform_id = app.platform(CREDIT_CODES[0]).await;
    let good = resident_id(7);
    let mut wrong_check = good.clone();
    wrong_check.replace_range(17.., if good.ends_with('0') { "1" } else { "0" });
    let under_age = {
        let first17 = format!(
            "110105{}001",
            (chrono::Utc::now().date_naive() - chrono::Days::new(365 * 15)).format("%Y%m%d")
        );
        format!(
            "{first17}{}",
            gigshield_enrollment::domain::resident_id::check_character(first17.as_bytes()) as char
        )
    };
    let future = {
        let first17 = "11010520991231001".to_string();
        format!(
            "{first17}{}",
            gigshield_enrollment::domain::resident_id::check_character(first17.as_bytes()) as char
        )
    };
    let impossible = {
        let first17 = "11010519900230001".to_string();
        format!(
            "{first17}{}",
            gigshield_enrollment::domain::resident_id::check_character(first17.as_bytes()) as char
        )
    };
    let cases: Vec<(pb::WorkerRegistration, &str)> = vec![
        (
            registration("a", &wrong_check, "张三"),
            "registration.resident_id",
        ),
        (
            registration("a", &impossible, "张三"),
            "registration.resident_id",
        ),
        (
            registration("a", &future, "张三"),
            "registration.resident_id",
        ),
        (
            registration("a", &under_age, "张三"),
            "registration.resident_id",
        ),
        (
            registration("a", "110105900101001", "张三"),
            "registration.resident_id",
        ),
        (
            registration("a", "11010519491231002x", "张三"),
            "registration.resident_id",
        ),
        (
            registration("a", "１１０１０５19491231002X", "张三"),
            "registration.resident_id",
        ),
        (registration("a", &good, ""), "registration.real_name"),
        (
            pb::WorkerRegistration {
                mobile: "1381234567".into(),
                ..registration("a", &good, "张三")
            },
            "registration.mobile",
        ),
        (
            pb::WorkerRegistration {
                region_code: "990101".into(),
                ..registration("a", &good, "张三")
            },
            "registration.region_code",
        ),
        (
            registration("", &good, "张三"),
            "registration.external_worker_id",
        ),
    ];
    for (bad, field) in cases {
        let status = app.register(platform_id, bad.clone()).await.unwrap_err();
        assert_eq!(violated_fields(&status), vec![field], "{bad:?}");
    }
    let status = app
        .client
        .register_worker(as_(
            &platform(platform_id),
            pb::RegisterWorkerRequest {
                request_id: String::new(),
                platform_id: platform_id.to_string(),
                registration: Some(registration("a", &good, "张三")),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), vec!["request_id"]);
    app.stop().await;
}

#[tokio::test]
async fn one_person_on_two_platforms() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let a = app.platform(CREDIT_CODES[0]).await;
    let b = app.platform(CREDIT_CODES[1]).await;
    let id = resident_id(3);
    let on_a = app
        .register(a, registration("a-77", &id, "王五"))
        .await
        .unwrap();
    let on_b = app
        .register(b, registration("b-12", &id, "王五"))
        .await
        .unwrap();
    assert_eq!(
        on_a.person_id, on_b.person_id,
        "one resident ID, one person"
    );
    assert_ne!(on_a.worker_id, on_b.worker_id);

    let person_request = || pb::GetPersonRequest {
        person_id: on_a.person_id.clone(),
    };
    // An insurer sees the person once a case of theirs is routed to it.
    let insurer_id = uuid::Uuid::now_v7();
    app.publish(
        "claims",
        &app.followed.claims.clone(),
        "claim",
        "gigshield.events.v1.ClaimOpened",
        &gigshield_proto::events::ClaimOpened {
            claim_id: uuid::Uuid::now_v7().to_string(),
            incident_id: uuid::Uuid::now_v7().to_string(),
            person_id: on_a.person_id.clone(),
            insurer_id: insurer_id.to_string(),
            opened_at: Some(gigshield_kit::wire::timestamp(chrono::Utc::now())),
            ..Default::default()
        },
    )
    .await;
    app.wait_count("SELECT count(*) AS n FROM case_assignment", 1)
        .await;
    let insurer = gigshield_kit::Role::Insurer { insurer_id };
    let seen_by_insurer = app
        .client
        .get_person(as_(&insurer, person_request()))
        .await
        .unwrap()
        .into_inner()
        .person
        .unwrap();
    assert_eq!(seen_by_insurer.memberships.len(), 2);
    assert!(seen_by_insurer.resident_id.contains("***********"));
    assert!(
        seen_by_insurer
            .memberships
            .iter()
            .all(|m| m.mobile == "138****5678")
    );
    let seen_by_self = app
        .client
        .get_person(as_(&worker(&on_a.person_id), person_request()))
        .await
        .unwrap()
        .into_inner()
        .person
        .unwrap();
    assert_eq!(seen_by_self.resident_id, id);
    // A stranger, and an insurer without a case of the person, are told it does not exist.
    let stranger = worker(&uuid::Uuid::now_v7().to_string());
    let other_insurer = gigshield_kit::Role::Insurer {
        insurer_id: uuid::Uuid::now_v7(),
    };
    for outsider in [stranger, other_insurer] {
        assert_eq!(
            app.client
                .get_person(as_(&outsider, person_request()))
                .await
                .unwrap_err()
                .code(),
            Code::NotFound
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn bulk_streams_answer_every_item_and_replay_harmlessly() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let platform_id = app.platform(CREDIT_CODES[0]).await;
    let batch = |items: Vec<pb::WorkerRegistration>| pb::BulkRegisterWorkersRequest {
        platform_id: platform_id.to_string(),
        registrations: items,
    };
    let batches = vec![
        batch(vec![
            registration("w-1", &resident_id(10), "赵一"),
            registration("w-2", "11010519491231002x", "钱二"),
            registration("w-3", &resident_id(12), "孙三"),
        ]),
        batch(vec![
            registration("w-1", &resident_id(13), "李四"),
            registration("w-4", &resident_id(14), "周五"),
            registration("w-3", &resident_id(12), "孙三"),
        ]),
    ];
    let send = |batches: Vec<pb::BulkRegisterWorkersRequest>| {
        let mut client = app.client.clone();
        async move {
            client
                .bulk_register_workers(as_(&platform(platform_id), tokio_stream::iter(batches)))
                .await
                .unwrap()
                .into_inner()
        }
    };
    let first = send(batches.clone()).await;
    let codes: Vec<&str> = first
        .results
        .iter()
        .map(|r| r.error_code.as_str())
        .collect();
    assert_eq!(
        codes,
        vec!["", "INVALID_ARGUMENT", "", "ALREADY_EXISTS", "", ""]
    );
    assert_eq!(
        first.results.iter().map(|r| r.index).collect::<Vec<_>>(),
        vec![0, 1, 2, 3, 4, 5]
    );
    assert_eq!(first.results[1].field_errors[0].field, "resident_id");
    assert_eq!(
        first.results[2].worker_id, first.results[5].worker_id,
        "a repeat in the stream is the same membership"
    );
    assert_eq!((first.registered_count, first.rejected_count), (4, 2));

    let again = send(batches).await;
    let ids = |r: &pb::BulkRegisterWorkersResponse| {
        r.results
            .iter()
            .map(|x| x.worker_id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&again), ids(&first), "a resent stream changes nothing");

    // Three active memberships, listed in pages of two.
    let list = |token: String| pb::ListWorkersRequest {
        platform_id: platform_id.to_string(),
        status: pb::WorkerStatus::Active as i32,
        page: Some(gigshield_proto::common::PageRequest {
            page_size: 2,
            page_token: token,
        }),
    };
    let page1 = app
        .client
        .list_workers(as_(&platform(platform_id), list(String::new())))
        .await
        .unwrap()
        .into_inner();
    let page2 = app
        .client
        .list_workers(as_(
            &platform(platform_id),
            list(page1.page.clone().unwrap().next_page_token),
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page1.workers.len() + page2.workers.len(), 3);
    assert!(page2.page.unwrap().next_page_token.is_empty());

    let too_many = batch(
        (0..1001)
            .map(|i| registration(&format!("x{i}"), &resident_id(i), "吴"))
            .collect(),
    );
    let status = app
        .client
        .bulk_register_workers(as_(
            &platform(platform_id),
            tokio_stream::iter(vec![too_many]),
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&status), vec!["registrations"]);
    app.stop().await;
}

#[tokio::test]
async fn deregistration_keeps_history_and_allows_a_new_membership() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let platform_id = app.platform(CREDIT_CODES[0]).await;
    let first = app
        .register(platform_id, registration("r-9", &resident_id(20), "郑十"))
        .await
        .unwrap();
    let deregister = |request_id: &str| pb::DeregisterWorkerRequest {
        request_id: request_id.into(),
        worker_id: first.worker_id.clone(),
        effective_at: None,
        reason: "left the platform".into(),
    };
    let ended = app
        .client
        .deregister_worker(as_(&platform(platform_id), deregister("d-1")))
        .await
        .unwrap()
        .into_inner()
        .worker
        .unwrap();
    assert_eq!(ended.status, pb::WorkerStatus::Deregistered as i32);
    assert!(ended.deregistered_at.is_some());
    let replay = app
        .client
        .deregister_worker(as_(&platform(platform_id), deregister("d-1")))
        .await
        .unwrap()
        .into_inner()
        .worker
        .unwrap();
    assert_eq!(replay, ended);
    assert_eq!(
        app.client
            .deregister_worker(as_(&platform(platform_id), deregister("d-2")))
            .await
            .unwrap_err()
            .code(),
        Code::FailedPrecondition
    );

    let second = app
        .register(platform_id, registration("r-9", &resident_id(20), "郑十"))
        .await
        .unwrap();
    assert_ne!(second.worker_id, first.worker_id, "a new membership");
    assert_eq!(second.person_id, first.person_id);
    let person = app
        .client
        .get_person(as_(
            &operator(),
            pb::GetPersonRequest {
                person_id: first.person_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .person
        .unwrap();
    let statuses: Vec<i32> = person.memberships.iter().map(|m| m.status).collect();
    assert_eq!(
        statuses,
        vec![
            pb::WorkerStatus::Deregistered as i32,
            pb::WorkerStatus::Active as i32
        ]
    );
    app.stop().await;
}

#[tokio::test]
async fn personal_data_is_encrypted_at_rest() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let platform_id = app.platform(CREDIT_CODES[0]).await;
    let id = resident_id(30);
    app.register(platform_id, registration("enc-1", &id, "冯十一"))
        .await
        .unwrap();
    let conn = app.db.connect().await;
    // Every column of both tables, as text: neither number may appear in clear.
    let tables = ["person", "membership"];
    assert_eq!(sql::rows_as_text(&conn, "person").await.len(), 1);
    sql::assert_not_in_clear(&conn, &tables, &id).await;
    sql::assert_not_in_clear(&conn, &tables, "13812345678").await;
    app.stop().await;
}

/// Operators import a platform's existing workforce with the date each membership began;
/// a platform cannot date its own registrations (it could otherwise cover an accident after
/// the fact).
#[tokio::test]
async fn only_operators_date_a_membership_start() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let platform_id = app.platform(CREDIT_CODES[0]).await;
    let began = chrono::Utc::now() - chrono::Duration::days(40);
    let dated = |external: &str, n: u32| pb::WorkerRegistration {
        registered_at: Some(gigshield_kit::wire::timestamp(began)),
        ..registration(external, &resident_id(n), "赵六")
    };

    let refused = app
        .register(platform_id, dated("p-1", 11))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::InvalidArgument);
    assert_eq!(
        violated_fields(&refused),
        vec!["registration.registered_at"]
    );

    let imported = app
        .client
        .register_worker(as_(
            &operator(),
            pb::RegisterWorkerRequest {
                request_id: uuid::Uuid::now_v7().to_string(),
                platform_id: platform_id.to_string(),
                registration: Some(dated("p-1", 11)),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .worker
        .unwrap();
    let stored = imported.registered_at.unwrap();
    assert_eq!(stored.seconds, began.timestamp());

    let too_old = pb::WorkerRegistration {
        registered_at: Some(gigshield_kit::wire::timestamp(
            chrono::Utc::now() - chrono::Duration::days(400),
        )),
        ..registration("p-2", &resident_id(12), "赵六")
    };
    let err = app
        .client
        .register_worker(as_(
            &operator(),
            pb::RegisterWorkerRequest {
                request_id: uuid::Uuid::now_v7().to_string(),
                platform_id: platform_id.to_string(),
                registration: Some(too_old),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&err), vec!["registration.registered_at"]);
    app.stop().await;
}
