//! The benefit figures operators keep: published statistics and standards, added as dated
//! rows (never rewritten), each with its source. Adding one assesses the claims that waited
//! for it, in the same transaction.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use gigshield_kit::access::Subject;
use gigshield_kit::idempotency::IdempotencyKey;
use gigshield_kit::wire::timestamp;
use gigshield_kit::{ApiError, Caller, Principal};
use gigshield_proto::claims as pb;
use gigshield_proto::common::{self as wire_common, BenefitFigureEntry, BenefitTable};
use gigshield_scheme::region::RegionCode;
use gigshield_scheme::rules::{self as scheme, Confidence as SchemeConfidence};
use prost::Message as _;
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::ClaimsApi;
use super::benefits::{Assessed, assessment_input};
use crate::domain::benefit_parameters::{
    BenefitParameters, Confidence, Figure, FigureTable, ParameterError,
};
use crate::domain::lifecycle;
use crate::events as ev;
use crate::store::{figures, queries, records};

fn table_from_proto(value: i32) -> Option<FigureTable> {
    match BenefitTable::try_from(value) {
        Ok(BenefitTable::NationalUrbanDisposableIncome) => {
            Some(FigureTable::NationalUrbanDisposableIncome)
        }
        Ok(BenefitTable::AreaAverageMonthlyWage) => Some(FigureTable::AreaAverageMonthlyWage),
        Ok(BenefitTable::HospitalMealAllowanceDaily) => {
            Some(FigureTable::HospitalMealAllowanceDaily)
        }
        _ => None,
    }
}

fn table_to_proto(table: FigureTable) -> BenefitTable {
    match table {
        FigureTable::NationalUrbanDisposableIncome => BenefitTable::NationalUrbanDisposableIncome,
        FigureTable::AreaAverageMonthlyWage => BenefitTable::AreaAverageMonthlyWage,
        FigureTable::HospitalMealAllowanceDaily => BenefitTable::HospitalMealAllowanceDaily,
    }
}

fn confidence(c: SchemeConfidence) -> Confidence {
    match c {
        SchemeConfidence::High => Confidence::High,
        SchemeConfidence::Medium => Confidence::Medium,
        SchemeConfidence::Unconfirmed => Confidence::Unconfirmed,
    }
}

fn confidence_to_proto(c: Confidence) -> wire_common::Confidence {
    match c {
        Confidence::High => wire_common::Confidence::High,
        Confidence::Medium => wire_common::Confidence::Medium,
        Confidence::Unconfirmed => wire_common::Confidence::Unconfirmed,
    }
}

/// One line naming where a figure comes from: the document, its address and date.
fn source_line(source: &scheme::Source) -> String {
    let mut line = source.document.clone();
    if !source.url.is_empty() {
        line.push_str(&format!(" <{}>", source.url));
    }
    if let Some(day) = source.published_on {
        line.push_str(&format!(", published {day}"));
    }
    line
}

fn parameter_error(err: ParameterError) -> ApiError {
    match err {
        ParameterError::Invalid { field, reason } => ApiError::invalid(field, reason),
        other => ApiError::invalid("figure", other.to_string()),
    }
}

/// The figure of a request (or a stored entry), checked; errors name the request field.
pub fn figure_from_proto(figure: Option<&wire_common::BenefitFigure>) -> Result<Figure, ApiError> {
    let figure = figure.ok_or_else(|| ApiError::invalid("figure", "is required"))?;
    let table = table_from_proto(figure.table)
        .ok_or_else(|| ApiError::invalid("figure.table", "is required"))?;
    let region = match figure.region_code.trim() {
        "" => None,
        code => Some(
            RegionCode::parse(code)
                .map_err(|e| ApiError::invalid("figure.region_code", e.to_string()))?,
        ),
    };
    let source = scheme::source_from_proto(figure.source.as_ref())
        .map_err(|e| ApiError::invalid(e.field.replace("rule.", "figure."), e.reason))?;
    Figure::new(
        table,
        region,
        figure.year,
        figure.value_fen,
        source_line(&source),
        confidence(source.confidence),
    )
    .map_err(parameter_error)
}

fn figure_to_proto(figure: &Figure) -> wire_common::BenefitFigure {
    wire_common::BenefitFigure {
        table: table_to_proto(figure.table) as i32,
        region_code: figure
            .region
            .as_ref()
            .map(|r| r.as_str().to_owned())
            .unwrap_or_default(),
        year: figure.year,
        value_fen: figure.value_fen,
        source: Some(wire_common::Source {
            document: figure.source.clone(),
            url: String::new(),
            published_on: String::new(),
            confidence: confidence_to_proto(figure.confidence) as i32,
        }),
    }
}

/// A stored entry back as the domain's figure.
pub fn stored_figure(entry: &BenefitFigureEntry) -> Result<Figure, ApiError> {
    figure_from_proto(entry.figure.as_ref())
}

fn shipped_entries(params: &BenefitParameters) -> Vec<BenefitFigureEntry> {
    params
        .figures()
        .iter()
        .map(|f| BenefitFigureEntry {
            figure_id: String::new(),
            figure: Some(figure_to_proto(f)),
            entered_by: "shipped".into(),
            recorded_at: None,
            shipped: true,
        })
        .collect()
}

/// An area's figure belongs to that area's operators (and those above); the national income
/// to national operators.
fn require_authority(caller: &Caller, figure: &Figure) -> Result<(), ApiError> {
    match &figure.region {
        Some(region) => caller.require(&Subject::default().region(region.as_str())),
        None if caller
            .principal
            .role
            .jurisdiction()
            .is_some_and(|j| j.is_national()) =>
        {
            Ok(())
        }
        None => Err(ApiError::PermissionDenied(
            "only a national operator enters national figures".into(),
        )),
    }
}

impl ClaimsApi {
    /// The benefit parameters in force now, read through `conn` (a transaction sees its own
    /// figures).
    pub(super) async fn benefit_parameters(
        &self,
        conn: &impl sea_orm::ConnectionTrait,
    ) -> Result<Arc<BenefitParameters>, ApiError> {
        Ok(self.book.current(conn, stored_figure).await?)
    }

    pub(super) async fn add_benefit_figure(
        &self,
        principal: Principal,
        req: pb::AddBenefitFigureRequest,
    ) -> Result<pb::AddBenefitFigureResponse, ApiError> {
        let caller = self.caller("AddBenefitFigure", principal).await?;
        let key =
            IdempotencyKey::new(&caller.principal, &req.request_id, "AddBenefitFigure", &req)?;
        let figure = figure_from_proto(req.figure.as_ref())?;
        require_authority(&caller, &figure)?;
        let response = gigshield_kit::write!(self.writer, key, |txn| {
            let now = self.writer.now();
            let entry = BenefitFigureEntry {
                figure_id: Uuid::now_v7().to_string(),
                figure: req.figure.clone(),
                entered_by: caller.principal.actor(),
                recorded_at: Some(timestamp(now)),
                shipped: false,
            };
            figures::insert(&txn, &entry).await?;
            gigshield_kit::outbox::enqueue(
                &txn,
                ev::benefit_figure_added(&self.settings.topic, &entry),
            )
            .await?;
            let assessed = self.assess_waiting(&txn, &entry.figure_id, now).await?;
            Ok(pb::AddBenefitFigureResponse {
                entry: Some(entry),
                assessed_claims: assessed,
            })
        })?;
        self.committed();
        Ok(response)
    }

    pub(super) async fn list_benefit_figures(
        &self,
        principal: Principal,
        _req: pb::ListBenefitFiguresRequest,
    ) -> Result<pb::ListBenefitFiguresResponse, ApiError> {
        self.caller("ListBenefitFigures", principal).await?;
        let params = self.benefit_parameters(self.db()).await?;
        let mut entries = shipped_entries(self.book.shipped());
        entries.extend(figures::entries(self.db()).await?);
        Ok(pb::ListBenefitFiguresResponse {
            entries,
            parameters_version: params.version.clone(),
        })
    }

    /// Re-runs the kept requests of waiting claims with the parameters as they are now;
    /// returns how many were assessed. At most [`figures::MAX_REASSESSED_PER_WRITE`].
    pub(super) async fn assess_waiting(
        &self,
        txn: &DatabaseTransaction,
        figure_id: &str,
        now: DateTime<Utc>,
    ) -> Result<i32, ApiError> {
        let mut assessed = 0;
        for waiting in figures::waiting(txn, figures::MAX_REASSESSED_PER_WRITE).await? {
            let Some(mut row) = queries::claim_for_update(txn, waiting.claim_id).await? else {
                figures::stop_waiting(txn, waiting.claim_id).await?;
                continue;
            };
            // A claim reopened by an appeal since: its assessment waits for a new request.
            if lifecycle::require_confirmed(records::status(&row)?, "assessed").is_err() {
                figures::stop_waiting(txn, row.id).await?;
                continue;
            }
            let request = pb::AssessBenefitsRequest::decode(waiting.request.as_slice())
                .map_err(|e| ApiError::internal(anyhow::anyhow!("kept request: {e}")))?;
            let input = assessment_input(&request)?;
            let actor = format!("{} (kept; figure {figure_id})", waiting.requested_by);
            match self.assess_in(txn, &mut row, &input, &actor, now).await? {
                Assessed::Done => {
                    figures::stop_waiting(txn, row.id).await?;
                    assessed += 1;
                }
                Assessed::Waiting(missing) => {
                    self.wait_for_figure(txn, &mut row, missing, &actor, now)
                        .await?;
                }
            }
        }
        Ok(assessed)
    }
}
