//! Fuzz target `http2_frame`: the frame parser on arbitrary bytes.
//!
//! Invariants checked, beyond "no panic": a parsed frame used exactly its 9-byte header plus
//! its declared length (never more than the input, never above the maximum frame size); the
//! frame re-encodes to bytes that parse back to the same frame; errors carry one of the codes
//! RFC 9113 §6 allows for frame-level problems; a frame longer than the maximum is rejected
//! from its header alone.
#![no_main]

use brisk_http2::{Error, ErrorCode, Frame, FrameHeader};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&sel, mut rest)) = data.split_first() else {
        return;
    };
    let max = [16_384u32, 16_385, 65_536, 16_777_215][usize::from(sel & 3)];
    while !rest.is_empty() {
        match Frame::parse(rest, max) {
            Ok(None) => {
                // Incomplete: only possible when the header or the payload is cut short.
                if let Some(h) = rest.first_chunk::<9>() {
                    let len = FrameHeader::parse(h).length;
                    assert!(len <= max);
                    assert!(rest.len() < 9 + len as usize);
                }
                break;
            }
            Ok(Some((frame, used))) => {
                let header = FrameHeader::parse(rest.first_chunk::<9>().expect("whole frame"));
                assert_eq!(used, 9 + header.length as usize);
                assert!(used <= rest.len());
                assert!(header.length <= max);
                let mut again = Vec::new();
                frame.encode(&mut again);
                let (reparsed, n) = Frame::parse(&again, u32::MAX)
                    .expect("re-encoded frame parses")
                    .expect("whole");
                assert_eq!(n, again.len());
                assert_eq!(reparsed, frame);
                rest = &rest[used..];
            }
            Err(e) => {
                let code = e.code();
                assert!(
                    [
                        ErrorCode::PROTOCOL_ERROR,
                        ErrorCode::FRAME_SIZE_ERROR,
                        ErrorCode::FLOW_CONTROL_ERROR
                    ]
                    .contains(&code),
                    "unexpected code {code}"
                );
                if let Error::Stream { stream, .. } = e {
                    assert!(!stream.is_zero(), "stream error on stream 0");
                }
                if let Some(h) = rest.first_chunk::<9>() {
                    if FrameHeader::parse(h).length > max {
                        assert_eq!(code, ErrorCode::FRAME_SIZE_ERROR);
                    }
                }
                break;
            }
        }
    }
});
