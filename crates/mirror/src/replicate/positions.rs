//! Source positions in Kafka Connect's offsets topic, byte-compatible with Java MM2 dedicated mode
//! (`mm2-offsets.<source>.internal`, JsonConverter with schemas disabled), so that strait and Java
//! MM2 can take over from each other without re-copying data.

use std::fmt::Write as _;

/// One stored position: the last source offset replicated for a source topic partition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourcePosition {
    pub cluster: String,
    pub topic: String,
    pub partition: i32,
    /// Last replicated source offset; replication resumes at `offset + 1`.
    pub offset: i64,
}

/// The record key Java's worker writes, byte for byte:
/// `["MirrorSourceConnector",{"cluster":"A","partition":0,"topic":"t"}]`.
/// Key order matters: Connect compares serialized keys, and Java's HashMap yields this order.
pub fn position_key(connector: &str, cluster: &str, topic: &str, partition: i32) -> Vec<u8> {
    let mut key = String::with_capacity(64 + topic.len());
    key.push('[');
    push_json_string(&mut key, connector);
    key.push_str(",{\"cluster\":");
    push_json_string(&mut key, cluster);
    let _ = write!(key, ",\"partition\":{partition},\"topic\":");
    push_json_string(&mut key, topic);
    key.push_str("}]");
    key.into_bytes()
}

/// The record value: `{"offset":N}`.
pub fn position_value(offset: i64) -> Vec<u8> {
    format!("{{\"offset\":{offset}}}").into_bytes()
}

/// Parses an offsets-topic record written by strait or Java MM2. Returns `None` for records of
/// other connectors or shapes (Connect's offsets topic is shared by every connector of a worker).
/// A tombstone (`value == None`) yields a position of `-1`: nothing replicated.
pub fn parse_position(connector: &str, key: &[u8], value: Option<&[u8]>) -> Option<SourcePosition> {
    let key: serde_json::Value = serde_json::from_slice(key).ok()?;
    let [name, partition_map] = key.as_array()?.as_slice() else {
        return None;
    };
    if name.as_str()? != connector {
        return None;
    }
    let cluster = partition_map.get("cluster")?.as_str()?.to_owned();
    let topic = partition_map.get("topic")?.as_str()?.to_owned();
    let partition = i32::try_from(partition_map.get("partition")?.as_i64()?).ok()?;
    let offset = match value {
        None => -1,
        Some(v) => serde_json::from_slice::<serde_json::Value>(v)
            .ok()?
            .get("offset")?
            .as_i64()?,
    };
    Some(SourcePosition {
        cluster,
        topic,
        partition,
        offset,
    })
}

/// JSON string escaping as Jackson writes it for these keys (quote, backslash, control chars).
fn push_json_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::SOURCE_CONNECTOR;

    #[test]
    fn key_and_value_bytes_match_java_mm2() {
        let key = position_key(SOURCE_CONNECTOR, "A", "orders", 7);
        assert_eq!(
            key,
            br#"["MirrorSourceConnector",{"cluster":"A","partition":7,"topic":"orders"}]"#
        );
        assert_eq!(position_value(41), br#"{"offset":41}"#);
    }

    #[test]
    fn parses_what_it_writes_and_what_java_writes() {
        let key = position_key(SOURCE_CONNECTOR, "A", "t", 0);
        let parsed = parse_position(SOURCE_CONNECTOR, &key, Some(&position_value(9))).unwrap();
        assert_eq!(
            parsed,
            SourcePosition {
                cluster: "A".into(),
                topic: "t".into(),
                partition: 0,
                offset: 9
            }
        );
        // Java's JsonConverter output, with whitespace a different writer might add.
        let java =
            br#"[ "MirrorSourceConnector", { "cluster": "A", "partition": 3, "topic": "x" } ]"#;
        let parsed = parse_position(SOURCE_CONNECTOR, java, Some(br#"{"offset": 100}"#)).unwrap();
        assert_eq!((parsed.partition, parsed.offset), (3, 100));
        assert_eq!(
            parse_position(SOURCE_CONNECTOR, &key, None).unwrap().offset,
            -1
        );
    }

    #[test]
    fn ignores_other_connectors_and_garbage() {
        let key = position_key("MirrorCheckpointConnector", "A", "t", 0);
        assert!(parse_position(SOURCE_CONNECTOR, &key, Some(b"{\"offset\":0}")).is_none());
        assert!(parse_position(SOURCE_CONNECTOR, b"not json", Some(b"{}")).is_none());
        assert!(parse_position(SOURCE_CONNECTOR, b"[\"MirrorSourceConnector\"]", None).is_none());
    }

    #[test]
    fn escapes_like_jackson() {
        let key = position_key(SOURCE_CONNECTOR, "a\"b", "t\\", 1);
        assert_eq!(
            key,
            br#"["MirrorSourceConnector",{"cluster":"a\"b","partition":1,"topic":"t\\"}]"#
        );
    }
}
