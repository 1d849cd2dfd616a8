//! One module per configuration format, each translated into the keys MirrorMaker 2 uses
//! and built into the one model: `mm2.properties`, Kafka Connect connector JSON, MirrorMaker 1
//! and the Strimzi custom resources.

pub(crate) mod connect_json;
pub(crate) mod connectors;
pub mod mm1;
pub mod mm2_properties;
pub(crate) mod options;
pub(crate) mod strimzi;
