//! The Java producer's default partitioning of keyed records (`Utils.murmur2` of the key,
//! `toPositive`, modulo the partition count; KIP-480 and KIP-794 changed only records without
//! a key), so that records strait writes to shared topics land where Java clients put them.

/// Kafka's murmur2 hash of `data` (seed 0x9747b28c), as `org.apache.kafka.common.utils.Utils`.
pub fn murmur2(data: &[u8]) -> i32 {
    const SEED: u32 = 0x9747_b28c;
    const M: u32 = 0x5bd1_e995;
    const R: u32 = 24;
    // Java hashes an int length; lengths beyond i32::MAX cannot occur for Kafka keys.
    let mut h: u32 = SEED ^ (data.len() as u32);
    let mut chunks = data.chunks_exact(4);
    for chunk in &mut chunks {
        let mut k = u32::from_le_bytes([chunk[0], chunk[1], chunk[2], chunk[3]]);
        k = k.wrapping_mul(M);
        k ^= k >> R;
        k = k.wrapping_mul(M);
        h = h.wrapping_mul(M);
        h ^= k;
    }
    let tail = chunks.remainder();
    if !tail.is_empty() {
        for (i, b) in tail.iter().enumerate().rev() {
            h ^= u32::from(*b) << (8 * i);
        }
        h = h.wrapping_mul(M);
    }
    h ^= h >> 13;
    h = h.wrapping_mul(M);
    h ^= h >> 15;
    h as i32
}

/// The partition Java's default partitioner picks for a non-null key.
pub fn partition_for_key(key: &[u8], partitions: i32) -> i32 {
    if partitions <= 0 {
        return 0;
    }
    (murmur2(key) & 0x7fff_ffff) % partitions
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Expected values printed by Java's `Utils.murmur2` / `toPositive(..) % 25` (Kafka 4.3.1).
    #[test]
    fn matches_java() {
        let cases: [(&[u8], i32, i32); 5] = [
            (b"21", -973_932_308, 15),
            (b"foobar", -790_332_482, 16),
            (b"abc", 479_470_107, 7),
            (
                br#"["MirrorSourceConnector",{"cluster":"A","partition":0,"topic":"t"}]"#,
                -2_079_807_616,
                7,
            ),
            (
                br#"["MirrorSourceConnector",{"cluster":"A","partition":7,"topic":"orders"}]"#,
                1_763_883_526,
                1,
            ),
        ];
        for (key, hash, partition) in cases {
            assert_eq!(murmur2(key), hash, "{}", String::from_utf8_lossy(key));
            assert_eq!(partition_for_key(key, 25), partition);
        }
    }
}
