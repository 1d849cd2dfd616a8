//! `strait offsets translate|apply`: failover of consumer groups by hand, as MM2 users do with
//! `RemoteClusterUtils.translateOffsets` (docs/mm2-compatibility.md, "Offset translation"): read the newest checkpoint of a
//! group per partition from `<source>.checkpoints.internal` on the target, print it, and
//! optionally commit it to the group on the target (only while the group has no active
//! members there, never moving a partition backwards; docs/mm2-compatibility.md, "Checkpoints
//! and group offset sync").

use std::collections::BTreeMap;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::{Args, Subcommand};
use kwire::client::{Client, TopicPartition};
use mirror::checkpoint::CheckpointStore;
use mirror::offsets::group_sync::{Action, GroupPlan, TargetGroup, apply_plan, plan_group};
use mirror::runtime::kafka_client;

use crate::exit::{Refused, Unreachable};
use crate::out;

/// `strait offsets ...`.
#[derive(Debug, Args)]
pub(crate) struct OffsetsArgs {
    #[command(subcommand)]
    command: OffsetsCommand,
}

#[derive(Debug, Subcommand)]
enum OffsetsCommand {
    /// Prints where a consumer group of the source resumes on the target, per partition of
    /// the remote topics, from the checkpoints strait (or MM2) wrote.
    Translate {
        #[command(flatten)]
        group: GroupArgs,
    },
    /// Commits the translated positions to the group on the target. Refuses while the group
    /// has active members there; never moves a partition backwards.
    Apply {
        #[command(flatten)]
        group: GroupArgs,
        /// Shows what would change without writing anything.
        #[arg(long)]
        dry_run: bool,
    },
}

#[derive(Debug, Args)]
struct GroupArgs {
    /// Configuration files (any format `strait run` reads).
    #[arg(long, required = true, num_args = 1..)]
    config: Vec<PathBuf>,
    /// The cluster alias the group consumed from.
    #[arg(long)]
    source: String,
    /// The cluster alias the group moves to.
    #[arg(long)]
    target: String,
    /// The consumer group id (the same on both clusters).
    #[arg(long)]
    group: String,
    /// Kubernetes-style secrets directory for custom resources.
    #[arg(long)]
    secrets_dir: Option<PathBuf>,
    /// Container path mounted from a local folder: `--mount /opt/kafka/custom-config=./connect`.
    #[arg(long, value_name = "CONTAINER_PATH=DIR", value_parser = crate::parse_mount)]
    mount: Vec<(PathBuf, PathBuf)>,
}

pub(crate) fn run(args: OffsetsArgs) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(async {
        match args.command {
            OffsetsCommand::Translate { group } => translate(&group).await,
            OffsetsCommand::Apply { group, dry_run } => apply(&group, dry_run).await,
        }
    })
}

/// The group's newest checkpoints (target partition → offset and metadata), and the client of
/// the target cluster.
async fn checkpoints(
    args: &GroupArgs,
    role: &str,
) -> anyhow::Result<(Client, BTreeMap<TopicPartition, (i64, i64, String)>)> {
    let config = crate::load(crate::Inputs {
        config: args.config.clone(),
        clusters: Vec::new(),
        secrets_dir: args.secrets_dir.clone(),
        mount: args.mount.clone(),
    })?;
    let flow = config.flow(&args.source, &args.target).ok_or_else(|| {
        Refused(format!(
            "{}: no flow {}->{} is configured",
            config.source_file, args.source, args.target
        ))
    })?;
    let client_config = match role {
        "apply" => &flow.clients.target_admin,
        _ => &flow.clients.target_consumer,
    };
    let target = Client::connect(kafka_client(&flow.target, role, client_config)?)
        .await
        .map_err(|source| Unreachable {
            alias: flow.target.clone(),
            source,
        })?;
    let topic = &flow.checkpoints.topic;
    let store = CheckpointStore::read(&target, topic)
        .await
        .with_context(|| format!("reading {topic} on cluster '{}'", flow.target))?;
    let Some(group) = store.group(&args.group) else {
        anyhow::bail!(
            "no checkpoint of group '{}' in {topic} on cluster '{}' (is the checkpoint task of \
             {}->{} running, and does the group commit offsets on replicated topics?)",
            args.group,
            flow.target,
            args.source,
            args.target
        );
    };
    let translated = group
        .iter()
        .map(|(tp, cp)| {
            (
                tp.clone(),
                (cp.downstream, cp.upstream, cp.metadata.clone()),
            )
        })
        .collect();
    Ok((target, translated))
}

async fn translate(args: &GroupArgs) -> anyhow::Result<()> {
    let (_, translated) = checkpoints(args, "offsets-translate").await?;
    out::line("TOPIC\tPARTITION\tOFFSET\tSOURCE-OFFSET")?;
    for (tp, (offset, upstream, _)) in &translated {
        out::line(format_args!(
            "{}\t{}\t{offset}\t{upstream}",
            tp.topic, tp.partition
        ))?;
    }
    Ok(())
}

async fn apply(args: &GroupArgs, dry_run: bool) -> anyhow::Result<()> {
    let (target, translated) = checkpoints(args, "apply").await?;
    let wanted = translated
        .into_iter()
        .map(|(tp, (offset, _, metadata))| (tp, (offset, metadata)))
        .collect();
    let plan = plan_group(&target, &args.group, &wanted).await?;
    print_plan(&plan)?;
    if let TargetGroup::Active(state) = &plan.state {
        anyhow::bail!(
            "consumer group '{}' has active members on cluster '{}' (state {state}); stop its \
             consumers there first",
            args.group,
            args.target
        );
    }
    let writes = plan.writes().count();
    if dry_run {
        out::line(format_args!(
            "dry run: {writes} partition(s) would be written, nothing changed"
        ))?;
        return Ok(());
    }
    let applied = apply_plan(&target, &plan).await?;
    out::line(format_args!(
        "group '{}': {} partition(s) written on cluster '{}'",
        args.group,
        applied.written.len(),
        args.target
    ))?;
    if !applied.failed.is_empty() {
        let failed: Vec<String> = applied
            .failed
            .iter()
            .map(|(tp, e)| format!("{tp}: {e}"))
            .collect();
        anyhow::bail!("offsets not written: {}", failed.join("; "));
    }
    Ok(())
}

fn print_plan(plan: &GroupPlan) -> std::io::Result<()> {
    let state = match &plan.state {
        TargetGroup::Missing => "no such group yet".to_owned(),
        TargetGroup::Empty => "no active members".to_owned(),
        TargetGroup::Active(state) => format!("active ({state})"),
    };
    out::line(format_args!(
        "group '{}' on the target: {state}",
        plan.group
    ))?;
    out::line("TOPIC\tPARTITION\tCURRENT\tTRANSLATED\tACTION")?;
    for c in &plan.changes {
        let current = c.current.map_or_else(|| "-".to_owned(), |o| o.to_string());
        let action = match c.action {
            Action::Write => "write",
            Action::Same => "unchanged",
            Action::TargetAhead => "keep (target ahead)",
        };
        out::line(format_args!(
            "{}\t{}\t{current}\t{}\t{action}",
            c.tp.topic, c.tp.partition, c.translated
        ))?;
    }
    Ok(())
}
