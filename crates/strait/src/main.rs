//! The `strait` command: run MirrorMaker 2 flows from the configuration files MM2 users have,
//! or validate them (`connect-mirror-maker.sh` compatible arguments: file, `--clusters`; also
//! Strimzi custom resources and Kafka Connect connector JSON).
#![forbid(unsafe_code)]

mod exit;
mod offsets_cmd;
mod out;
mod run;

use std::io::{IsTerminal, Write as _};
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use mirror::settings::Share;
use strait_config::{
    LoadConfigOptions, LoadOptions, MirrorConfig, load_config_files, load_mm1, parse_mm1_args,
};

#[derive(Debug, Parser)]
#[command(
    name = "strait",
    version,
    about = "Kafka cross-cluster replication, MirrorMaker 2 compatible"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs every enabled replication flow of the configuration until SIGTERM or SIGINT.
    Run {
        #[command(flatten)]
        inputs: Inputs,
        /// Run as instance I of N processes sharing the same configuration (e.g. a resource's
        /// `replicas: N`): each copies its fixed share of the partitions; instance 0 also emits
        /// checkpoints and heartbeats. Every instance must be running for all partitions to flow.
        #[arg(long, value_name = "I/N", value_parser = parse_instance, default_value = "0/1")]
        instance: Share,
        /// Refuse to start (exit 2) when the configuration has warnings.
        #[arg(long)]
        strict: bool,
    },
    /// Prints the effective flows, filters, internal topics and security (secrets redacted).
    Validate {
        #[command(flatten)]
        inputs: Inputs,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Output::Text)]
        output: Output,
        /// Exit 2 when the configuration has warnings (misspelled or unused keys, no flow
        /// replicating anything).
        #[arg(long)]
        strict: bool,
    },
    /// Consumer-group failover: translated positions from the checkpoints topic.
    Offsets(offsets_cmd::OffsetsArgs),
    /// Runs a MirrorMaker 1 command line as written for `kafka-mirror-maker.sh`
    /// (`--consumer.config F --producer.config F --whitelist RE ...`); positions are committed
    /// to the consumer config's `group.id` on the source, as MirrorMaker 1 did.
    #[command(name = "mirror-maker")]
    MirrorMaker {
        /// Print the effective flow instead of running it.
        #[arg(long)]
        validate: bool,
        /// Output format of `--validate`.
        #[arg(long, value_enum, default_value_t = Output::Text)]
        output: Output,
        /// The `kafka-mirror-maker.sh` arguments.
        #[arg(required = true, trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
}

/// Where the configuration comes from.
#[derive(Debug, clap::Args)]
struct Inputs {
    /// Configuration files or directories, in any mix of formats: MM2 dedicated-mode
    /// mm2.properties; Strimzi / IBM Event Streams KafkaMirrorMaker2 or KafkaMirrorMaker YAML;
    /// Kafka Connect connector JSON (with the worker .properties they reference).
    #[arg(required = true, num_args = 1..)]
    config: Vec<PathBuf>,
    /// Only run flows whose target is one of these cluster aliases.
    #[arg(long, num_args = 1..)]
    clusters: Vec<String>,
    /// Kubernetes-style secrets directory for custom resources: DIR/<secretName>/<key>
    /// (default: $STRAIT_SECRETS_DIR, else /etc/strait/secrets).
    #[arg(long)]
    secrets_dir: Option<PathBuf>,
    /// Reads files a configuration names under a container path from a local folder, as a
    /// container mount would: `--mount /opt/kafka/custom-config=./connect` (repeatable).
    #[arg(long, value_name = "CONTAINER_PATH=DIR", value_parser = parse_mount)]
    mount: Vec<(PathBuf, PathBuf)>,
}

fn parse_instance(text: &str) -> Result<Share, String> {
    let parsed = text
        .split_once('/')
        .and_then(|(i, n)| Some((i.trim().parse().ok()?, n.trim().parse().ok()?)));
    parsed
        .and_then(|(i, n)| Share::new(i, n))
        .ok_or_else(|| format!("expected I/N with 0 <= I < N (e.g. 0/2), got '{text}'"))
}

fn parse_mount(text: &str) -> Result<(PathBuf, PathBuf), String> {
    match text.split_once('=') {
        Some((from, to)) if !from.is_empty() && !to.is_empty() => {
            Ok((PathBuf::from(from), PathBuf::from(to)))
        }
        _ => Err(format!("expected CONTAINER_PATH=DIR, got '{text}'")),
    }
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Output {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Command::Run {
            inputs,
            instance,
            strict,
        } => load(inputs).and_then(|c| {
            check_warnings(&c, strict, Warn::Log)?;
            run::run(c, instance)
        }),
        Command::Offsets(args) => offsets_cmd::run(args),
        Command::Validate {
            inputs,
            output,
            strict,
        } => load(inputs).and_then(|c| {
            let refused = check_warnings(&c, strict, Warn::Print);
            print_summary(&c, output)?;
            refused
        }),
        Command::MirrorMaker {
            validate,
            output,
            args,
        } => load_mirror_maker(&args).and_then(|c| {
            if validate {
                print_summary(&c, output)
            } else {
                run::run(c, Share::default())
            }
        }),
    };
    match result {
        Ok(()) => ExitCode::from(exit::OK),
        Err(e) => {
            eprintln!("strait: error: {}", error_chain(&e));
            ExitCode::from(exit::code_for(&e))
        }
    }
}

fn load(inputs: Inputs) -> anyhow::Result<MirrorConfig> {
    let clusters = (!inputs.clusters.is_empty()).then_some(inputs.clusters);
    let options = LoadConfigOptions {
        load: LoadOptions {
            clusters,
            ..Default::default()
        },
        secrets_dir: inputs.secrets_dir,
        mounts: inputs.mount,
    };
    Ok(load_config_files(&inputs.config, &options)?)
}

fn print_summary(config: &MirrorConfig, output: Output) -> anyhow::Result<()> {
    let summary = config.summary();
    match output {
        Output::Text => out::line(&summary)?,
        Output::Json => out::line(summary.to_json())?,
    }
    Ok(())
}

/// How warnings reach the user: printed on stderr by `validate`, logged by `run`.
#[derive(Clone, Copy)]
enum Warn {
    Print,
    Log,
}

/// Reports the configuration's warnings; with `strict`, any warning refuses it (exit 2).
fn check_warnings(config: &MirrorConfig, strict: bool, how: Warn) -> anyhow::Result<()> {
    let warnings = config.warnings();
    let mut stderr = std::io::stderr().lock();
    for w in &warnings {
        match how {
            // A closed stderr loses the warnings, nothing else.
            Warn::Print => drop(writeln!(stderr, "strait: warning: {w}")),
            Warn::Log => {
                tracing::warn!(file = %w.file, line = w.line, key = %w.key, did_you_mean = ?w.did_you_mean, "{}", w.message)
            }
        }
    }
    if strict && !warnings.is_empty() {
        return Err(exit::Refused(format!(
            "{} warning(s) and --strict: fix the configuration or drop --strict",
            warnings.len()
        ))
        .into());
    }
    Ok(())
}

fn load_mirror_maker(args: &[String]) -> anyhow::Result<MirrorConfig> {
    let args = parse_mm1_args(args)?;
    Ok(load_mm1(&args, &LoadConfigOptions::default())?)
}

/// The error and its causes, each cause once: several layers already print their source.
fn error_chain(e: &anyhow::Error) -> String {
    let mut text = e.to_string();
    for cause in e.chain().skip(1) {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            text = format!("{text}: {cause}");
        }
    }
    text
}

fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("STRAIT_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(std::io::stderr().is_terminal())
        .with_writer(std::io::stderr)
        .init();
}
