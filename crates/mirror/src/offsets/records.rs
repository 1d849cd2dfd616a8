//! MM2's internal record formats (Kafka protocol `Struct` encoding: big-endian fields, INT16
//! length-prefixed UTF-8 strings, no tags): OffsetSync (offset-syncs topic), Checkpoint v0
//! (`<source>.checkpoints.internal`) and Heartbeat v0 (`heartbeats`), byte for byte as Java
//! MM2 and its formatters read them. Readers ignore trailing bytes, as Java's `Schema.read` does.

use bytes::{Buf, BufMut, Bytes, BytesMut};

/// A record that is not one of these formats.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FormatError {
    #[error("{what}: record ends after {available} bytes, {needed} more needed")]
    Truncated {
        what: &'static str,
        needed: usize,
        available: usize,
    },
    #[error("{what}: string field has negative length {length}")]
    NullString { what: &'static str, length: i16 },
    #[error("{what}: string field is not UTF-8")]
    NotUtf8 { what: &'static str },
    #[error("{what}: string of {length} bytes exceeds 32767")]
    StringTooLong { what: &'static str, length: usize },
    #[error("{what}: unsupported version {version}")]
    Version { what: &'static str, version: i16 },
}

/// Upstream offset `upstream` of `topic`-`partition` was written at downstream offset
/// `downstream`. The topic is the source (un-renamed) name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OffsetSync {
    pub topic: String,
    pub partition: i32,
    pub upstream: i64,
    pub downstream: i64,
}

/// A consumer group's source position translated to the target. `topic` is the target-side
/// (renamed) topic name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checkpoint {
    pub group: String,
    pub topic: String,
    pub partition: i32,
    pub upstream: i64,
    pub downstream: i64,
    pub metadata: String,
}

/// A liveness beacon of flow `source->target`, emitted at `timestamp` (epoch ms).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    pub source: String,
    pub target: String,
    pub timestamp: i64,
}

/// An encoded record: key and value bytes.
pub type KeyValue = (Bytes, Bytes);

const VERSION_0: i16 = 0;

impl OffsetSync {
    pub fn encode(&self) -> Result<KeyValue, FormatError> {
        let mut key = BytesMut::new();
        put_string(&mut key, "OffsetSync", &self.topic)?;
        key.put_i32(self.partition);
        let mut value = BytesMut::with_capacity(16);
        value.put_i64(self.upstream);
        value.put_i64(self.downstream);
        Ok((key.freeze(), value.freeze()))
    }

    pub fn decode(key: &[u8], value: &[u8]) -> Result<Self, FormatError> {
        const WHAT: &str = "OffsetSync";
        let (mut k, mut v) = (key, value);
        Ok(OffsetSync {
            topic: get_string(&mut k, WHAT)?,
            partition: get_i32(&mut k, WHAT)?,
            upstream: get_i64(&mut v, WHAT)?,
            downstream: get_i64(&mut v, WHAT)?,
        })
    }
}

impl Checkpoint {
    pub fn encode(&self) -> Result<KeyValue, FormatError> {
        const WHAT: &str = "Checkpoint";
        let mut key = BytesMut::new();
        put_string(&mut key, WHAT, &self.group)?;
        put_string(&mut key, WHAT, &self.topic)?;
        key.put_i32(self.partition);
        let mut value = BytesMut::new();
        value.put_i16(VERSION_0);
        value.put_i64(self.upstream);
        value.put_i64(self.downstream);
        put_string(&mut value, WHAT, &self.metadata)?;
        Ok((key.freeze(), value.freeze()))
    }

    pub fn decode(key: &[u8], value: &[u8]) -> Result<Self, FormatError> {
        const WHAT: &str = "Checkpoint";
        let (mut k, mut v) = (key, value);
        let (group, topic, partition) = (
            get_string(&mut k, WHAT)?,
            get_string(&mut k, WHAT)?,
            get_i32(&mut k, WHAT)?,
        );
        expect_version_0(&mut v, WHAT)?;
        Ok(Checkpoint {
            group,
            topic,
            partition,
            upstream: get_i64(&mut v, WHAT)?,
            downstream: get_i64(&mut v, WHAT)?,
            metadata: get_string(&mut v, WHAT)?,
        })
    }
}

impl Heartbeat {
    pub fn encode(&self) -> Result<KeyValue, FormatError> {
        const WHAT: &str = "Heartbeat";
        let mut key = BytesMut::new();
        put_string(&mut key, WHAT, &self.source)?;
        put_string(&mut key, WHAT, &self.target)?;
        let mut value = BytesMut::with_capacity(10);
        value.put_i16(VERSION_0);
        value.put_i64(self.timestamp);
        Ok((key.freeze(), value.freeze()))
    }

    pub fn decode(key: &[u8], value: &[u8]) -> Result<Self, FormatError> {
        const WHAT: &str = "Heartbeat";
        let (mut k, mut v) = (key, value);
        let (source, target) = (get_string(&mut k, WHAT)?, get_string(&mut k, WHAT)?);
        expect_version_0(&mut v, WHAT)?;
        Ok(Heartbeat {
            source,
            target,
            timestamp: get_i64(&mut v, WHAT)?,
        })
    }
}

fn put_string(out: &mut BytesMut, what: &'static str, s: &str) -> Result<(), FormatError> {
    let length = i16::try_from(s.len()).map_err(|_| FormatError::StringTooLong {
        what,
        length: s.len(),
    })?;
    out.put_i16(length);
    out.put_slice(s.as_bytes());
    Ok(())
}

fn need(buf: &[u8], what: &'static str, needed: usize) -> Result<(), FormatError> {
    if buf.len() < needed {
        return Err(FormatError::Truncated {
            what,
            needed: needed - buf.len(),
            available: buf.len(),
        });
    }
    Ok(())
}

fn get_string(buf: &mut &[u8], what: &'static str) -> Result<String, FormatError> {
    need(buf, what, 2)?;
    let length = buf.get_i16();
    let len = usize::try_from(length).map_err(|_| FormatError::NullString { what, length })?;
    need(buf, what, len)?;
    let text = std::str::from_utf8(&buf[..len])
        .map_err(|_| FormatError::NotUtf8 { what })?
        .to_owned();
    buf.advance(len);
    Ok(text)
}

fn get_i32(buf: &mut &[u8], what: &'static str) -> Result<i32, FormatError> {
    need(buf, what, 4)?;
    Ok(buf.get_i32())
}

fn get_i64(buf: &mut &[u8], what: &'static str) -> Result<i64, FormatError> {
    need(buf, what, 8)?;
    Ok(buf.get_i64())
}

/// Java readers only know version 0; a higher version is refused rather than misread.
fn expect_version_0(buf: &mut &[u8], what: &'static str) -> Result<(), FormatError> {
    need(buf, what, 2)?;
    match buf.get_i16() {
        VERSION_0 => Ok(()),
        version => Err(FormatError::Version { what, version }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    /// The byte examples of docs/mm2-compatibility.md "Byte formats" (MM2's own layout).
    #[test]
    fn bytes_match_mm2() {
        let sync = OffsetSync {
            topic: "orders".into(),
            partition: 3,
            upstream: 1000,
            downstream: 990,
        };
        let (k, v) = sync.encode().unwrap();
        assert_eq!(hex(&k), "00066f726465727300000003");
        assert_eq!(hex(&v), "00000000000003e800000000000003de");
        assert_eq!(OffsetSync::decode(&k, &v).unwrap(), sync);

        let cp = Checkpoint {
            group: "g1".into(),
            topic: "A.orders".into(),
            partition: 3,
            upstream: 1000,
            downstream: 991,
            metadata: String::new(),
        };
        let (k, v) = cp.encode().unwrap();
        assert_eq!(
            hex(&k),
            "00026731000841 2e6f726465727300000003".replace(' ', "")
        );
        assert_eq!(hex(&v), "000000000000000003e800000000000003df0000");
        assert_eq!(Checkpoint::decode(&k, &v).unwrap(), cp);

        let hb = Heartbeat {
            source: "A".into(),
            target: "B".into(),
            timestamp: 0x0102_0304_0506_0708,
        };
        let (k, v) = hb.encode().unwrap();
        assert_eq!(hex(&k), "000141000142");
        assert_eq!(hex(&v), "00000102030405060708");
        assert_eq!(Heartbeat::decode(&k, &v).unwrap(), hb);
    }

    #[test]
    fn trailing_bytes_are_ignored_and_bad_input_is_an_error() {
        let (k, v) = Heartbeat {
            source: "A".into(),
            target: "B".into(),
            timestamp: 5,
        }
        .encode()
        .unwrap();
        let mut longer = v.to_vec();
        longer.extend_from_slice(&[9, 9, 9]);
        assert_eq!(Heartbeat::decode(&k, &longer).unwrap().timestamp, 5);
        assert!(matches!(
            Heartbeat::decode(&k[..3], &v),
            Err(FormatError::Truncated { .. })
        ));
        assert!(matches!(
            Heartbeat::decode(&k, &[0, 1, 0]),
            Err(FormatError::Version { version: 1, .. })
        ));
        assert!(matches!(
            OffsetSync::decode(&[0xff, 0xff], &[]),
            Err(FormatError::NullString { .. })
        ));
        assert!(matches!(
            OffsetSync::decode(&[0, 1, 0xff, 0, 0, 0, 0], &[0; 16]),
            Err(FormatError::NotUtf8 { .. })
        ));
    }

    proptest::proptest! {
        #[test]
        fn checkpoints_round_trip(group in ".{0,40}", topic in "[a-zA-Z0-9._-]{1,60}", partition: i32,
                                  upstream: i64, downstream: i64, metadata in ".{0,40}") {
            let cp = Checkpoint { group, topic, partition, upstream, downstream, metadata };
            let (k, v) = cp.encode().unwrap();
            proptest::prop_assert_eq!(Checkpoint::decode(&k, &v).unwrap(), cp);
        }

        #[test]
        fn decoders_never_panic(key in proptest::collection::vec(proptest::num::u8::ANY, 0..64),
                                value in proptest::collection::vec(proptest::num::u8::ANY, 0..64)) {
            let _ = OffsetSync::decode(&key, &value);
            let _ = Checkpoint::decode(&key, &value);
            let _ = Heartbeat::decode(&key, &value);
        }
    }
}
