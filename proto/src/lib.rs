//! Generated types and tonic services of every gigshield protobuf package.
//!
//! Packages follow `gigshield.<area>.v1`; a breaking change is a new `v2` package, never an edit.

// Generated code: the function-length lint is for code people write.
#[allow(clippy::too_many_lines)]
pub mod gigshield {
    pub mod claims {
        pub mod v1 {
            tonic::include_proto!("gigshield.claims.v1");
        }
    }
    pub mod common {
        pub mod v1 {
            tonic::include_proto!("gigshield.common.v1");
        }
    }
    pub mod enrollment {
        pub mod v1 {
            tonic::include_proto!("gigshield.enrollment.v1");
        }
    }
    pub mod events {
        pub mod v1 {
            tonic::include_proto!("gigshield.events.v1");
        }
    }
    pub mod fund {
        pub mod v1 {
            tonic::include_proto!("gigshield.fund.v1");
        }
    }
    pub mod incident {
        pub mod v1 {
            tonic::include_proto!("gigshield.incident.v1");
        }
    }
    pub mod premium {
        pub mod v1 {
            tonic::include_proto!("gigshield.premium.v1");
        }
    }
}

pub use gigshield::claims::v1 as claims;
pub use gigshield::common::v1 as common;
pub use gigshield::enrollment::v1 as enrollment;
pub use gigshield::events::v1 as events;
pub use gigshield::fund::v1 as fund;
pub use gigshield::incident::v1 as incident;
pub use gigshield::premium::v1 as premium;

/// Encoded `FileDescriptorSet` of every package, for gRPC server reflection.
pub const FILE_DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("gigshield_descriptor");
