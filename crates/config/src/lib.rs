//! strait-config: every configuration format strait reads, turned into the one typed model
//! the engine consumes ([`MirrorConfig`]).
#![forbid(unsafe_code)]

mod assemble;
mod connect_json;
pub mod detect;
mod error;
mod flow;
pub mod jaas;
mod keys;
pub mod mm1;
pub mod mm2_properties;
pub mod model;
pub mod policy;
pub mod properties;
pub mod providers;
pub mod secrets;
pub mod security;
mod strimzi;
pub mod summary;
mod typed;
pub mod value;

pub use detect::{Format, LoadConfigOptions, detect_format, load_config_files};
pub use error::{ConfigError, Location};
pub use mm1::{Mm1Args, load_mm1, parse_mm1_args};
pub use mm2_properties::{
    LoadOptions, load_mm2_properties, load_mm2_properties_with, parse_mm2_properties,
};
pub use model::{
    Acks, AutoOffsetReset, CheckpointsConfig, ClientConfig, ClusterConfig, DataLossPolicy,
    FlowClients, FlowConfig, HeartbeatsConfig, IsolationLevel, MirrorConfig, OffsetSyncsConfig,
    Periodic, PositionStore, TopicLocation, WorkerConfig,
};
pub use providers::Env;
pub use secrets::{DEFAULT_SECRETS_DIR, SECRETS_DIR_ENV, SecretsDir};
pub use security::{
    CredentialModule, Jaas, KeySource, KeyStore, SaslConfig, SaslMechanism, SecurityConfig,
    SecurityProtocol, SslConfig, StoreType, TrustSource, TrustStore,
};
pub use summary::Summary;
pub use value::{Origin, Secret, Value, ValueMap};
