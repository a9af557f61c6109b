//! Fund's tables.

macro_rules! no_relations {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod fund_entry {
    use sea_orm::entity::prelude::*;

    /// One double entry (`domain::ledger::Entry`) with what made it.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "fund_entry")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub province: String,
        pub month: String,
        pub debit: String,
        pub credit: String,
        pub amount_fen: i64,
        pub platform_id: Option<Uuid>,
        pub insurer_id: Option<Uuid>,
        pub benefit_type: Option<String>,
        pub source_id: String,
        pub source_type: String,
        pub recorded_at: DateTimeUtc,
    }

    no_relations!();
}

pub mod declaration_ref {
    use sea_orm::entity::prelude::*;

    /// Where a premium declaration belongs.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "declaration_ref")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub declaration_id: Uuid,
        pub platform_id: Uuid,
        pub province: String,
        pub month: String,
    }

    no_relations!();
}

pub mod claim_ref {
    use sea_orm::entity::prelude::*;

    /// Where a claim belongs and who handles it.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "claim_ref")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub claim_id: Uuid,
        pub province: String,
        pub platform_id: Option<Uuid>,
        pub insurer_id: Option<Uuid>,
    }

    no_relations!();
}

pub mod payout {
    use sea_orm::entity::prelude::*;

    /// A payout the fund paid through an insurer.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "payout")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub payout_key: String,
        pub claim_id: Uuid,
        pub province: String,
        pub month: String,
        pub insurer_id: Option<Uuid>,
        pub amount_fen: i64,
        pub kind: String,
        pub state: String,
    }

    no_relations!();
}

pub mod insurer_contract {
    use sea_orm::entity::prelude::*;

    /// An insurer's service fee in a province from a date.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "insurer_contract")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub insurer_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub province: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub effective_from: String,
        pub service_fee_bps: i32,
        pub added_by: String,
        pub added_at: DateTimeUtc,
    }

    no_relations!();
}

pub mod reimbursement {
    use sea_orm::entity::prelude::*;

    /// A bank reference that paid an insurer back.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "reimbursement")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub insurer_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub reference: String,
        pub entry_id: Uuid,
    }

    no_relations!();
}

pub mod payout_record {
    use sea_orm::entity::prelude::*;

    /// One payout as the insurer's own records have it.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "payout_record")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub insurer_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub province: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub month: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub payout_key: String,
        pub amount_fen: i64,
    }

    no_relations!();
}

pub mod payout_submission {
    use sea_orm::entity::prelude::*;

    /// That an insurer submitted its records for a month.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "payout_submission")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub insurer_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub province: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub month: String,
        pub records: i32,
        pub submitted_at: DateTimeUtc,
    }

    no_relations!();
}

pub mod settlement {
    use sea_orm::entity::prelude::*;

    /// An approved settlement.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "settlement")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub insurer_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub province: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub month: String,
        pub service_fee_fen: i64,
        pub explanations: String,
        pub approved_by: String,
        pub approved_at: DateTimeUtc,
    }

    no_relations!();
}
