//! Enrollment's tables.

pub mod person {
    use sea_orm::entity::prelude::*;

    /// One human being, found across platforms by the blind index of the resident ID.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "person")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        /// HMAC-SHA256 of the resident ID number (unique).
        pub resident_id_index: Vec<u8>,
        /// AES-256-GCM: nonce || ciphertext || tag.
        pub resident_id_sealed: Vec<u8>,
        pub resident_id_key_id: String,
        pub resident_id_masked: String,
        pub real_name: String,
        pub birth_year: i32,
        /// 1 male, 2 female (as `gigshield.common.v1.Sex`).
        pub sex: i16,
        pub created_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod membership {
    use sea_orm::entity::prelude::*;

    /// A person registered with a platform, from registered_at until deregistered_at.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "membership")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub person_id: Uuid,
        pub platform_id: Uuid,
        pub external_worker_id: String,
        pub mobile_sealed: Vec<u8>,
        pub mobile_key_id: String,
        pub mobile_masked: String,
        pub region_code: String,
        pub registered_at: DateTimeUtc,
        pub deregistered_at: Option<DateTimeUtc>,
        /// Sealed (`kit::pii` one-column form): a reason may tell of an injury.
        pub deregistration_reason_sealed: Option<Vec<u8>>,
        /// `platform:<id>` or `operator:<area>:<subject>`.
        pub deregistered_by: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod platform {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "platform")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub legal_name: String,
        pub credit_code: String,
        pub contact_name: String,
        /// Masked (`138****5678`); the number itself is in `contact_phone_sealed`.
        pub contact_phone: String,
        pub contact_email: Option<String>,
        pub registered_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
        /// Sealed contact phone; `None` for a platform registered before phones were sealed.
        pub contact_phone_sealed: Option<Vec<u8>>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod platform_scope {
    use sea_orm::entity::prelude::*;

    /// What a platform does where, from effective_from on. Rows are only ever added.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "platform_scope")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub platform_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub effective_from: DateTimeUtc,
        /// Comma-separated stored industry names.
        pub industries: String,
        /// Comma-separated province codes.
        pub provinces: String,
        pub recorded_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod credit_code_exception {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "credit_code_exception")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub credit_code: String,
        pub reason: String,
        pub added_by: String,
        pub added_at: DateTimeUtc,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod delegation {
    use sea_orm::entity::prelude::*;

    /// A close relative (delegate) may act for a person (grantor) while this is in force.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "delegation")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub grantor_person_id: Uuid,
        pub delegate_person_id: Uuid,
        /// `gigshield.common.v1.Relationship`.
        pub relationship: i16,
        pub valid_from: DateTimeUtc,
        pub valid_until: Option<DateTimeUtc>,
        /// WORKER or OPERATOR.
        pub granted_by: String,
        pub granted_by_subject: String,
        /// The operator's reason, sealed.
        pub reason_sealed: Option<Vec<u8>>,
        pub granted_at: DateTimeUtc,
        pub revoked_at: Option<DateTimeUtc>,
        pub revoked_by: Option<String>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod identity_review {
    use sea_orm::entity::prelude::*;

    /// A registration whose name did not match the one on record for its resident ID number,
    /// held until an operator resolves it.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "identity_review")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: Uuid,
        pub platform_id: Uuid,
        pub external_worker_id: String,
        pub region_code: String,
        /// The person on record for the resident ID number.
        pub person_id: Uuid,
        pub resident_id_masked: String,
        /// The registration as sent (protobuf `WorkerRegistration`), sealed.
        pub registration_sealed: Vec<u8>,
        /// OPEN, REGISTERED or REJECTED.
        pub status: String,
        pub opened_at: DateTimeUtc,
        pub opened_by: String,
        pub resolved_at: Option<DateTimeUtc>,
        pub resolved_by: Option<String>,
        pub note_sealed: Option<Vec<u8>>,
        pub worker_id: Option<Uuid>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

pub mod membership_activity {
    use sea_orm::entity::prelude::*;

    /// What premium and incident reported of a person's work for a platform: a deregistration
    /// may not be dated before it.
    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "membership_activity")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub person_id: Uuid,
        #[sea_orm(primary_key, auto_increment = false)]
        pub platform_id: Uuid,
        /// `YYYY-MM-DD`, Asia/Shanghai: the last day with an order.
        pub last_order_date: Option<String>,
        pub last_incident_at: Option<DateTimeUtc>,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}
