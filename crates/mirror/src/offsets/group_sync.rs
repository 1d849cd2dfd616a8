//! Group offset sync (KIP-545, MM2's `sync.group.offsets.enabled`; docs/mm2-compatibility.md
//! "Checkpoints and group offset sync"): writing translated positions into consumer groups on
//! the target, for the checkpoint task and `strait offsets apply`; only for
//! groups without active members there, and never moving a partition backwards (a target
//! group ahead of the translation has consumed on the target already).

use std::collections::BTreeMap;

use kwire::client::{Client, CommittedOffset, TopicPartition};
use kwire::protocol::ResponseError;

use crate::error::ReplicateError;

/// The state of a consumer group on the target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetGroup {
    /// No such group: nothing committed, nobody consuming.
    Missing,
    /// Committed offsets, no members.
    Empty,
    /// Members are consuming (`Stable`, `PreparingRebalance`, ...): hands off.
    Active(String),
}

/// What writing one partition's translated position would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// The translated offset is ahead of the target's (or the target has none): write it.
    Write,
    /// The target already holds exactly this offset.
    Same,
    /// The target group is further along than the translation: left as it is.
    TargetAhead,
}

/// One partition of a plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// The target-side topic partition.
    pub tp: TopicPartition,
    /// The group's committed offset on the target now.
    pub current: Option<i64>,
    /// The translated offset.
    pub translated: i64,
    /// Commit metadata copied from the source group.
    pub metadata: String,
    pub action: Action,
}

/// What syncing one group would change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupPlan {
    pub group: String,
    pub state: TargetGroup,
    pub changes: Vec<Change>,
}

impl GroupPlan {
    /// Partitions that would be written.
    pub fn writes(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.action == Action::Write)
    }
}

/// The group's state on the target. A group unknown to the classic DescribeGroups (a KIP-848
/// `consumer` group answers GROUP_ID_NOT_FOUND there) is looked up in ListGroups.
pub async fn target_group(target: &Client, group: &str) -> Result<TargetGroup, ReplicateError> {
    let described = target
        .describe_groups(vec![group.to_owned()])
        .await
        .remove(group);
    let state = match described {
        Some(Ok(d)) => d.state,
        Some(Err(e)) if e.code() == Some(ResponseError::GroupIdNotFound) => {
            let listed = target.list_groups().await?;
            match listed.into_iter().find(|g| g.group_id == group) {
                Some(g) => g.state.unwrap_or_else(|| "Unknown".to_owned()),
                None => "Dead".to_owned(),
            }
        }
        Some(Err(e)) => return Err(e.into()),
        None => "Dead".to_owned(),
    };
    Ok(match state.as_str() {
        "Dead" | "" => TargetGroup::Missing,
        "Empty" => TargetGroup::Empty,
        _ => TargetGroup::Active(state),
    })
}

/// Compares `translated` (target partition → offset and metadata) with what `group` holds on
/// the target.
pub async fn plan_group(
    target: &Client,
    group: &str,
    translated: &BTreeMap<TopicPartition, (i64, String)>,
) -> Result<GroupPlan, ReplicateError> {
    let state = target_group(target, group).await?;
    let current = match state {
        TargetGroup::Missing => BTreeMap::new(),
        _ => target.offset_fetch(group, None).await?,
    };
    let changes = translated
        .iter()
        .map(|(tp, (offset, metadata))| {
            let now = current.get(tp).map(|c| c.offset).filter(|o| *o >= 0);
            let action = match now {
                Some(n) if n == *offset => Action::Same,
                Some(n) if n > *offset => Action::TargetAhead,
                _ => Action::Write,
            };
            Change {
                tp: tp.clone(),
                current: now,
                translated: *offset,
                metadata: metadata.clone(),
                action,
            }
        })
        .collect();
    Ok(GroupPlan {
        group: group.to_owned(),
        state,
        changes,
    })
}

/// The outcome of applying a plan.
#[derive(Debug, Default)]
pub struct Applied {
    pub written: Vec<TopicPartition>,
    pub failed: Vec<(TopicPartition, kwire::error::Error)>,
}

/// Writes the plan's `Write` partitions. Refuses a group with active members: the coordinator
/// would refuse too (an admin commit without a member id), and their positions are theirs.
pub async fn apply_plan(target: &Client, plan: &GroupPlan) -> Result<Applied, ReplicateError> {
    if let TargetGroup::Active(state) = &plan.state {
        return Err(ReplicateError::GroupActive {
            group: plan.group.clone(),
            state: state.clone(),
        });
    }
    let offsets: Vec<(TopicPartition, CommittedOffset)> = plan
        .writes()
        .map(|c| {
            let offset = CommittedOffset {
                offset: c.translated,
                leader_epoch: None,
                metadata: Some(c.metadata.clone()),
            };
            (c.tp.clone(), offset)
        })
        .collect();
    let mut applied = Applied::default();
    if offsets.is_empty() {
        return Ok(applied);
    }
    for (tp, result) in target.offset_commit(&plan.group, offsets).await? {
        match result {
            Ok(()) => applied.written.push(tp),
            Err(e) => applied.failed.push((tp, e)),
        }
    }
    Ok(applied)
}
