//! Fuzz target `http1_chunked`: the incremental chunked decoder.
//!
//! Invariants checked: consumed never exceeds the input; data slices come from the input; the
//! body, trailers and outcome are the same whether the input arrives whole or in pieces of
//! varying size (unconsumed bytes re-presented, as the contract says); inside a chunk's data, a
//! piece comes off the size `data_remaining` reported.
#![no_main]
use brisk_http1::{Chunk, ChunkedDecoder};

#[derive(Debug, PartialEq)]
struct Outcome {
    body: Vec<u8>,
    trailers: Vec<(Vec<u8>, Vec<u8>)>,
    end: String,
}

/// Feeds `input` in pieces whose sizes cycle through `steps`.
fn run(input: &[u8], steps: &[u8]) -> Outcome {
    let mut dec = ChunkedDecoder::new();
    let mut out = Outcome {
        body: Vec::new(),
        trailers: Vec::new(),
        end: String::new(),
    };
    let mut start = 0; // first unconsumed byte
    let mut avail = 0; // bytes received so far
    let mut k = 0;
    loop {
        let window = &input[start..avail];
        let declared = dec.data_remaining();
        match dec.decode(window) {
            Err(e) => {
                out.end = format!("error {e:?}");
                return out;
            }
            Ok((n, c)) => {
                assert!(n <= window.len(), "consumed more than given");
                start += n;
                match c {
                    Some(Chunk::Data(d)) => {
                        assert!(d.len() <= n);
                        if declared > 0 {
                            // Inside a chunk's data: the piece comes off what its size declared.
                            assert!(d.len() as u64 <= declared);
                            assert_eq!(dec.data_remaining(), declared - d.len() as u64);
                        }
                        out.body.extend_from_slice(d);
                    }
                    Some(Chunk::Trailer(h)) => {
                        out.trailers.push((h.name.to_vec(), h.value.to_vec()))
                    }
                    Some(Chunk::End) => {
                        out.end = format!("end at {start}");
                        return out;
                    }
                    None => {
                        if avail == input.len() {
                            out.end = format!("partial {:?}", dec.finish());
                            return out;
                        }
                        let step = usize::from(
                            steps.get(k % steps.len().max(1)).copied().unwrap_or(1) % 16,
                        ) + 1;
                        k += 1;
                        avail = (avail + step).min(input.len());
                    }
                }
            }
        }
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let (nsteps, rest) = match data.split_first() {
        Some((n, r)) => (usize::from(*n % 8), r),
        None => return,
    };
    let nsteps = nsteps.min(rest.len());
    let (steps, input) = rest.split_at(nsteps);
    let whole = {
        let mut dec = ChunkedDecoder::new();
        let mut out = Outcome {
            body: Vec::new(),
            trailers: Vec::new(),
            end: String::new(),
        };
        let mut pos = 0;
        loop {
            match dec.decode(&input[pos..]) {
                Err(e) => {
                    out.end = format!("error {e:?}");
                    break;
                }
                Ok((n, c)) => {
                    assert!(n <= input.len() - pos);
                    pos += n;
                    match c {
                        Some(Chunk::Data(d)) => out.body.extend_from_slice(d),
                        Some(Chunk::Trailer(h)) => {
                            out.trailers.push((h.name.to_vec(), h.value.to_vec()))
                        }
                        Some(Chunk::End) => {
                            out.end = format!("end at {pos}");
                            break;
                        }
                        None => {
                            out.end = format!("partial {:?}", dec.finish());
                            break;
                        }
                    }
                }
            }
        }
        out
    };
    let pieces = run(input, if steps.is_empty() { &[0] } else { steps });
    assert_eq!(whole, pieces);
});
