//! Stage 1, fetch: one Fetch request per round to every source leader (KIP-98 isolation as
//! configured), each partition's result handed to the produce stage, and the position to read
//! from compared with the source log's range whenever it may have moved (see
//! docs/mm2-compatibility.md "Data loss and truncation").

use std::collections::HashMap;

use kwire::client::{
    Client, FetchOptions, FetchPartition, IsolationLevel, OffsetSpec, TopicPartition,
};
use kwire::protocol::ResponseError;

use super::metrics::FlowMetrics;
use super::{Flow, flow_name};
use crate::error::ReplicateError;
use crate::settings::DataLossPolicy;

impl Flow {
    /// One Fetch to every source leader, then every returned batch planned and queued for
    /// produce. Sends wait when a partition's queue is full: that is the backpressure.
    pub(super) async fn fetch_round(&mut self) -> Result<(), ReplicateError> {
        if self.partitions.is_empty() {
            tokio::time::sleep(self.settings.fetch_max_wait).await;
            return Ok(());
        }
        let options = FetchOptions {
            max_wait: self.settings.fetch_max_wait,
            isolation: self.isolation(),
            ..Default::default()
        };
        let requests = self
            .partitions
            .iter()
            .map(|(tp, s)| FetchPartition {
                tp: tp.clone(),
                offset: s.next_offset,
                max_bytes: self.settings.max_partition_fetch_bytes,
                current_leader_epoch: None,
            })
            .collect();
        let fetched = self.source.fetch(&options, requests).await?;
        let mut retriable_errors = 0;
        for part in fetched {
            match part.result {
                Ok(data) => {
                    FlowMetrics::add(&self.metrics.bytes_fetched, data.records.len() as u64);
                    self.forward(&part.tp, data.records, &data.aborted_transactions)
                        .await?;
                }
                Err(e) if e.code() == Some(ResponseError::OffsetOutOfRange) => {
                    self.out_of_range(&part.tp).await?
                }
                Err(e) if e.is_retriable() => retriable_errors += 1,
                Err(e) => {
                    tracing::error!(flow = %flow_name(&self.settings), partition = %part.tp, error = %e, "fetch failed; partition stopped");
                    FlowMetrics::add(&self.metrics.partitions_stopped, 1);
                    self.partitions.remove(&part.tp);
                }
            }
        }
        if retriable_errors > 0 {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        Ok(())
    }

    fn isolation(&self) -> IsolationLevel {
        if self.settings.read_committed {
            IsolationLevel::ReadCommitted
        } else {
            IsolationLevel::ReadUncommitted
        }
    }

    /// The source no longer has the offset we asked for: retention deleted it, or the topic
    /// was re-created. Never skipped in silence.
    async fn out_of_range(&mut self, tp: &TopicPartition) -> Result<(), ReplicateError> {
        let bounds = log_bounds(&self.source, std::slice::from_ref(tp)).await?;
        let Some(&(start, end)) = bounds.get(tp) else {
            return Ok(());
        };
        let Some(state) = self.partitions.get(tp) else {
            return Ok(());
        };
        match self.check_loss(tp, state.next_offset, start, end) {
            Some(next) => {
                if let Some(state) = self.partitions.get_mut(tp) {
                    state.next_offset = next;
                }
            }
            None => {
                self.partitions.remove(tp);
            }
        }
        Ok(())
    }

    /// Compares the position to resume from with the source log's current range. Returns the
    /// offset to continue at, or `None` when the data-loss policy stops this partition.
    pub(super) fn check_loss(
        &self,
        tp: &TopicPartition,
        next: i64,
        start: i64,
        end: i64,
    ) -> Option<i64> {
        let lost = if next < start {
            format!(
                "offsets {next}..{} were deleted by the source before replication",
                start - 1
            )
        } else if next > end {
            format!(
                "the position {next} is beyond the source log end {end}: the topic was re-created or truncated"
            )
        } else {
            return Some(next);
        };
        FlowMetrics::add(&self.metrics.data_loss_events, 1);
        let flow = flow_name(&self.settings);
        match self.settings.data_loss {
            DataLossPolicy::Fail => {
                FlowMetrics::add(&self.metrics.partitions_stopped, 1);
                tracing::error!(%flow, partition = %tp, lost, policy = "fail", "DATA LOSS: source data was never replicated; this partition is stopped (set strait.data.loss.policy=continue to resume from the oldest data)");
                None
            }
            DataLossPolicy::Continue => {
                tracing::error!(%flow, partition = %tp, lost, policy = "continue", resume_at = start, "DATA LOSS: source data was never replicated; continuing from the oldest available offset");
                Some(start)
            }
        }
    }
}

/// Earliest and latest offsets of source partitions.
pub(super) async fn log_bounds(
    source: &Client,
    partitions: &[TopicPartition],
) -> Result<HashMap<TopicPartition, (i64, i64)>, ReplicateError> {
    let isolation = IsolationLevel::ReadUncommitted;
    let request = |spec| partitions.iter().map(|tp| (tp.clone(), spec)).collect();
    let earliest = source
        .list_offsets(isolation, request(OffsetSpec::Earliest))
        .await;
    let mut latest = source
        .list_offsets(isolation, request(OffsetSpec::Latest))
        .await;
    let mut out = HashMap::new();
    for (tp, start) in earliest {
        let end = latest
            .remove(&tp)
            .ok_or(ReplicateError::TopicUnavailable {
                cluster: source.cluster_name().to_owned(),
                topic: tp.to_string(),
            })??;
        out.insert(tp, (start?.offset, end.offset));
    }
    Ok(out)
}
