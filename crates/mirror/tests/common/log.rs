//! Partitions read back as the broker stores them (batches, control batches included, and the
//! data records), so that tests compare what a consumer sees and how the log is laid out.

use std::time::Duration;

use bytes::Bytes;
use kwire::batch::{Batch, BatchView, Header, Record, split};
use kwire::client::{Client, FetchOptions, FetchPartition, TopicPartition};

use super::kafka::{bounds, eventually};

/// What a consumer sees of one record (offsets differ between source and target).
pub type Rec = (i64, Option<Bytes>, Option<Bytes>, Vec<Header>);

pub fn rec(r: &Record) -> Rec {
    (
        r.timestamp,
        r.key.clone(),
        r.value.clone(),
        r.headers.clone(),
    )
}

/// One partition as it is stored: every batch (control batches included) from the log start to
/// the high watermark, and the data records of the non-control batches in offset order.
#[derive(Clone)]
pub struct Log {
    pub batches: Vec<BatchView>,
    pub records: Vec<Record>,
    pub start: i64,
    pub end: i64,
}

impl Log {
    pub fn recs(&self) -> Vec<Rec> {
        self.records.iter().map(rec).collect()
    }

    pub fn values(&self) -> Vec<String> {
        self.records
            .iter()
            .map(|r| String::from_utf8(r.value.as_deref().unwrap_or(b"<null>").to_vec()).unwrap())
            .collect()
    }

    /// The first record at or after `position`.
    pub fn first_from(&self, position: i64) -> Option<&Record> {
        self.records.iter().find(|r| r.offset >= position)
    }

    /// Whether some offset in `start..end` holds no record (compaction, markers, deletion).
    pub fn has_gaps(&self) -> bool {
        (self.records.len() as i64) < self.end - self.start
    }

    /// Panics unless the offsets are `0..end` without a hole, in plain data batches.
    pub fn assert_dense_data(&self, what: &str) {
        assert_eq!(self.start, 0, "{what}: log start");
        let mut next = 0;
        for b in &self.batches {
            assert!(
                !b.is_control(),
                "{what}: control batch at {}",
                b.base_offset()
            );
            assert!(
                !b.is_transactional(),
                "{what}: transactional batch at {}",
                b.base_offset()
            );
            assert_eq!(b.base_offset(), next, "{what}: batch base offset");
            assert_eq!(
                i64::from(b.records_count()),
                i64::from(b.last_offset_delta()) + 1,
                "{what}: batch at {} is not dense",
                b.base_offset()
            );
            next = b.last_offset() + 1;
        }
        assert_eq!(next, self.end, "{what}: end offset");
        let offsets: Vec<i64> = self.records.iter().map(|r| r.offset).collect();
        assert!(
            offsets.iter().copied().eq(0..self.end),
            "{what}: offsets are not 0..{}",
            self.end
        );
    }
}

/// Whether the cleaner left out records of the batch (its offsets are not all taken).
pub fn is_sparse(b: &BatchView) -> bool {
    i64::from(b.records_count()) != i64::from(b.last_offset_delta()) + 1
}

pub async fn read_log(client: &Client, topic: &str, partition: i32) -> Log {
    let tp = TopicPartition::new(topic, partition);
    let (start, end) = bounds(client, topic, partition..partition + 1).await[0];
    let mut log = Log {
        batches: Vec::new(),
        records: Vec::new(),
        start,
        end,
    };
    let mut offset = start;
    while offset < end {
        let before = offset;
        for b in fetch(client, &tp, offset).await {
            // A fetch may start with the batch holding `offset`, already partly read.
            if b.last_offset() < offset {
                continue;
            }
            offset = b.last_offset() + 1;
            if !b.is_control() {
                let records = b.records().unwrap().into_iter();
                log.records.extend(records.filter(|r| r.offset >= before));
            }
            log.batches.push(b);
        }
        assert!(offset > before, "{tp}: no progress reading at {offset}");
    }
    log
}

/// The batches one fetch at `offset` returns.
async fn fetch(client: &Client, tp: &TopicPartition, offset: i64) -> Vec<BatchView> {
    let req = FetchPartition {
        tp: tp.clone(),
        offset,
        max_bytes: 8 << 20,
        current_leader_epoch: None,
    };
    let fetched = client
        .fetch(&FetchOptions::default(), vec![req])
        .await
        .unwrap();
    let data = fetched.into_iter().next().unwrap().result.unwrap();
    split(data.records)
        .map(|batch| {
            let Batch::V2(b) = batch.unwrap() else {
                panic!("legacy batch on a 4.x topic")
            };
            b
        })
        .collect()
}

pub async fn read_topic(client: &Client, topic: &str, partitions: i32) -> Vec<Log> {
    let mut out = Vec::new();
    for p in 0..partitions {
        out.push(read_log(client, topic, p).await);
    }
    out
}

pub fn assert_same_records(topic: &str, want: &[Log], got: &[Log]) {
    assert_eq!(want.len(), got.len(), "{topic}: partitions");
    for (p, (w, g)) in want.iter().zip(got).enumerate() {
        assert_eq!(
            w.records.len(),
            g.records.len(),
            "{topic}-{p}: record count"
        );
        for (i, (a, b)) in w.recs().iter().zip(g.recs()).enumerate() {
            assert!(
                *a == b,
                "{topic}-{p}: record {i} differs\n source {a:?}\n target {b:?}"
            );
        }
    }
}

/// The batch layout of a topic: `(base offset, last offset, record count)` per partition.
pub type Shape = Vec<Vec<(i64, i64, i32)>>;

pub fn shape(logs: &[Log]) -> Shape {
    logs.iter()
        .map(|l| {
            l.batches
                .iter()
                .map(|b| (b.base_offset(), b.last_offset(), b.records_count()))
                .collect()
        })
        .collect()
}

/// Waits until the cleaner has made gaps in every partition and the log has settled: the same
/// batches in two reads 2.5 s apart (five cleaner back-offs).
pub async fn wait_compacted(source: &Client, topic: &str, partitions: i32) -> Vec<Log> {
    let mut last = eventually(&format!("{topic} compacted"), 120, || async move {
        let logs = read_topic(source, topic, partitions).await;
        let gaps: Vec<bool> = logs.iter().map(Log::has_gaps).collect();
        if gaps.iter().all(|g| *g) {
            Ok(shape(&logs))
        } else {
            Err(format!("gaps per partition: {gaps:?}"))
        }
    })
    .await;
    loop {
        tokio::time::sleep(Duration::from_millis(2_500)).await;
        let logs = read_topic(source, topic, partitions).await;
        let now = shape(&logs);
        if now == last {
            return logs;
        }
        last = now;
    }
}
