//! The document model every format is read into: values that keep their origin (file,
//! line, key), the one error type, the caps on input size, Java `.properties` text, YAML / JSON node trees with
//! their lines, and which file each value came from.

pub(crate) mod error;
pub(crate) mod input;
pub mod limits;
pub(crate) mod node;
pub mod properties;
pub(crate) mod provenance;
pub mod value;
pub(crate) mod walk;
