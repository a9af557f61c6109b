//! Premium's tables that are read and written row by row. `orders`, `order_key`,
//! `coverage_day`, `daily_statement` and `ledger_entry` are written set-wise by raw statements
//! in [`super::queries`].

pub mod rate {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "rate")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// Stored industry name.
        pub industry: String,
        pub platform_id: Option<Uuid>,
        /// Province code `XX0000`.
        pub province: Option<String>,
        pub rate_key: String,
        pub effective_from: DateTimeUtc,
        pub fen_per_order: i64,
        pub added_by: String,
        pub added_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod platform_scope {
    use sea_orm::entity::prelude::*;

    /// Replica of enrollment's platform scopes; rows are only added (or replaced by a later
    /// event for the same instant).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "platform_scope")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub platform_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub effective_from: DateTimeUtc,
        /// Comma-separated stored industry names.
        pub industries: String,
        /// Comma-separated province codes `XX0000`.
        pub provinces: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod membership {
    use sea_orm::entity::prelude::*;

    /// Replica of enrollment's memberships: the person behind a platform's worker id while
    /// registered.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "replica_membership")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub worker_id: Uuid,
        pub platform_id: Uuid,
        pub external_worker_id: String,
        pub person_id: Uuid,
        pub registered_at: DateTimeUtc,
        pub deregistered_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod declaration {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "declaration")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub platform_id: Uuid,
        pub province: String,
        /// `YYYY-MM`
        pub month: String,
        pub total_fen: i64,
        pub issued_at: DateTimeUtc,
        /// `YYYY-MM-DD`
        pub due_date: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod declaration_line {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "declaration_line")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub declaration_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub line_no: i32,
        pub adjusts_month: Option<String>,
        pub industry: String,
        pub fen_per_order: i64,
        pub order_count: i64,
        pub amount_fen: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod payment {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "payment")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub platform_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub reference: String,
        pub amount_fen: i64,
        pub received_at: DateTimeUtc,
        pub recorded_at: DateTimeUtc,
        pub recorded_by: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
