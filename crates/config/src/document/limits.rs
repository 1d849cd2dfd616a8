//! Caps on the size of configuration input, so a hostile or mistaken file fails with an error
//! naming what is too large instead of exhausting memory or time:
//!
//! - [`MAX_FILE_BYTES`]: one configuration file, or one file read by a config provider
//!   (16 MiB; real MM2, Strimzi and Connect files are a few KiB);
//! - [`MAX_VALUE_BYTES`]: one `.properties` value after unescaping (1 MiB, room for a large
//!   inline PEM CA bundle);
//! - [`MAX_CLUSTER_ALIASES`]: aliases in `clusters` (64; each pair of aliases is a potential
//!   flow, so the work grows with the square of the count).
//!
//! Regular expressions have their own cap, [`MAX_PATTERN_BYTES`](crate::policy::regex::MAX_PATTERN_BYTES).

use std::io::Read;
use std::path::Path;

use crate::document::error::ConfigError;

/// The largest configuration file (or config-provider file) strait reads: 16 MiB.
pub const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// The longest single `.properties` value: 1 MiB (1 048 576 bytes) after unescaping.
pub const MAX_VALUE_BYTES: usize = 1024 * 1024;

/// The most cluster aliases `clusters` may list: 64.
pub const MAX_CLUSTER_ALIASES: usize = 64;

/// Reads a file of at most [`MAX_FILE_BYTES`], without reading more than one byte past it.
pub(crate) fn read_capped(path: &Path) -> std::io::Result<Vec<u8>> {
    let file = std::fs::File::open(path)?;
    let mut bytes = Vec::new();
    file.take(MAX_FILE_BYTES + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > MAX_FILE_BYTES {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!(
                "file is larger than the {} MiB ({MAX_FILE_BYTES} bytes) limit for \
                 configuration files",
                MAX_FILE_BYTES / (1024 * 1024)
            ),
        ));
    }
    Ok(bytes)
}

/// [`read_capped`] with the error as a [`ConfigError::Io`] naming the file.
pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, ConfigError> {
    read_capped(path).map_err(|source| ConfigError::Io {
        path: path.to_owned(),
        source,
    })
}
