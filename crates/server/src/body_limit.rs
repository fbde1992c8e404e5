//! The body-size check for chunked HTTP/1.1 request bodies, made on declared sizes.
//!
//! A chunk-size line says how many bytes follow: a body that is going to exceed its limit
//! (`Limits::max_body_size`, or `Limits::max_upload_size` for an upload route) is refused with
//! 413 as soon as that line is read, not after the bytes arrive (they may never come: a
//! declared size of `ffffffffffffffff` followed by silence would otherwise end in 408 after
//! the body timeout). nginx refuses at the same point (`client intended to send too large
//! chunked body`), once the first data byte of the chunk is there.

use brisk_http1::{Chunk, ChunkedDecoder};

/// Whether a chunked body exceeds `max` bytes, counting what was received before this step
/// (`received`), the data `ev` just returned, and the rest the current chunk declared.
pub(crate) fn chunked_over_limit(
    received: u64,
    ev: &Option<Chunk<'_>>,
    dec: &ChunkedDecoder,
    max: u64,
) -> bool {
    let piece = match ev {
        Some(Chunk::Data(d)) => d.len() as u64,
        _ => 0,
    };
    received
        .saturating_add(piece)
        .saturating_add(dec.data_remaining())
        > max
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `input` to a fresh decoder in one step and checks it against `max`.
    fn over(received: u64, input: &[u8], max: u64) -> bool {
        let mut dec = ChunkedDecoder::new();
        let (_, ev) = dec.decode(input).expect("valid chunked input");
        chunked_over_limit(received, &ev, &dec, max)
    }

    #[test]
    fn declared_sizes_count_before_their_data_arrives() {
        assert!(over(0, b"ffffffffffffffff\r\n", 1024));
        assert!(over(u64::MAX, b"ffffffffffffffff\r\nab", u64::MAX - 1));
        assert!(over(0, b"401\r\n", 1024));
        assert!(!over(0, b"400\r\n", 1024), "exactly the limit is fine");
        assert!(over(1, b"400\r\nab", 1024), "the running total counts");
        assert!(
            !over(1024, b"0\r\n", 1024),
            "the last chunk declares nothing"
        );
        assert!(
            !over(0, b"40", 1024),
            "a size line not yet complete declares nothing"
        );
    }
}
