//! Encodes the same request headers three times on one connection and decodes each block,
//! printing the block sizes: the first block teaches the dynamic table, the next ones are
//! mostly one-byte indexes.
//!
//! ```sh
//! cargo run -p brisk-hpack --example roundtrip
//! ```
use brisk_hpack::{Decoder, Encoder, Field};

fn main() -> Result<(), brisk_hpack::Error> {
    let request = [
        Field::new(b":method", b"GET"),
        Field::new(b":scheme", b"https"),
        Field::new(b":authority", b"www.example.com"),
        Field::new(b":path", b"/index.html"),
        Field::new(
            b"user-agent",
            b"Mozilla/5.0 (X11; Linux x86_64) brisk-example",
        ),
        Field::new(b"accept-encoding", b"gzip, deflate, br"),
        // Never indexed: a secret stays out of the dynamic tables of every hop.
        Field::never_indexed(b"authorization", b"Bearer 7f2c1e"),
    ];
    let plain: usize = request.iter().map(|f| f.name.len() + f.value.len()).sum();
    let mut encoder = Encoder::new();
    let mut decoder = Decoder::new();
    for round in 1..=3 {
        let mut block = Vec::new();
        encoder.encode(request, &mut block);
        let mut decoded = Vec::new();
        decoder.decode(&block, |f| {
            decoded.push((f.name.to_vec(), f.value.to_vec()))
        })?;
        assert_eq!(decoded.len(), request.len());
        for (got, want) in decoded.iter().zip(&request) {
            assert_eq!((&got.0[..], &got.1[..]), (want.name, want.value));
        }
        println!(
            "request {round}: {plain} bytes of names and values -> a {}-byte block, decoded back",
            block.len()
        );
    }
    Ok(())
}
