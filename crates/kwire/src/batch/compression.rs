//! Record payload codecs as Kafka frames them (protocol guide "Record Batch", attribute bits
//! 0–2; KIP-110 for zstd): gzip, snappy in xerial framing, the LZ4 frame format and zstd.
//! Decompression is always bounded so a small hostile payload cannot exhaust memory.

use std::fmt;
use std::io::{Read, Write};

use bytes::{BufMut, BytesMut};

use super::BatchError;

/// Default bound on the inflated size of one batch payload: a 1 MiB batch would need a
/// 128:1 ratio to reach it. Decoded [`Record`](super::Record)s share the inflated buffer,
/// but each costs ~100 bytes of struct, so tiny records can multiply this by up to ~15.
pub const DEFAULT_MAX_DECOMPRESSED: usize = 128 << 20;

/// xerial snappy-java stream header magic, followed by version 1 and compatible version 1.
const XERIAL_MAGIC: [u8; 8] = [0x82, b'S', b'N', b'A', b'P', b'P', b'Y', 0];
const XERIAL_HEADER_LEN: usize = 16;
/// snappy-java's default block size, which Kafka's producer keeps.
const XERIAL_BLOCK: usize = 32 * 1024;
/// Java's `Deflater` default, which Kafka's `compression.gzip.level` keeps.
const GZIP_LEVEL: u32 = 6;
/// zstd level 3 is the library default and Kafka's default `compression.zstd.level`.
const ZSTD_LEVEL: i32 = 3;

/// Compression codec of a batch (attribute bits 0–2).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum Compression {
    /// Id 0.
    #[default]
    None,
    /// Id 1.
    Gzip,
    /// Id 2, xerial-framed.
    Snappy,
    /// Id 3, LZ4 frame format.
    Lz4,
    /// Id 4.
    Zstd,
}

impl Compression {
    /// The codec id stored in the attribute bits.
    pub fn id(self) -> u8 {
        match self {
            Self::None => 0,
            Self::Gzip => 1,
            Self::Snappy => 2,
            Self::Lz4 => 3,
            Self::Zstd => 4,
        }
    }

    /// Parses a codec id; ids 5–7 are reserved and rejected.
    pub fn from_id(id: u8) -> Result<Self, BatchError> {
        Ok(match id {
            0 => Self::None,
            1 => Self::Gzip,
            2 => Self::Snappy,
            3 => Self::Lz4,
            4 => Self::Zstd,
            other => return Err(BatchError::UnknownCompression(other)),
        })
    }
}

impl fmt::Display for Compression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::None => "none",
            Self::Gzip => "gzip",
            Self::Snappy => "snappy",
            Self::Lz4 => "lz4",
            Self::Zstd => "zstd",
        })
    }
}

fn io_err(codec: Compression) -> impl Fn(std::io::Error) -> BatchError {
    move |source| BatchError::Compression { codec, source }
}

/// Compresses `input` with `codec` and appends the result to `out`.
pub fn compress(codec: Compression, input: &[u8], out: &mut BytesMut) -> Result<(), BatchError> {
    let err = io_err(codec);
    match codec {
        Compression::None => out.extend_from_slice(input),
        Compression::Gzip => {
            let mut enc =
                flate2::write::GzEncoder::new(out.writer(), flate2::Compression::new(GZIP_LEVEL));
            enc.write_all(input).map_err(&err)?;
            enc.finish().map_err(&err)?;
        }
        Compression::Snappy => xerial_compress(input, out).map_err(&err)?,
        Compression::Lz4 => lz4_compress(input, out).map_err(&err)?,
        Compression::Zstd => {
            let mut enc =
                zstd::stream::write::Encoder::new(out.writer(), ZSTD_LEVEL).map_err(&err)?;
            enc.write_all(input).map_err(&err)?;
            enc.finish().map_err(&err)?;
        }
    }
    Ok(())
}

/// Decompresses `input`, failing once the output would exceed `max` bytes.
pub fn decompress(codec: Compression, input: &[u8], max: usize) -> Result<Vec<u8>, BatchError> {
    match codec {
        Compression::None => read_bounded(input, codec, max),
        // Java's GZIPInputStream reads concatenated members, so do we.
        Compression::Gzip => read_bounded(flate2::read::MultiGzDecoder::new(input), codec, max),
        Compression::Snappy => xerial_decompress(input, max),
        Compression::Lz4 => read_bounded(lz4_flex::frame::FrameDecoder::new(input), codec, max),
        Compression::Zstd => {
            let dec = zstd::stream::read::Decoder::with_buffer(input).map_err(io_err(codec))?;
            read_bounded(dec, codec, max)
        }
    }
}

/// Decompresses the value of a legacy (magic 0/1) wrapper message.
pub(crate) fn decompress_legacy(
    codec: Compression,
    magic: i8,
    input: &[u8],
    max: usize,
) -> Result<Vec<u8>, BatchError> {
    if codec == Compression::Lz4 && magic == 0 {
        // Kafka before 0.10 hashed the 4 magic bytes into the LZ4 frame descriptor checksum
        // (KAFKA-3160); Java skips that check for magic 0. Repair the byte so the standard
        // decoder accepts the frame.
        let fixed = fix_lz4_header_checksum(input);
        return decompress(codec, &fixed, max);
    }
    decompress(codec, input, max)
}

fn read_bounded(reader: impl Read, codec: Compression, max: usize) -> Result<Vec<u8>, BatchError> {
    let mut out = Vec::new();
    let limit = u64::try_from(max).unwrap_or(u64::MAX).saturating_add(1);
    reader
        .take(limit)
        .read_to_end(&mut out)
        .map_err(io_err(codec))?;
    if out.len() > max {
        return Err(BatchError::DecompressedTooLarge { codec, limit: max });
    }
    Ok(out)
}

fn lz4_compress(input: &[u8], out: &mut BytesMut) -> std::io::Result<()> {
    use lz4_flex::frame::{BlockMode, BlockSize, FrameEncoder, FrameInfo};
    // Kafka's reader insists on independent blocks; 64 KiB blocks and no checksums match
    // what its own producer writes.
    let info = FrameInfo::new()
        .block_size(BlockSize::Max64KB)
        .block_mode(BlockMode::Independent)
        .block_checksums(false)
        .content_checksum(false);
    let mut enc = FrameEncoder::with_frame_info(info, out.writer());
    enc.write_all(input)?;
    enc.finish()?;
    Ok(())
}

fn xerial_compress(input: &[u8], out: &mut BytesMut) -> std::io::Result<()> {
    out.extend_from_slice(&XERIAL_MAGIC);
    out.put_i32(1);
    out.put_i32(1);
    let mut enc = snap::raw::Encoder::new();
    let mut block = vec![0u8; snap::raw::max_compress_len(XERIAL_BLOCK)];
    for chunk in input.chunks(XERIAL_BLOCK) {
        let n = enc.compress(chunk, &mut block)?;
        let len = u32::try_from(n).map_err(std::io::Error::other)?;
        out.put_u32(len);
        out.extend_from_slice(&block[..n]);
    }
    Ok(())
}

fn xerial_decompress(input: &[u8], max: usize) -> Result<Vec<u8>, BatchError> {
    let mut out = Vec::new();
    match input.strip_prefix(&XERIAL_MAGIC[..]) {
        Some(_) if input.len() >= XERIAL_HEADER_LEN => {
            xerial_blocks(&input[XERIAL_HEADER_LEN..], max, &mut out)?
        }
        // snappy-java falls back to one raw block when the header is absent; so does Java's
        // Kafka consumer, and some non-Java producers rely on it.
        _ => snappy_block(input, max, &mut out)?,
    }
    Ok(out)
}

fn xerial_blocks(mut rest: &[u8], max: usize, out: &mut Vec<u8>) -> Result<(), BatchError> {
    while !rest.is_empty() {
        // snappy-java accepts concatenated streams: a header where a block length would be.
        if rest.len() >= XERIAL_HEADER_LEN && rest.starts_with(&XERIAL_MAGIC) {
            rest = &rest[XERIAL_HEADER_LEN..];
            continue;
        }
        let Some((len, tail)) = rest.split_first_chunk::<4>() else {
            return Err(snappy_corrupt("truncated xerial block length"));
        };
        let len = u32::from_be_bytes(*len) as usize;
        if len > tail.len() {
            return Err(snappy_corrupt("xerial block runs past the payload"));
        }
        snappy_block(&tail[..len], max, out)?;
        rest = &tail[len..];
    }
    Ok(())
}

fn snappy_block(block: &[u8], max: usize, out: &mut Vec<u8>) -> Result<(), BatchError> {
    let err = io_err(Compression::Snappy);
    let n = snap::raw::decompress_len(block).map_err(|e| err(e.into()))?;
    let start = out.len();
    if n > max.saturating_sub(start) {
        return Err(BatchError::DecompressedTooLarge {
            codec: Compression::Snappy,
            limit: max,
        });
    }
    out.resize(start + n, 0);
    snap::raw::Decoder::new()
        .decompress(block, &mut out[start..])
        .map_err(|e| err(e.into()))?;
    Ok(())
}

fn snappy_corrupt(msg: &'static str) -> BatchError {
    BatchError::Compression {
        codec: Compression::Snappy,
        source: std::io::Error::new(std::io::ErrorKind::InvalidData, msg),
    }
}

/// Rewrites the LZ4 frame descriptor checksum byte to the value the format specifies.
fn fix_lz4_header_checksum(input: &[u8]) -> Vec<u8> {
    let mut buf = input.to_vec();
    let Some(&flg) = buf.get(4) else { return buf };
    // Descriptor: FLG, BD, then 8 bytes content size and 4 bytes dictionary id if flagged.
    let desc_len = 2 + if flg & 0x08 != 0 { 8 } else { 0 } + if flg & 0x01 != 0 { 4 } else { 0 };
    let hc_at = 4 + desc_len;
    if hc_at < buf.len() {
        buf[hc_at] = (xxh32_short(&buf[4..hc_at]) >> 8) as u8;
    }
    buf
}

/// XXH32 with seed 0 for inputs shorter than 16 bytes, which is all a frame descriptor
/// ever is (the long-input stripe loop is therefore omitted).
fn xxh32_short(data: &[u8]) -> u32 {
    const P1: u32 = 0x9E37_79B1;
    const P2: u32 = 0x85EB_CA77;
    const P3: u32 = 0xC2B2_AE3D;
    const P4: u32 = 0x27D4_EB2F;
    const P5: u32 = 0x1656_67B1;
    debug_assert!(data.len() < 16);
    let mut h = P5.wrapping_add(data.len() as u32);
    let mut words = data.chunks_exact(4);
    for w in &mut words {
        let k = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
        h = h
            .wrapping_add(k.wrapping_mul(P3))
            .rotate_left(17)
            .wrapping_mul(P4);
    }
    for &b in words.remainder() {
        h = h
            .wrapping_add(u32::from(b).wrapping_mul(P5))
            .rotate_left(11)
            .wrapping_mul(P1);
    }
    h ^= h >> 15;
    h = h.wrapping_mul(P2);
    h ^= h >> 13;
    h = h.wrapping_mul(P3);
    h ^ (h >> 16)
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Compression; 5] = [
        Compression::None,
        Compression::Gzip,
        Compression::Snappy,
        Compression::Lz4,
        Compression::Zstd,
    ];

    fn sample(n: usize) -> Vec<u8> {
        (0..n).map(|i| (i % 251) as u8 ^ (i / 1000) as u8).collect()
    }

    fn compressed(codec: Compression, data: &[u8]) -> BytesMut {
        let mut out = BytesMut::new();
        compress(codec, data, &mut out).expect("compress");
        out
    }

    #[test]
    fn every_codec_round_trips() {
        for codec in ALL {
            for n in [0, 1, 100, XERIAL_BLOCK, 3 * XERIAL_BLOCK + 7, 300_000] {
                let data = sample(n);
                let c = compressed(codec, &data);
                let back = decompress(codec, &c, n).expect("decompress");
                assert_eq!(back, data, "{codec} n={n}");
            }
        }
    }

    #[test]
    fn ids_round_trip() {
        for codec in ALL {
            assert_eq!(Compression::from_id(codec.id()).ok(), Some(codec));
        }
        assert!(matches!(
            Compression::from_id(5),
            Err(BatchError::UnknownCompression(5))
        ));
    }

    #[test]
    fn decompression_is_bounded() {
        let data = vec![0u8; 1 << 20];
        for codec in ALL {
            let c = compressed(codec, &data);
            let r = decompress(codec, &c, (1 << 20) - 1);
            assert!(
                matches!(r, Err(BatchError::DecompressedTooLarge { .. })),
                "{codec}: {r:?}"
            );
        }
    }

    #[test]
    fn xerial_header_layout() {
        let c = compressed(Compression::Snappy, b"hello hello hello");
        assert_eq!(&c[..8], &XERIAL_MAGIC);
        assert_eq!(&c[8..16], &[0, 0, 0, 1, 0, 0, 0, 1]);
        let block_len = u32::from_be_bytes([c[16], c[17], c[18], c[19]]) as usize;
        assert_eq!(c.len(), 20 + block_len);
    }

    #[test]
    fn snappy_accepts_raw_and_concatenated() {
        let raw = snap::raw::Encoder::new()
            .compress_vec(b"raw snappy block")
            .expect("raw");
        let back = decompress(Compression::Snappy, &raw, 100).expect("raw decode");
        assert_eq!(back, b"raw snappy block");

        let mut two = compressed(Compression::Snappy, b"first ");
        two.extend_from_slice(&compressed(Compression::Snappy, b"second"));
        let back = decompress(Compression::Snappy, &two, 100).expect("concat");
        assert_eq!(back, b"first second");
    }

    #[test]
    fn lz4_frame_is_kafka_compatible() {
        let c = compressed(Compression::Lz4, b"abc");
        assert_eq!(&c[..4], &[0x04, 0x22, 0x4d, 0x18]);
        // FLG: version 01, independent blocks, no checksums, no content size.
        assert_eq!(c[4], 0x60);
        // BD: 64 KiB maximum block size.
        assert_eq!(c[5], 0x40);
    }

    #[test]
    fn xxh32_matches_lz4_flex_header_checksum() {
        let c = compressed(Compression::Lz4, b"abc");
        assert_eq!((xxh32_short(&c[4..6]) >> 8) as u8, c[6]);
        // Reference values of XXH32 (seed 0) from the xxHash test suite.
        assert_eq!(xxh32_short(b""), 0x02CC_5D05);
        assert_eq!(xxh32_short(b"a"), 0x550D_7456);
        assert_eq!(xxh32_short(b"abc"), 0x32D1_53FF);
    }

    #[test]
    fn legacy_v0_lz4_broken_checksum_is_repaired() {
        let mut c = compressed(Compression::Lz4, b"old kafka lz4").to_vec();
        // What Kafka 0.8/0.9 wrote: the hash over magic + descriptor.
        c[6] = (xxh32_short(&c[0..6]) >> 8) as u8;
        assert!(decompress(Compression::Lz4, &c, 100).is_err());
        let back = decompress_legacy(Compression::Lz4, 0, &c, 100).expect("repaired");
        assert_eq!(back, b"old kafka lz4");
    }

    #[test]
    fn garbage_never_panics() {
        let junk: [&[u8]; 5] = [
            b"",
            b"\x82SNAPPY\0\0\0\0\x01\0\0\0\x01\xff\xff\xff\xff",
            b"\x04\x22\x4d\x18\x68\x40",
            b"\x1f\x8b\x08\0\0\0",
            b"\x28\xb5\x2f\xfd\0\0",
        ];
        for codec in ALL {
            for j in junk {
                let _ = decompress(codec, j, 1000);
                let _ = decompress_legacy(codec, 0, j, 1000);
            }
        }
    }
}
