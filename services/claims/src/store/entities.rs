//! Claims' tables. JSON columns hold domain structs (serde), so what the rules saw and decided
//! is stored exactly as the domain produced it.

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod route {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "route")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub province_code: String,
        /// A platform id, or '' for every platform of the province.
        #[sea_orm(primary_key, auto_increment = false)]
        pub platform_key: String,
        pub insurer_id: Uuid,
        pub updated_at: DateTimeUtc,
    }

    no_relations!();
}

pub mod claim {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "claim")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub incident_id: Uuid,
        pub person_id: Uuid,
        pub platform_id: Option<Uuid>,
        pub insurer_id: Option<Uuid>,
        /// `lifecycle::ClaimStatus::as_str`.
        pub status: String,
        pub province_code: String,
        pub region_code: String,
        pub occurred_at: DateTimeUtc,
        pub filed_at: DateTimeUtc,
        pub opened_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        pub evidence_count: i32,
        /// JSON of `determination::DeterminationFacts`.
        pub facts: String,
        /// JSON of `Vec<determination::RuleOutcome>`.
        pub trace: String,
        /// Comma-separated `ReasonCode` names.
        pub review_reasons: String,
        /// JSON of `determination::Liability`.
        pub liability: Option<String>,
        /// JSON of `records::DecisionRecord` (its note is in `decision_note_sealed`).
        pub decision: Option<String>,
        pub decision_note_sealed: Option<Vec<u8>>,
        /// YYYY-MM-DD (Asia/Shanghai); '' for claims opened before due dates were tracked.
        pub determination_due_on: String,
        /// When the sweep found it waiting past its due date (and published `ClaimOverdue`).
        pub overdue_at: Option<DateTimeUtc>,
        /// The benefit figure its kept assessment request waits for.
        pub awaiting_parameters: Option<String>,
    }

    no_relations!();
}

pub mod claim_history {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "claim_history")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub claim_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub number: i32,
        pub at: DateTimeUtc,
        pub actor: String,
        pub action: String,
        /// Sealed free text (notes, questions, grounds).
        pub detail_sealed: Option<Vec<u8>>,
    }

    no_relations!();
}

pub mod appraisal {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "appraisal")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub claim_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub version: i32,
        pub grade: i32,
        pub nursing_level: String,
        pub appraised_on: String,
        pub appraisal_body: String,
        pub recorded_by: String,
        pub recorded_at: DateTimeUtc,
    }

    no_relations!();
}

pub mod assessment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "assessment")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub claim_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub version: i32,
        pub parameters_version: String,
        /// JSON of `benefits::ClaimFacts`.
        pub facts: String,
        /// JSON of `benefits::BenefitAssessment`.
        pub body: String,
        pub assessed_by: String,
        pub assessed_at: DateTimeUtc,
    }

    no_relations!();
}

pub mod payout_schedule {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "payout_schedule")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub idempotency_key: String,
        pub claim_id: Uuid,
        pub kind: String,
        pub period: String,
        pub due_month: String,
        pub amount_fen: i64,
        pub assessment_version: i32,
    }

    no_relations!();
}

pub mod payout_ledger {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "payout_ledger")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub idempotency_key: String,
        pub claim_id: Uuid,
        pub kind: String,
        pub period: String,
        pub due_month: String,
        pub amount_fen: i64,
        pub account_key_id: String,
        pub account_sealed: Vec<u8>,
        pub account_masked: String,
        pub issued_by: String,
        pub issued_at: DateTimeUtc,
        /// Blind index of the account, to compare with the registered one without opening it.
        pub account_index: Option<Vec<u8>>,
        /// Who released the payout: `registered account` when it went to the person's registered
        /// account, else the second person; `None` while it waits for one.
        pub approved_by: Option<String>,
        pub approved_at: Option<DateTimeUtc>,
    }

    // By hand: leaves the sealed account out of any log line that prints a row.
    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("payout_ledger::Model")
                .field("idempotency_key", &self.idempotency_key)
                .field("amount_fen", &self.amount_fen)
                .finish_non_exhaustive()
        }
    }

    no_relations!();
}

pub mod appeal {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "appeal")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub claim_id: Uuid,
        pub kind: String,
        pub challenged_status: String,
        pub filed_by: String,
        pub filed_at: DateTimeUtc,
        pub outcome: Option<String>,
        pub effect: Option<String>,
        pub decided_by: Option<String>,
        pub decided_at: Option<DateTimeUtc>,
    }

    no_relations!();
}

pub mod claim_event {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "claim_event")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub seq: i64,
        pub claim_id: Uuid,
        pub insurer_id: Option<Uuid>,
        pub event_type: String,
        pub payload: Vec<u8>,
        pub recorded_at: DateTimeUtc,
    }

    no_relations!();
}

pub mod payout_step {
    use sea_orm::entity::prelude::*;

    /// One thing that happened to an issued payout (`domain::delivery::Step`); a re-instruction
    /// carries the account it went to.
    #[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "payout_step")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub idempotency_key: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub number: i32,
        pub step: String,
        pub return_reason: Option<String>,
        pub account_key_id: Option<String>,
        pub account_sealed: Option<Vec<u8>>,
        pub account_masked: Option<String>,
        pub account_index: Option<Vec<u8>>,
        pub recorded_by: String,
        pub recorded_at: DateTimeUtc,
    }

    // By hand: leaves the sealed account out of any log line that prints a row.
    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("payout_step::Model")
                .field("idempotency_key", &self.idempotency_key)
                .field("number", &self.number)
                .field("step", &self.step)
                .field("return_reason", &self.return_reason)
                .field("account_masked", &self.account_masked)
                .finish_non_exhaustive()
        }
    }

    no_relations!();
}

pub mod beneficiary_account {
    use sea_orm::entity::prelude::*;

    /// A person's registered beneficiary account; the highest version counts.
    #[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "beneficiary_account")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub person_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub version: i32,
        pub account_key_id: String,
        pub account_sealed: Vec<u8>,
        pub account_masked: String,
        pub account_index: Vec<u8>,
        pub set_by: String,
        pub set_at: DateTimeUtc,
    }

    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("beneficiary_account::Model")
                .field("person_id", &self.person_id)
                .field("version", &self.version)
                .field("account_masked", &self.account_masked)
                .finish_non_exhaustive()
        }
    }

    no_relations!();
}
