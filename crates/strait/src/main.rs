//! The `strait` command: run MirrorMaker 2 flows from the configuration files MM2 users have,
//! or validate them (`connect-mirror-maker.sh` compatible arguments: file, `--clusters`).
#![forbid(unsafe_code)]

mod run;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand, ValueEnum};
use mirror::config::{LoadOptions, MirrorConfig, load_mm2_properties_with};

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
    /// Runs every enabled replication flow of an mm2.properties file until SIGTERM or SIGINT.
    Run {
        /// The MirrorMaker 2 configuration (dedicated-mode mm2.properties).
        config: PathBuf,
        /// Only run flows whose target is one of these cluster aliases.
        #[arg(long, num_args = 1..)]
        clusters: Vec<String>,
    },
    /// Prints the effective flows, filters, internal topics and security (secrets redacted).
    Validate {
        /// The MirrorMaker 2 configuration (dedicated-mode mm2.properties).
        config: PathBuf,
        /// Only show flows whose target is one of these cluster aliases.
        #[arg(long, num_args = 1..)]
        clusters: Vec<String>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Output::Text)]
        output: Output,
    },
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
        Command::Run { config, clusters } => load(&config, clusters).and_then(run::run),
        Command::Validate {
            config,
            clusters,
            output,
        } => load(&config, clusters).map(|c| {
            let summary = c.summary();
            match output {
                Output::Text => println!("{summary}"),
                Output::Json => println!("{}", summary.to_json()),
            }
        }),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("strait: error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn load(path: &std::path::Path, clusters: Vec<String>) -> anyhow::Result<MirrorConfig> {
    let options = LoadOptions {
        clusters: (!clusters.is_empty()).then_some(clusters),
        ..Default::default()
    };
    Ok(load_mm2_properties_with(path, &options)?)
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
