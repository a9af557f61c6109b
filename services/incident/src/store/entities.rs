//! Incident's tables. Rows holding free text implement `Debug` by hand and leave the text out:
//! sea-orm requires `Debug`, and a derived one would print a description into any log line
//! that shows a row.

pub mod incident {
    use sea_orm::entity::prelude::*;

    /// One reported incident: who it is about, who reported it, its state, and the current
    /// facts that lists filter on (the facts themselves are versioned in `incident_revision`).
    #[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "incident")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub person_id: Uuid,
        pub platform_id: Option<Uuid>,
        pub external_worker_id: Option<String>,
        /// JSON of `domain::actor::Actor`.
        pub reported_by: String,
        pub reporter_kind: String,
        /// The reporting relative's or worker's own person (relatives list by it).
        pub reporter_person_id: Option<Uuid>,
        pub channel: String,
        pub status: String,
        pub reported_at: DateTimeUtc,
        /// The number of the latest revision (0 = as reported).
        pub revision: i32,
        pub occurred_at: DateTimeUtc,
        pub region_code: String,
        pub category: String,
        pub worker_fault_share: Option<String>,
        pub severity: String,
        pub evidence_count: i32,
        pub outside_platform_provinces: bool,
        pub updated_at: DateTimeUtc,
        pub withdrawn_at: Option<DateTimeUtc>,
        /// JSON of the withdrawing actor.
        pub withdrawn_by: Option<String>,
        /// Sealed free text.
        pub withdrawal_reason_sealed: Option<Vec<u8>>,
    }

    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("incident::Model")
                .field("id", &self.id)
                .field("person_id", &self.person_id)
                .field("platform_id", &self.platform_id)
                .field("status", &self.status)
                .field("revision", &self.revision)
                .finish_non_exhaustive()
        }
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod incident_revision {
    use sea_orm::entity::prelude::*;

    /// One version of an incident's facts: revision 0 is the report, each amendment adds the
    /// next. Rows are only ever added.
    #[derive(Clone, PartialEq, DeriveEntityModel)]
    #[sea_orm(table_name = "incident_revision")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub incident_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub revision: i32,
        pub occurred_at: DateTimeUtc,
        pub latitude: f64,
        pub longitude: f64,
        pub region_code: String,
        pub order_id: Option<String>,
        pub category: String,
        pub worker_fault_share: Option<String>,
        pub severity: String,
        /// Sealed: health data, never logged, never in events.
        pub description_sealed: Option<Vec<u8>>,
        pub died_at: Option<DateTimeUtc>,
        pub intentional_crime: bool,
        pub intoxication_or_drugs: bool,
        pub self_harm: bool,
        /// Comma-separated fact paths this revision changed; empty for the report.
        pub changed_fields: String,
        /// Why (amendments only). Sealed free text.
        pub reason_sealed: Option<Vec<u8>>,
        /// JSON of the actor who wrote this revision.
        pub author: String,
        pub recorded_at: DateTimeUtc,
    }

    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("incident_revision::Model")
                .field("incident_id", &self.incident_id)
                .field("revision", &self.revision)
                .field("changed_fields", &self.changed_fields)
                .finish_non_exhaustive()
        }
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod evidence {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "evidence")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub incident_id: Uuid,
        pub uri: String,
        pub sha256: String,
        pub media_type: String,
        pub size_bytes: i64,
        /// JSON of the actor.
        pub added_by: String,
        pub added_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod application {
    use sea_orm::entity::prelude::*;

    /// The application for determination; at most one per incident.
    #[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "application")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub incident_id: Uuid,
        /// JSON of the filing actor.
        pub filed_by: String,
        pub filed_at: DateTimeUtc,
        pub deadline_days: i32,
        pub days_after_accident: i32,
        pub late: bool,
        /// 超期说明. Sealed free text.
        pub late_explanation_sealed: Option<Vec<u8>>,
    }

    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("application::Model")
                .field("incident_id", &self.incident_id)
                .field("filed_at", &self.filed_at)
                .field("late", &self.late)
                .finish_non_exhaustive()
        }
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod replica_platform_scope {
    use sea_orm::entity::prelude::*;

    /// The provinces of a platform from an instant on (`PlatformRegistered`,
    /// `PlatformUpdated`).
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "replica_platform_scope")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub platform_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub effective_from: DateTimeUtc,
        /// Comma-separated province codes (XX0000).
        pub provinces: String,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod statement {
    use sea_orm::entity::prelude::*;

    /// A platform's account of an incident and the facts it disputes.
    #[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "statement")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub incident_id: Uuid,
        /// Sealed free text.
        pub text_sealed: Vec<u8>,
        /// Comma-separated disputed facts (`domain::statement::Disputes::names`).
        pub disputes: String,
        pub disputed_fault_share: Option<String>,
        /// JSON of the actor.
        pub added_by: String,
        pub added_at: DateTimeUtc,
    }

    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("statement::Model")
                .field("id", &self.id)
                .field("incident_id", &self.incident_id)
                .field("disputes", &self.disputes)
                .finish_non_exhaustive()
        }
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
