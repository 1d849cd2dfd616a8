//! The exit codes of `strait`, for supervisors (systemd `RestartPreventExitStatus=`, Kubernetes
//! restart policies) that must tell a configuration to fix from a cluster to wait for:
//!
//! | code | meaning |
//! |---|---|
//! | 0 | success (also when the reader of stdout closed it early, see `out.rs`) |
//! | 1 | any other failure: a flow failed while running, an internal error |
//! | 2 | configuration error: unreadable or refused file, bad arguments, `--strict` warnings |
//! | 3 | a cluster was unreachable, unresolvable or refused our credentials at start-up |
//!
//! Data loss under `strait.data.loss.policy=fail` stops the partition, not the run, so it has
//! no exit code of its own.

use std::fmt;

use strait_config::ConfigError;

/// Success.
pub(crate) const OK: u8 = 0;
/// Any other failure.
pub(crate) const OTHER: u8 = 1;
/// The configuration must be fixed (clap also exits 2 on bad arguments).
pub(crate) const CONFIG: u8 = 2;
/// A cluster could not be reached or authenticated to at start-up.
pub(crate) const UNREACHABLE: u8 = 3;

/// The configuration was read but cannot be used as it is (e.g. no flow replicates, or
/// `--strict` and warnings).
#[derive(Debug)]
pub(crate) struct Refused(pub(crate) String);

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

/// Connecting to a cluster at start-up failed.
#[derive(Debug)]
pub(crate) struct Unreachable {
    /// The cluster alias.
    pub(crate) alias: String,
    /// What the client reported.
    pub(crate) source: kwire::error::Error,
}

impl fmt::Display for Unreachable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "connecting to cluster '{}'", self.alias)
    }
}

impl std::error::Error for Unreachable {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// The exit code for a failed command.
pub(crate) fn code_for(e: &anyhow::Error) -> u8 {
    let any = |test: fn(&(dyn std::error::Error + 'static)) -> bool| e.chain().any(test);
    if any(|c| c.is::<ConfigError>() || c.is::<Refused>()) {
        CONFIG
    } else if any(|c| c.is::<Unreachable>()) {
        UNREACHABLE
    } else {
        OTHER
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_follow_the_error() {
        let config = anyhow::Error::new(ConfigError::Syntax {
            file: "f".into(),
            line: 1,
            message: "x".into(),
        });
        assert_eq!(code_for(&config), CONFIG);
        assert_eq!(code_for(&anyhow::Error::new(Refused("r".into()))), CONFIG);
        let unreachable = Unreachable {
            alias: "A".into(),
            source: kwire::error::Error::Closed("client"),
        };
        let wrapped = anyhow::Error::new(unreachable).context("starting");
        assert_eq!(code_for(&wrapped), UNREACHABLE);
        assert_eq!(code_for(&anyhow::anyhow!("boom")), OTHER);
        assert_eq!(OK, 0);
    }
}
