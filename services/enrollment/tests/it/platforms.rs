//! Platforms: validation, credit-code exceptions, scope history, idempotent requests.

use gigshield_kit::testing::Backend;
use gigshield_proto::common::Industry;
use gigshield_proto::enrollment as pb;
use tonic::Code;

use crate::support::*;

#[tokio::test]
async fn platform_registration_validates_and_keeps_scope_history() {
    let mut app = TestApp::spawn(Backend::suite()).await;

    let mut bad = register_platform_request("91350100M000100Y44");
    bad.industries = vec![Industry::FoodDelivery as i32];
    bad.region_codes = vec!["990000".into()];
    let status = app
        .client
        .register_platform(as_(&operator(), bad))
        .await
        .unwrap_err();
    let mut fields = violated_fields(&status);
    fields.sort();
    assert_eq!(
        fields,
        vec!["credit_code", "industries[0]", "region_codes[0]"]
    );

    // A legal code that fails its check is accepted once an operator lists it.
    let odd = "91350100M000100Y44";
    app.client
        .add_credit_code_exception(as_(
            &operator(),
            pb::AddCreditCodeExceptionRequest {
                request_id: "exc-1".into(),
                credit_code: odd.into(),
                reason: "confirmed by SAMR".into(),
            },
        ))
        .await
        .unwrap();
    let listed = app.platform(odd).await;

    let request = register_platform_request(CREDIT_CODES[0]);
    let first = app
        .client
        .register_platform(as_(&operator(), request.clone()))
        .await
        .unwrap()
        .into_inner();
    let replay = app
        .client
        .register_platform(as_(&operator(), request.clone()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(first, replay, "same request_id and body: the first answer");
    let mut changed = request.clone();
    changed.legal_name = "另一家公司".into();
    assert_eq!(
        app.client
            .register_platform(as_(&operator(), changed))
            .await
            .unwrap_err()
            .code(),
        Code::AlreadyExists
    );
    let mut again = request.clone();
    again.request_id = "another-request".into();
    assert_eq!(
        app.client
            .register_platform(as_(&operator(), again))
            .await
            .unwrap_err()
            .code(),
        Code::AlreadyExists,
        "one platform per credit code"
    );

    let platform = first.platform.unwrap();
    assert_eq!(
        platform.scope.as_ref().unwrap().province_codes,
        vec!["110000", "440000"]
    );
    let registered_at = platform.scope.unwrap().effective_from.unwrap();
    let update = |seconds: i64| pb::UpdatePlatformRequest {
        request_id: format!("update-{seconds}"),
        platform_id: platform.platform_id.clone(),
        industries: vec![Industry::IntraCityFreight as i32],
        region_codes: vec!["310101".into()],
        effective_from: Some(prost_types::Timestamp {
            seconds: registered_at.seconds + seconds,
            nanos: 0,
        }),
        contact: None,
    };
    let status = app
        .client
        .update_platform(as_(&operator(), update(-3600)))
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&status),
        vec!["effective_from"],
        "history is never rewritten"
    );
    let now = pb::UpdatePlatformRequest {
        effective_from: None,
        ..update(0)
    };
    let updated = app
        .client
        .update_platform(as_(&operator(), now))
        .await
        .unwrap()
        .into_inner()
        .platform
        .unwrap();
    assert_eq!(updated.scope_history.len(), 2);
    let current = app
        .client
        .get_platform(as_(
            &platform_role(&platform.platform_id),
            pb::GetPlatformRequest {
                platform_id: platform.platform_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .platform
        .unwrap();
    assert_eq!(
        current.scope.unwrap().province_codes,
        vec!["310000"],
        "the newer scope is in force"
    );
    assert_eq!(
        current.scope_history[0].province_codes,
        vec!["110000", "440000"]
    );

    let all = app
        .client
        .list_platforms(as_(
            &operator(),
            pb::ListPlatformsRequest {
                page: Some(gigshield_proto::common::PageRequest {
                    page_size: 1,
                    page_token: String::new(),
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.platforms.len(), 1);
    let rest = app
        .client
        .list_platforms(as_(
            &operator(),
            pb::ListPlatformsRequest {
                page: Some(gigshield_proto::common::PageRequest {
                    page_size: 10,
                    page_token: all.page.unwrap().next_page_token,
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest.platforms.len(), 1);
    assert!(rest.page.unwrap().next_page_token.is_empty());
    let ids: Vec<String> = all
        .platforms
        .iter()
        .chain(&rest.platforms)
        .map(|p| p.platform_id.clone())
        .collect();
    assert!(ids.contains(&listed.to_string()) && ids.contains(&platform.platform_id));
    app.stop().await;
}

fn platform_role(id: &str) -> gigshield_kit::Role {
    platform(uuid::Uuid::parse_str(id).unwrap())
}

/// A platform joining with history: the operator dates its first scope, within a year.
#[tokio::test]
async fn an_operator_dates_a_platform_start_within_a_year() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let began = chrono::Utc::now() - chrono::Duration::days(45);
    let registered = app
        .client
        .register_platform(as_(
            &operator(),
            pb::RegisterPlatformRequest {
                effective_from: Some(gigshield_kit::wire::timestamp(began)),
                ..register_platform_request(CREDIT_CODES[0])
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .platform
        .unwrap();
    let scope = registered.scope.unwrap();
    assert_eq!(scope.effective_from.unwrap().seconds, began.timestamp());
    assert!(registered.registered_at.unwrap().seconds > began.timestamp());

    let too_old = app
        .client
        .register_platform(as_(
            &operator(),
            pb::RegisterPlatformRequest {
                effective_from: Some(gigshield_kit::wire::timestamp(
                    chrono::Utc::now() - chrono::Duration::days(400),
                )),
                ..register_platform_request(CREDIT_CODES[1])
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&too_old), vec!["effective_from"]);
    app.stop().await;
}
