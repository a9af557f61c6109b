//! Fund figures as the API shows them.

use gigshield_kit::wire::timestamp;
use gigshield_proto::fund as pb;

use crate::domain::settlement::{Mismatch, MismatchKind};
use crate::domain::statement::Statement;
use crate::store::fund_entry;

fn opt(id: Option<uuid::Uuid>) -> String {
    id.map(|i| i.to_string()).unwrap_or_default()
}

pub fn entry(row: &fund_entry::Model) -> pb::FundEntry {
    pb::FundEntry {
        entry_id: row.id.to_string(),
        province_code: row.province.clone(),
        month: row.month.clone(),
        debit: row.debit.clone(),
        credit: row.credit.clone(),
        amount_fen: row.amount_fen,
        platform_id: opt(row.platform_id),
        insurer_id: opt(row.insurer_id),
        benefit_type: row.benefit_type.clone().unwrap_or_default(),
        source_id: row.source_id.clone(),
        source_type: row.source_type.clone(),
        recorded_at: Some(timestamp(row.recorded_at)),
    }
}

pub fn statement(province: &str, month: &str, s: Statement) -> pb::FundStatement {
    pb::FundStatement {
        province_code: province.to_string(),
        month: month.to_string(),
        fees_declared_fen: s.fees_declared_fen,
        fees_received_fen: s.fees_received_fen,
        arrears_fen: s.arrears_fen,
        benefits_by_type_fen: s.benefits_by_type_fen.into_iter().collect(),
        benefits_fen: s.benefits_fen,
        insurers: s
            .insurers
            .into_iter()
            .map(|(insurer, f)| pb::InsurerFigures {
                insurer_id: opt(insurer),
                advanced_fen: f.advanced_fen,
                reimbursed_fen: f.reimbursed_fen,
                service_fee_fen: f.service_fee_fen,
                owed_fen: f.owed_fen,
            })
            .collect(),
        balance_fen: s.balance_fen,
        entries: s.entries,
    }
}

pub fn mismatch(m: &Mismatch) -> pb::Mismatch {
    pb::Mismatch {
        payout_key: m.payout_key.clone(),
        kind: match m.kind {
            MismatchKind::MissingFromInsurer => pb::MismatchKind::MissingFromInsurer,
            MismatchKind::UnknownToFund => pb::MismatchKind::UnknownToFund,
            MismatchKind::AmountDiffers => pb::MismatchKind::AmountDiffers,
        } as i32,
        fund_amount_fen: m.fund_fen,
        insurer_amount_fen: m.insurer_fen,
    }
}
