//! The `kafka-mirror-maker.sh` command line (`kafka.tools.MirrorMaker` options):
//! `--consumer.config F --producer.config F --whitelist RE ...`.

use std::path::PathBuf;

use crate::document::error::{ConfigError, Location};

/// How errors name the command line.
pub(super) const COMMAND_LINE: &str = "(mirror-maker arguments)";

/// The arguments of `kafka-mirror-maker.sh` strait understands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mm1Args {
    /// `--consumer.config`.
    pub consumer_config: PathBuf,
    /// `--producer.config`.
    pub producer_config: PathBuf,
    /// `--whitelist` / `--include` as written.
    pub include: String,
    /// `--num.streams` (default 1).
    pub num_streams: Option<String>,
    /// `--offset.commit.interval.ms` (default 60000).
    pub offset_commit_interval_ms: Option<String>,
    /// `--abort.on.send.failure` (default true).
    pub abort_on_send_failure: Option<String>,
}

fn arg_error(option: &str, value: Option<&str>, expected: impl Into<String>) -> ConfigError {
    ConfigError::InvalidValue {
        at: Location::new(COMMAND_LINE, 0, option),
        value: value.map(str::to_owned),
        expected: expected.into(),
    }
}

/// Parses MM1's command line (the arguments after the script name). Options may be
/// written `--opt value` or `--opt=value`. Custom handler and rebalance-listener classes
/// need a JVM and are refused.
pub fn parse_mm1_args<S: AsRef<str>>(args: &[S]) -> Result<Mm1Args, ConfigError> {
    let mut consumer = None;
    let mut producer = None;
    let mut include: Option<(String, String)> = None;
    let mut num_streams = None;
    let mut commit = None;
    let mut abort = None;
    let mut it = args.iter().map(AsRef::as_ref);
    while let Some(arg) = it.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_owned())),
            _ => (arg, None),
        };
        if name == "--new.consumer" {
            continue;
        }
        let mut value = || -> Result<String, ConfigError> {
            match inline.clone().or_else(|| it.next().map(str::to_owned)) {
                Some(v) => Ok(v),
                None => Err(ConfigError::Missing {
                    at: Location::new(COMMAND_LINE, 0, name),
                    expected: "a value after the option".into(),
                }),
            }
        };
        match name {
            "--consumer.config" => consumer = Some(PathBuf::from(value()?)),
            "--producer.config" => producer = Some(PathBuf::from(value()?)),
            "--whitelist" | "--include" => {
                let v = value()?;
                if let Some((prev, _)) = &include {
                    return Err(arg_error(
                        name,
                        Some(&v),
                        format!("one topic pattern: {prev} is already given"),
                    ));
                }
                include = Some((name.to_owned(), v));
            }
            "--num.streams" => num_streams = Some(value()?),
            "--offset.commit.interval.ms" => commit = Some(value()?),
            "--abort.on.send.failure" => abort = Some(value()?),
            "--message.handler"
            | "--message.handler.args"
            | "--consumer.rebalance.listener"
            | "--rebalance.listener.args" => {
                return Err(arg_error(
                    name,
                    None,
                    "no custom handler or listener class (they need a JVM); strait copies \
                     records unchanged",
                ));
            }
            _ => {
                return Err(arg_error(
                    name,
                    None,
                    "one of --consumer.config, --producer.config, --whitelist, --include, \
                     --num.streams, --offset.commit.interval.ms, --abort.on.send.failure",
                ));
            }
        }
    }
    let missing = |opt: &str, what: &str| ConfigError::Missing {
        at: Location::new(COMMAND_LINE, 0, opt),
        expected: what.to_owned(),
    };
    Ok(Mm1Args {
        consumer_config: consumer.ok_or_else(|| {
            missing(
                "--consumer.config",
                "the source consumer's properties file (with bootstrap.servers and group.id)",
            )
        })?,
        producer_config: producer.ok_or_else(|| {
            missing(
                "--producer.config",
                "the target producer's properties file (with bootstrap.servers)",
            )
        })?,
        include: include.map(|(_, v)| v).ok_or_else(|| {
            missing(
                "--whitelist",
                "a regular expression of the topics to mirror (or --include)",
            )
        })?,
        num_streams,
        offset_commit_interval_ms: commit,
        abort_on_send_failure: abort,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_arguments() {
        let a = parse_mm1_args(&[
            "--consumer.config",
            "c.properties",
            "--producer.config=p.properties",
            "--whitelist",
            "a, b",
            "--num.streams",
            "4",
            "--new.consumer",
        ])
        .expect("parses");
        assert_eq!(a.consumer_config, PathBuf::from("c.properties"));
        assert_eq!(a.producer_config, PathBuf::from("p.properties"));
        assert_eq!(a.include, "a, b");
        assert_eq!(a.num_streams.as_deref(), Some("4"));
        let e = parse_mm1_args(&["--consumer.config", "c"]).expect_err("incomplete");
        assert!(e.to_string().contains("--producer.config"), "{e}");
        let e = parse_mm1_args(&["--message.handler", "x"]).expect_err("custom");
        assert!(e.to_string().contains("need a JVM"), "{e}");
    }
}
