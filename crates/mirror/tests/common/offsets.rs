//! Offset translation fixtures: a flow `A->B` with offset syncs plus the checkpoint task, group
//! commits made as an administrator, the syncs topic read back, and the target offset a
//! translation must give (found by content).

use std::sync::Arc;
use std::time::Duration;

use kwire::client::{Client, CommittedOffset, TopicPartition};
use mirror::checkpoint::CheckpointSettings;
use mirror::internal_topics::TopicTail;
use mirror::offsets::index::TranslationIndex;
use mirror::offsets::sync::SyncRecord;
use mirror::settings::FlowSettings;
use mirror::settings::OffsetSyncSettings;
use strait_harness::{Harness, unique_topic};

use super::flow::{Running, settings};
use super::log::Log;

/// Commits `offset` for `group` as an administrator (the group has no members).
pub async fn commit(client: &Client, group: &str, topic: &str, partition: i32, offset: i64) {
    let position = CommittedOffset {
        offset,
        leader_epoch: None,
        metadata: Some(format!("meta-{offset}")),
    };
    let tp = TopicPartition::new(topic, partition);
    let answers = client
        .offset_commit(group, vec![(tp.clone(), position)])
        .await
        .unwrap();
    answers[&tp].clone().unwrap();
}

pub async fn committed(client: &Client, group: &str, topic: &str, partition: i32) -> Option<i64> {
    let tp = TopicPartition::new(topic, partition);
    let offsets = client
        .offset_fetch(group, Some(vec![tp.clone()]))
        .await
        .unwrap();
    offsets.get(&tp).map(|c| c.offset).filter(|o| *o >= 0)
}

/// Names of one test's flow: source topics start with `prefix`, groups with `groups`.
#[derive(Debug, Clone)]
pub struct Names {
    pub prefix: String,
    pub groups: String,
    pub syncs_topic: String,
    pub checkpoints_topic: String,
}

impl Names {
    pub fn new(what: &str) -> Names {
        let prefix = unique_topic(what);
        Names {
            groups: format!("{prefix}-g"),
            syncs_topic: format!("mm2-offset-syncs.{prefix}.internal"),
            checkpoints_topic: format!("{prefix}.checkpoints.internal"),
            prefix,
        }
    }
}

pub fn flow_settings(names: &Names) -> FlowSettings {
    let mut s = settings(&names.prefix);
    s.offset_syncs = Some(OffsetSyncSettings {
        topic: names.syncs_topic.clone(),
        on_target: false,
        replication_factor: 1,
        lag_max: 100,
        client: None,
    });
    s
}

pub fn checkpoint_settings(names: &Names) -> CheckpointSettings {
    let (prefix, groups) = (names.prefix.clone(), names.groups.clone());
    CheckpointSettings {
        source_alias: "A".into(),
        target_alias: "B".into(),
        topic: names.checkpoints_topic.clone(),
        replication_factor: 1,
        offset_syncs_topic: names.syncs_topic.clone(),
        offset_syncs_on_target: false,
        emit_interval: Duration::from_millis(500),
        refresh_groups_interval: Some(Duration::from_millis(500)),
        select_group: Arc::new(move |g| g.starts_with(&groups)),
        select_topic: Arc::new(move |t| t.starts_with(&prefix)),
        rename_topic: Arc::new(|t| format!("A.{t}")),
        sync_group_offsets: Some(Duration::from_millis(500)),
    }
}

/// The flow and the checkpoint task of `names`.
pub async fn start_mirror(h: &Harness, names: &Names) -> Running {
    Running::with_checkpoints(h, flow_settings(names), checkpoint_settings(names)).await
}

/// Every record of the offset-syncs `topic`, in topic order.
pub async fn sync_records(source: &Client, topic: &str) -> Vec<SyncRecord> {
    let records = TopicTail::new(source.clone(), topic)
        .read_to_end()
        .await
        .unwrap();
    records
        .iter()
        .map(|r| SyncRecord::decode(r.key.as_deref().unwrap(), r.value.as_deref().unwrap()))
        .map(Result::unwrap)
        .collect()
}

/// The translation index as strait's checkpoint task builds it: from the whole syncs topic.
pub async fn index_from_topic(source: &Client, topic: &str) -> TranslationIndex {
    let mut index = TranslationIndex::default();
    for sync in sync_records(source, topic).await {
        index.insert(&sync);
    }
    index
}

/// Where a consumer of the target should start for source position `position`: the target
/// offset holding the first source record at or after it (compared by content), or the
/// target's end when there is none. `None` while that record has not arrived.
pub fn exact_target(source: &Log, target: &Log, position: i64) -> Option<i64> {
    match source.first_from(position) {
        Some(first) => {
            let hits: Vec<i64> = target
                .records
                .iter()
                .filter(|r| r.value == first.value)
                .map(|r| r.offset)
                .collect();
            assert!(
                hits.len() <= 1,
                "source record {:?} is on the target {} times",
                first.value,
                hits.len()
            );
            hits.first().copied()
        }
        None => Some(target.end),
    }
}
