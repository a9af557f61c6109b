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
        pub deregistration_reason: Option<String>,
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
        pub contact_phone: String,
        pub contact_email: Option<String>,
        pub registered_at: DateTimeUtc,
        pub updated_at: DateTimeUtc,
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
