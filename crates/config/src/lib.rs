//! strait-config: every configuration format strait reads, turned into the one typed model
//! the engine consumes ([`MirrorConfig`]).
//!
//! Layout, each module using only those listed before it: `document` (values with their
//! origin, errors, `.properties`, YAML / JSON nodes) → [`policy`] (replication policies and
//! filters) → [`model`] (the typed model and how MM2 keys build it) → [`providers`] (config
//! providers and mounted Secrets) → `formats` (one module per input format) → `load`
//! (format detection and combining inputs) → [`summary`] (what `strait validate` prints) and
//! [`warnings`] (what it warns about).
#![forbid(unsafe_code)]

mod document;
mod formats;
mod load;
pub mod model;
pub mod policy;
pub mod providers;
pub mod summary;
pub mod warnings;

pub use document::error::{ConfigError, Location};
pub use document::input::{Format, detect_format};
pub use document::{limits, properties, value};
pub use formats::mm1::{Mm1Args, load_mm1, parse_mm1_args};
pub use formats::mm2_properties::{
    load_mm2_properties, load_mm2_properties_with, parse_mm2_properties,
};
pub use formats::options::{LoadConfigOptions, LoadOptions};
pub use formats::{mm1, mm2_properties};
pub use load::load_config_files;
pub use model::security;
pub use model::{
    Acks, AutoOffsetReset, CheckpointsConfig, ClientConfig, ClusterConfig, DataLossPolicy,
    FlowClients, FlowConfig, HeartbeatsConfig, IsolationLevel, MAX_DURATION, MirrorConfig,
    OffsetSyncsConfig, Periodic, PositionStore, TopicLocation, WorkerConfig,
};
pub use providers::Env;
pub use providers::secrets::{self, DEFAULT_SECRETS_DIR, SECRETS_DIR_ENV, SecretsDir};
pub use security::{
    CredentialModule, Jaas, KeySource, KeyStore, SaslConfig, SaslMechanism, SecurityConfig,
    SecurityProtocol, SslConfig, StoreType, TrustSource, TrustStore,
};
pub use summary::Summary;
pub use value::{Origin, Secret, Value, ValueMap};
pub use warnings::Warning;
