//! The one synchronous read (docs/architecture.md): premium's `VerifyWorkActivity`, asking which
//! orders of a person cover the incident time (the order stream is too large to replicate).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use gigshield_kit::auth::ServiceTokens;
use gigshield_kit::{telemetry, wire};
use gigshield_proto::premium as pb;
use gigshield_proto::premium::premium_service_client::PremiumServiceClient;
use gigshield_scheme::industry::Industry;
use gigshield_scheme::region::RegionCode;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::transport::Channel;
use tracing::Instrument;
use uuid::Uuid;

use crate::domain::determination::{OrderEnd, OrderWindow};

/// The audience of the tokens claims presents to premium.
const PREMIUM: &str = "premium";

/// The method's full name, as the client span and premium's server span are named.
const VERIFY_WORK_ACTIVITY: &str = "gigshield.premium.v1.PremiumService/VerifyWorkActivity";

#[derive(Clone)]
pub struct WorkActivity {
    client: PremiumServiceClient<Channel>,
    tokens: Arc<ServiceTokens>,
}

impl std::fmt::Debug for WorkActivity {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the bearer token.
        f.debug_struct("WorkActivity").finish_non_exhaustive()
    }
}

impl WorkActivity {
    /// `tokens`: claims' own key, minting a short-lived `service` token for premium.
    pub fn new(channel: Channel, tokens: Arc<ServiceTokens>) -> Self {
        Self {
            client: PremiumServiceClient::new(channel),
            tokens,
        }
    }

    /// The person's orders on every platform whose window widened by `margin_minutes` contains
    /// `at`. Orders premium describes in a way this build cannot read are left out (and
    /// logged): a missing order can only send the claim to a human, never refuse it.
    pub async fn orders(
        &self,
        person_id: Uuid,
        at: DateTime<Utc>,
        margin_minutes: u32,
    ) -> Result<Vec<OrderWindow>, tonic::Status> {
        let mut request = tonic::Request::new(pb::VerifyWorkActivityRequest {
            person_id: person_id.to_string(),
            at: Some(wire::timestamp(at)),
            margin: Some(prost_types::Duration {
                seconds: i64::from(margin_minutes) * 60,
                nanos: 0,
            }),
        });
        let authorization: MetadataValue<Ascii> = self
            .tokens
            .bearer(PREMIUM)
            .parse()
            .map_err(|_| tonic::Status::internal("a service token is not a header value"))?;
        request
            .metadata_mut()
            .insert("authorization", authorization);
        // The client span of the call: premium's server span becomes its child.
        let span = telemetry::grpc_client_span(VERIFY_WORK_ACTIVITY);
        if let Some(tp) = telemetry::traceparent_of(&span)
            && let Ok(value) = tp.parse()
        {
            request.metadata_mut().insert(telemetry::TRACEPARENT, value);
        }
        let answer = self
            .client
            .clone()
            .verify_work_activity(request)
            .instrument(span.clone())
            .await;
        telemetry::record_grpc_client_status(
            &span,
            answer
                .as_ref()
                .map_or_else(|s| s.code(), |_| tonic::Code::Ok),
        );
        let response = answer?.into_inner();
        Ok(response
            .orders
            .into_iter()
            .filter_map(|order| match order_window(&order) {
                Ok(window) => Some(window),
                Err(reason) => {
                    tracing::warn!(%reason, "order from premium ignored");
                    None
                }
            })
            .collect())
    }
}

fn order_window(order: &pb::WorkActivity) -> Result<OrderWindow, String> {
    let time = |field: &str, value: Option<&prost_types::Timestamp>| {
        wire::datetime(field, value).map_err(|e| e.to_string())
    };
    let accepted_at =
        time("accepted_at", order.accepted_at.as_ref())?.ok_or("accepted_at missing")?;
    let end = match (
        time("completed_at", order.completed_at.as_ref())?,
        time("cancelled_at", order.cancelled_at.as_ref())?,
    ) {
        (Some(at), _) => OrderEnd::Completed(at),
        (None, Some(at)) => OrderEnd::Cancelled(at),
        (None, None) => OrderEnd::Open,
    };
    Ok(OrderWindow {
        platform_id: Uuid::parse_str(&order.platform_id)
            .map_err(|_| format!("platform_id {:?}", order.platform_id))?,
        order_id: order.order_id.clone(),
        region: RegionCode::parse(&order.region_code).map_err(|e| e.to_string())?,
        accepted_at,
        picked_up_at: time("picked_up_at", order.picked_up_at.as_ref())?,
        end,
        industry: Industry::from_proto(order.industry)
            .map_err(|e| format!("industry: {e}"))?
            .as_str()
            .to_string(),
    })
}
