//! `strait run`: one replication flow task per enabled `A->B`, sharing one client per cluster
//! role, stopped by SIGTERM/SIGINT with in-flight data drained and positions stored.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use kwire::client::Client;
use mirror::checkpoint::run_checkpoints;
use mirror::heartbeat::run_heartbeats;
use mirror::replicate::{FlowMetrics, MetricsSnapshot, run_flow};
use mirror::runtime::{checkpoint_settings, flow_settings, heartbeat_settings, kafka_client};
use mirror::settings::Share;
use strait_config::MirrorConfig;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::exit::{Refused, Unreachable};

/// How often a running flow logs its counters.
const STATS_INTERVAL: Duration = Duration::from_secs(30);

pub(crate) fn run(config: MirrorConfig, share: Share) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    runtime.block_on(run_flows(config, share))
}

async fn run_flows(config: MirrorConfig, share: Share) -> anyhow::Result<()> {
    let flows: Vec<_> = config
        .enabled_flows()
        .filter(|f| !f.is_heartbeats_only())
        .collect();
    if flows.is_empty() {
        return Err(Refused(format!(
            "{}: no enabled replication flow (set e.g. A->B.enabled = true)",
            config.source_file
        ))
        .into());
    }
    log_flows(&config);
    if share.count() > 1 {
        tracing::info!(
            instance = share.index(),
            instances = share.count(),
            checkpoints_and_heartbeats = share.index() == 0,
            "copying this instance's share of the partitions"
        );
    }
    let (stop, stopped) = watch::channel(false);
    let mut tasks = JoinSet::new();
    for flow in flows {
        let name = flow.name();
        let source = connect(&flow.source, "consumer", &flow.clients.source_consumer).await?;
        let target = connect(&flow.target, "producer", &flow.clients.replication_producer).await?;
        let metrics = Arc::new(FlowMetrics::default());
        let mut settings = flow_settings(flow);
        settings.share = share;
        if let Some(syncs) = &mut settings.offset_syncs {
            // Offset syncs are written with the producer settings of their cluster, as MM2.
            let producer = flow.offset_syncs_producer();
            syncs.client =
                Some(connect(flow.offset_syncs_cluster(), "offset-syncs", producer).await?);
        }
        tracing::info!(flow = %name, settings = ?settings, "starting flow");
        tokio::spawn(log_stats(name.clone(), metrics.clone(), stopped.clone()));
        let flow_stopped = stopped.clone();
        tasks.spawn(async move {
            let result = run_flow(source, target, settings, metrics.clone(), flow_stopped).await;
            (name, Some(metrics.snapshot()), result)
        });
        // MM2's checkpoint connector of the flow (and its target group offset sync): one
        // instance emits them for all partitions, from the syncs every instance writes.
        if let Some(settings) = checkpoint_settings(flow).filter(|_| share.index() == 0) {
            let name = format!("{} checkpoints", flow.name());
            let source = connect(&flow.source, "checkpoints", &flow.clients.source_admin).await?;
            let target =
                connect(&flow.target, "checkpoints", &flow.clients.target_producer).await?;
            let stopped = stopped.clone();
            tasks.spawn(async move {
                let result = run_checkpoints(source, target, settings, stopped).await;
                (name, None, result)
            });
        }
    }
    // Dedicated mode beats for every flow that emits heartbeats (`--clusters` already chose
    // the flows), replicating or not.
    let beating = share.index() == 0;
    for flow in config
        .flows
        .iter()
        .filter(|f| beating && f.emits_heartbeats())
    {
        let name = format!("{} heartbeats", flow.name());
        let target = connect(&flow.target, "heartbeats", &flow.clients.target_producer).await?;
        let settings = heartbeat_settings(flow);
        let stopped = stopped.clone();
        tasks.spawn(async move { (name, None, run_heartbeats(target, settings, stopped).await) });
    }
    let stop = Arc::new(stop);
    let on_signal = stop.clone();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("stopping: draining in-flight data and storing positions");
        on_signal.send_replace(true);
    });
    let mut failures = Vec::new();
    while let Some(joined) = tasks.join_next().await {
        let (name, totals, result) = joined.context("a flow task panicked")?;
        if let Some(totals) = totals {
            log_totals(&name, &totals);
        }
        if let Err(e) = result {
            // A process that keeps running with a dead flow looks healthy but does not
            // replicate: stop the others (they drain and store positions) and exit non-zero.
            tracing::error!(flow = %name, error = %e, "flow failed; stopping the other flows");
            stop.send_replace(true);
            failures.push(format!("{name}: {e}"));
        }
    }
    if !failures.is_empty() {
        anyhow::bail!("flow failed: {}", failures.join("; "));
    }
    Ok(())
}

/// One line per flow, before anything connects: which clusters, where, how (never secrets).
fn log_flows(config: &MirrorConfig) {
    let describe = |alias: &str| {
        config.clusters.get(alias).map_or_else(
            || (String::new(), "unknown"),
            |c| (c.bootstrap_servers.join(","), c.security.protocol.name()),
        )
    };
    for flow in &config.flows {
        let (source_bootstrap, source_security) = describe(&flow.source);
        let (target_bootstrap, target_security) = describe(&flow.target);
        let what = if flow.is_heartbeats_only() {
            "heartbeats only"
        } else {
            "replicating"
        };
        tracing::info!(
            source = %flow.source,
            source_bootstrap = %source_bootstrap,
            source_security = %source_security,
            target = %flow.target,
            target_bootstrap = %target_bootstrap,
            target_security = %target_security,
            "flow {}: {what}",
            flow.name()
        );
    }
}

async fn connect(
    alias: &str,
    role: &str,
    c: &strait_config::model::ClientConfig,
) -> anyhow::Result<Client> {
    let config = kafka_client(alias, role, c)?;
    Client::connect(config).await.map_err(|source| {
        Unreachable {
            alias: alias.to_owned(),
            source,
        }
        .into()
    })
}

async fn wait_for_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = ctrl_c => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = ctrl_c.await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}

async fn log_stats(flow: String, metrics: Arc<FlowMetrics>, mut stopped: watch::Receiver<bool>) {
    let mut tick = tokio::time::interval(STATS_INTERVAL);
    tick.tick().await;
    loop {
        tokio::select! {
            _ = tick.tick() => log_totals(&flow, &metrics.snapshot()),
            _ = stopped.changed() => return,
        }
    }
}

fn log_totals(flow: &str, m: &MetricsSnapshot) {
    tracing::info!(
        flow,
        records = m.records_replicated,
        batches_forwarded = m.batches_forwarded,
        batches_reencoded = m.batches_reencoded,
        batches_skipped = m.batches_skipped,
        bytes_produced = m.bytes_produced,
        data_loss_events = m.data_loss_events,
        partitions_stopped = m.partitions_stopped,
        offset_syncs_dropped = m.offset_syncs_dropped,
        "replication summary"
    );
}
