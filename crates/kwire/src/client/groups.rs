//! Group operations for an admin (not a member): FindCoordinator (KIP-699 batched keys),
//! ListGroups (KIP-518 states, KIP-848 types), DescribeGroups, OffsetFetch (KIP-709 batched
//! groups) and OffsetCommit with generation -1 and an empty member id, which the coordinator
//! accepts only for groups without active members (how MM2 writes translated offsets).

use std::collections::BTreeMap;
use std::sync::{Arc, MutexGuard};

use bytes::Bytes;
use kafka_protocol::messages::offset_commit_request::{
    OffsetCommitRequestPartition, OffsetCommitRequestTopic,
};
use kafka_protocol::messages::offset_fetch_request::{
    OffsetFetchRequestGroup, OffsetFetchRequestTopic, OffsetFetchRequestTopics,
};
use kafka_protocol::messages::{
    ApiKey, DescribeGroupsRequest, FindCoordinatorRequest, FindCoordinatorResponse, GroupId,
    ListGroupsRequest, OffsetCommitRequest, OffsetFetchRequest, OffsetFetchResponse,
};
use kafka_protocol::protocol::StrBytes;

use super::admin::topic_name;
use super::retry::{self, RouteTo, Routed};
use super::{BrokerInfo, Client, Inner, TopicPartition};
use crate::connection::Messenger;
use crate::error::{Error, Result};

/// What a coordinator coordinates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CoordinatorType {
    /// Consumer groups (key: group id).
    Group,
    /// Transactions (key: transactional id).
    Transaction,
}

impl CoordinatorType {
    fn code(self) -> i8 {
        match self {
            CoordinatorType::Group => 0,
            CoordinatorType::Transaction => 1,
        }
    }
}

/// A group as ListGroups reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedGroup {
    /// Group id.
    pub group_id: String,
    /// `consumer`, `connect`, or empty for offset-only groups.
    pub protocol_type: String,
    /// State (`Empty`, `Stable`, ...), from ListGroups v4.
    pub state: Option<String>,
    /// `classic` or `consumer` (KIP-848), from ListGroups v5.
    pub group_type: Option<String>,
}

/// A member of a classic group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupMember {
    /// Member id.
    pub member_id: String,
    /// Static membership id (KIP-345).
    pub group_instance_id: Option<String>,
    /// The member's client id.
    pub client_id: String,
    /// The member's host.
    pub client_host: String,
    /// Protocol metadata (for consumers: the subscription).
    pub metadata: Bytes,
    /// Assignment (for consumers: the assigned partitions).
    pub assignment: Bytes,
}

/// A described group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupDescription {
    /// Group id.
    pub group_id: String,
    /// State: `Empty`, `Stable`, `Dead`, ...
    pub state: String,
    /// Protocol type, e.g. `consumer`.
    pub protocol_type: String,
    /// Chosen protocol, e.g. `range`.
    pub protocol: String,
    /// Members.
    pub members: Vec<GroupMember>,
}

/// A committed (or to-be-committed) position.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommittedOffset {
    /// The next offset to consume.
    pub offset: i64,
    /// Leader epoch of the record before `offset` (KIP-320), if known.
    pub leader_epoch: Option<i32>,
    /// Free-form metadata.
    pub metadata: Option<String>,
}

impl Routed for String {
    type Key = String;
    fn key(&self) -> String {
        self.clone()
    }
    fn route(&self) -> RouteTo<'_> {
        RouteTo::Coordinator(CoordinatorType::Group, self)
    }
}

impl Client {
    /// The broker coordinating `key` (looked up now, and cached for group operations).
    pub async fn find_coordinator(&self, kind: CoordinatorType, key: &str) -> Result<BrokerInfo> {
        let inner = self.inner();
        retry::with_retries(inner, "find coordinator", || {
            inner.lookup_coordinator(kind, key)
        })
        .await
    }

    /// Every group on every broker.
    pub async fn list_groups(&self) -> Result<Vec<ListedGroup>> {
        let inner = self.inner();
        let brokers: Vec<i32> = inner
            .metadata_for(&[])
            .await?
            .brokers
            .keys()
            .copied()
            .collect();
        let mut out = Vec::new();
        for node in brokers {
            let groups = retry::with_retries(inner, "list groups", || async move {
                let conn = inner.broker_connection(node).await?;
                let resp = inner.send(&conn, |_| ListGroupsRequest::default()).await?;
                inner.check(
                    Some(&conn),
                    ApiKey::ListGroups,
                    || "groups".into(),
                    resp.error_code,
                    None,
                )?;
                Ok(resp.groups)
            })
            .await?;
            out.extend(groups.into_iter().map(|g| ListedGroup {
                group_id: g.group_id.0.to_string(),
                protocol_type: g.protocol_type.to_string(),
                state: Some(g.group_state.to_string()).filter(|s| !s.is_empty()),
                group_type: Some(g.group_type.to_string()).filter(|s| !s.is_empty()),
            }));
        }
        Ok(out)
    }

    /// Describes groups at their coordinators; one result per group.
    pub async fn describe_groups(
        &self,
        groups: Vec<String>,
    ) -> BTreeMap<String, Result<GroupDescription>> {
        retry::routed(
            self.inner(),
            "describe groups",
            groups,
            Error::is_retriable,
            describe_at,
        )
        .await
    }

    /// A group's committed offsets, for all partitions (`None`) or the given ones. Partitions
    /// without a committed offset are absent from the map.
    pub async fn offset_fetch(
        &self,
        group: &str,
        partitions: Option<Vec<TopicPartition>>,
    ) -> Result<BTreeMap<TopicPartition, CommittedOffset>> {
        let inner = self.inner();
        let partitions = &partitions;
        retry::with_retries(inner, "offset fetch", || async move {
            let conn = inner
                .coordinator_connection(CoordinatorType::Group, group)
                .await?;
            let resp = inner
                .send(&conn, |v| {
                    offset_fetch_request(group, partitions.as_deref(), v)
                })
                .await;
            inner.forget_coordinator_on(CoordinatorType::Group, group, &resp);
            read_offset_fetch(inner, &conn, group, resp?)
        })
        .await
    }

    /// Commits offsets as an administrator (generation -1, no member id). The coordinator
    /// refuses this while the group has active members (UNKNOWN_MEMBER_ID or similar), which
    /// comes back as those partitions' errors.
    pub async fn offset_commit(
        &self,
        group: &str,
        offsets: Vec<(TopicPartition, CommittedOffset)>,
    ) -> Result<BTreeMap<TopicPartition, Result<()>>> {
        let inner = self.inner();
        let offsets = &offsets;
        retry::with_retries(inner, "offset commit", || async move {
            let conn = inner
                .coordinator_connection(CoordinatorType::Group, group)
                .await?;
            let resp = inner
                .send(&conn, |v| offset_commit_request(group, offsets, v))
                .await;
            inner.forget_coordinator_on(CoordinatorType::Group, group, &resp);
            let mut out = BTreeMap::new();
            for t in resp?.topics {
                for p in t.partitions {
                    let tp = TopicPartition::new(t.name.0.to_string(), p.partition_index);
                    let r = inner.check(
                        Some(&conn),
                        ApiKey::OffsetCommit,
                        || format!("group '{group}' {tp}"),
                        p.error_code,
                        None,
                    );
                    // A moved coordinator fails every partition the same way: retry all.
                    if let Err(e) = &r
                        && e.is_retriable()
                    {
                        inner.forget_coordinator(CoordinatorType::Group, group);
                        return Err(e.clone());
                    }
                    out.insert(tp, r);
                }
            }
            Ok(out)
        })
        .await
    }
}

impl Inner {
    fn coordinators(
        &self,
    ) -> MutexGuard<'_, std::collections::HashMap<(CoordinatorType, String), i32>> {
        self.coordinators.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The broker a routed request must go to.
    pub(crate) async fn route(&self, to: RouteTo<'_>) -> Result<i32> {
        match to {
            RouteTo::Leader(tp) => Ok(self.leader_for(&tp.topic, tp.partition).await?.0),
            RouteTo::Coordinator(kind, key) => {
                if let Some(id) = self.coordinators().get(&(kind, key.to_owned())) {
                    return Ok(*id);
                }
                Ok(self.lookup_coordinator(kind, key).await?.node_id)
            }
        }
    }

    /// Drops cached routing after a retriable failure that suggests it moved.
    pub(crate) fn forget_route(&self, to: RouteTo<'_>, err: &Error) {
        match to {
            RouteTo::Leader(_) if err.needs_metadata_refresh() => self.metadata.invalidate(),
            RouteTo::Coordinator(kind, key) => self.forget_coordinator(kind, key),
            RouteTo::Leader(_) => {}
        }
    }

    fn forget_coordinator(&self, kind: CoordinatorType, key: &str) {
        self.coordinators().remove(&(kind, key.to_owned()));
    }

    fn forget_coordinator_on<T>(&self, kind: CoordinatorType, key: &str, r: &Result<T>) {
        if let Err(e) = r
            && e.is_retriable()
        {
            self.forget_coordinator(kind, key);
        }
    }

    async fn coordinator_connection(
        &self,
        kind: CoordinatorType,
        key: &str,
    ) -> Result<Arc<Messenger>> {
        let node = self.route(RouteTo::Coordinator(kind, key)).await?;
        let conn = self.broker_connection(node).await;
        self.forget_coordinator_on(kind, key, &conn);
        conn
    }

    /// One FindCoordinator round trip (single key before v4, batched from v4).
    async fn lookup_coordinator(&self, kind: CoordinatorType, key: &str) -> Result<BrokerInfo> {
        let conn = self.any_connection().await?;
        let key_bytes = StrBytes::from_string(key.to_owned());
        let resp = self
            .send(&conn, |v| {
                let req = FindCoordinatorRequest::default().with_key_type(kind.code());
                if v >= 4 {
                    req.with_coordinator_keys(vec![key_bytes])
                } else {
                    req.with_key(key_bytes)
                }
            })
            .await?;
        let info = self.read_coordinator(&conn, kind, key, resp)?;
        self.coordinators()
            .insert((kind, key.to_owned()), info.node_id);
        Ok(info)
    }

    fn read_coordinator(
        &self,
        conn: &Messenger,
        kind: CoordinatorType,
        key: &str,
        resp: FindCoordinatorResponse,
    ) -> Result<BrokerInfo> {
        let label = || format!("{kind:?} coordinator of '{key}'");
        let (code, msg, node, host, port) = match resp.coordinators.into_iter().next() {
            Some(c) => (c.error_code, c.error_message, c.node_id, c.host, c.port),
            None => (
                resp.error_code,
                resp.error_message,
                resp.node_id,
                resp.host,
                resp.port,
            ),
        };
        self.check(
            Some(conn),
            ApiKey::FindCoordinator,
            label,
            code,
            msg.as_ref(),
        )?;
        Ok(BrokerInfo {
            node_id: node.0,
            host: host.to_string(),
            port,
            rack: None,
        })
    }
}

async fn describe_at(
    inner: Arc<Inner>,
    node: i32,
    groups: Vec<String>,
) -> Vec<(String, Result<GroupDescription>)> {
    let sent = async {
        let conn = inner.broker_connection(node).await?;
        let ids = groups
            .iter()
            .map(|g| GroupId(StrBytes::from_string(g.clone())))
            .collect();
        let resp = inner
            .send(&conn, |_| DescribeGroupsRequest::default().with_groups(ids))
            .await?;
        Ok::<_, Error>((conn, resp))
    }
    .await;
    let (conn, resp) = match sent {
        Ok(r) => r,
        Err(e) => return groups.into_iter().map(|g| (g, Err(e.clone()))).collect(),
    };
    let mut by_id: BTreeMap<String, _> = resp
        .groups
        .into_iter()
        .map(|g| (g.group_id.0.to_string(), g))
        .collect();
    groups
        .into_iter()
        .map(|g| {
            let result = match by_id.remove(&g) {
                None => Err(Error::UnexpectedResponse {
                    cluster: inner.cluster.clone(),
                    detail: format!("DescribeGroups response lacks group '{g}'"),
                }),
                Some(d) => inner
                    .check(
                        Some(&conn),
                        ApiKey::DescribeGroups,
                        || format!("group '{g}'"),
                        d.error_code,
                        d.error_message.as_ref(),
                    )
                    .map(|()| GroupDescription {
                        group_id: g.clone(),
                        state: d.group_state.to_string(),
                        protocol_type: d.protocol_type.to_string(),
                        protocol: d.protocol_data.to_string(),
                        members: d
                            .members
                            .into_iter()
                            .map(|m| GroupMember {
                                member_id: m.member_id.to_string(),
                                group_instance_id: m.group_instance_id.map(|s| s.to_string()),
                                client_id: m.client_id.to_string(),
                                client_host: m.client_host.to_string(),
                                metadata: m.member_metadata,
                                assignment: m.member_assignment,
                            })
                            .collect(),
                    }),
            };
            (g, result)
        })
        .collect()
}

fn by_topic(partitions: &[TopicPartition]) -> BTreeMap<&str, Vec<i32>> {
    let mut map: BTreeMap<&str, Vec<i32>> = BTreeMap::new();
    for tp in partitions {
        map.entry(&tp.topic).or_default().push(tp.partition);
    }
    map
}

fn offset_fetch_request(
    group: &str,
    partitions: Option<&[TopicPartition]>,
    version: i16,
) -> OffsetFetchRequest {
    let group_id = GroupId(StrBytes::from_string(group.to_owned()));
    if version >= 8 {
        let topics = partitions.map(|ps| {
            by_topic(ps)
                .into_iter()
                .map(|(t, idx)| {
                    OffsetFetchRequestTopics::default()
                        .with_name(topic_name(t))
                        .with_partition_indexes(idx)
                })
                .collect()
        });
        let g = OffsetFetchRequestGroup::default()
            .with_group_id(group_id)
            .with_topics(topics);
        return OffsetFetchRequest::default().with_groups(vec![g]);
    }
    let topics = partitions.map(|ps| {
        by_topic(ps)
            .into_iter()
            .map(|(t, idx)| {
                OffsetFetchRequestTopic::default()
                    .with_name(topic_name(t))
                    .with_partition_indexes(idx)
            })
            .collect()
    });
    OffsetFetchRequest::default()
        .with_group_id(group_id)
        .with_topics(topics)
}

type Committed = BTreeMap<TopicPartition, CommittedOffset>;

fn read_offset_fetch(
    inner: &Inner,
    conn: &Messenger,
    group: &str,
    resp: OffsetFetchResponse,
) -> Result<Committed> {
    let label = || format!("group '{group}'");
    // (topic, partition, offset, epoch, metadata, error)
    let mut rows = Vec::new();
    if let Some(g) = resp.groups.into_iter().next() {
        inner.check(Some(conn), ApiKey::OffsetFetch, label, g.error_code, None)?;
        for t in g.topics {
            for p in t.partitions {
                rows.push((
                    t.name.0.to_string(),
                    p.partition_index,
                    p.committed_offset,
                    p.committed_leader_epoch,
                    p.metadata,
                    p.error_code,
                ));
            }
        }
    } else {
        inner.check(
            Some(conn),
            ApiKey::OffsetFetch,
            label,
            resp.error_code,
            None,
        )?;
        for t in resp.topics {
            for p in t.partitions {
                rows.push((
                    t.name.0.to_string(),
                    p.partition_index,
                    p.committed_offset,
                    p.committed_leader_epoch,
                    p.metadata,
                    p.error_code,
                ));
            }
        }
    }
    let mut out = BTreeMap::new();
    for (topic, partition, offset, epoch, metadata, code) in rows {
        let tp = TopicPartition::new(topic, partition);
        inner.check(
            Some(conn),
            ApiKey::OffsetFetch,
            || format!("group '{group}' {tp}"),
            code,
            None,
        )?;
        if offset >= 0 {
            let committed = CommittedOffset {
                offset,
                leader_epoch: Some(epoch).filter(|e| *e >= 0),
                metadata: metadata.map(|m| m.to_string()),
            };
            out.insert(tp, committed);
        }
    }
    Ok(out)
}

fn offset_commit_request(
    group: &str,
    offsets: &[(TopicPartition, CommittedOffset)],
    version: i16,
) -> OffsetCommitRequest {
    let mut topics: BTreeMap<&str, Vec<OffsetCommitRequestPartition>> = BTreeMap::new();
    for (tp, c) in offsets {
        let mut p = OffsetCommitRequestPartition::default()
            .with_partition_index(tp.partition)
            .with_committed_offset(c.offset)
            .with_committed_metadata(Some(StrBytes::from_string(
                c.metadata.clone().unwrap_or_default(),
            )));
        if version >= 6 {
            p = p.with_committed_leader_epoch(c.leader_epoch.unwrap_or(-1));
        }
        topics.entry(&tp.topic).or_default().push(p);
    }
    let topics = topics
        .into_iter()
        .map(|(t, ps)| {
            OffsetCommitRequestTopic::default()
                .with_name(topic_name(t))
                .with_partitions(ps)
        })
        .collect();
    OffsetCommitRequest::default()
        .with_group_id(GroupId(StrBytes::from_string(group.to_owned())))
        .with_generation_id_or_member_epoch(-1)
        .with_member_id(StrBytes::new())
        .with_topics(topics)
}
