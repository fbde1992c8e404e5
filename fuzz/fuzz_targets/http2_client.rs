//! Fuzz target `http2_client`: a client with requests in flight reads arbitrary bytes after a
//! valid server SETTINGS, in chunks, consuming every DATA event.
//!
//! Invariants checked, beyond "no panic": `recv` never reports more bytes than it was given;
//! connection errors are sticky and write GOAWAY; events only name streams the client opened;
//! a response's `Headers` carries a `:status`; the client's output is whole frames; open
//! streams never exceed what the client opened; after a GOAWAY no new request is accepted.
#![no_main]

use std::collections::HashSet;

use brisk_http2::{Config, Connection, Event, StreamId};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&sel, data)) = data.split_first() else {
        return;
    };
    let mut config = Config::default();
    config.initial_window_size = [65_535, 1, 300, 1 << 20][usize::from(sel & 3)];
    let mut client = Connection::client(config);
    let mut mine = HashSet::new();
    let n_requests = 1 + usize::from(sel >> 2 & 7);
    for i in 0..n_requests {
        let method = if i % 3 == 0 { "HEAD" } else { "POST" };
        let id = client
            .send_request(
                &[
                    (":method", method),
                    (":scheme", "http"),
                    (":path", "/"),
                    (":authority", "fuzz"),
                ],
                i % 2 == 0,
            )
            .expect("request");
        mine.insert(id);
        if i % 2 == 1 {
            let _ = client.send_data(id, b"request body", true);
        }
    }
    let mut input = vec![0, 0, 0, 4, 0, 0, 0, 0, 0];
    input.extend_from_slice(data);
    let mut pos = 0;
    let mut avail = 0;
    let mut out = Vec::new();
    let mut goaway = false;
    let mut steps = 0;
    while pos < input.len() && steps < 10_000 {
        steps += 1;
        avail = (avail.max(pos) + 1 + usize::from(input[pos]) * 5).min(input.len());
        let end = avail;
        match client.recv(&input[pos..end]) {
            Ok(used) => {
                assert!(used <= end - pos);
                pos += used;
                if used == 0 && end == input.len() && client.wants_read() {
                    break;
                }
            }
            Err(e) => {
                assert_eq!(client.recv(b"x"), Err(e));
                out.clear();
                client.poll_output(&mut out);
                assert!(frame_types(&out).contains(&7), "GOAWAY written");
                return;
            }
        }
        let mut consumed: Vec<(StreamId, usize)> = Vec::new();
        while let Some(ev) = client.poll_event() {
            match ev {
                Event::Headers {
                    stream, headers, ..
                } => {
                    assert!(
                        mine.contains(&stream),
                        "headers on a stream we never opened"
                    );
                    assert!(
                        headers.status().is_some(),
                        "response without :status surfaced"
                    );
                    assert!(headers.method().is_none());
                }
                Event::Data { stream, data, .. } => {
                    assert!(mine.contains(&stream));
                    consumed.push((stream, data.len()));
                }
                Event::Trailers { stream, .. }
                | Event::StreamReset { stream, .. }
                | Event::SendReady { stream } => {
                    assert!(mine.contains(&stream));
                }
                Event::GoAway { .. } => goaway = true,
                _ => {}
            }
        }
        for (s, n) in consumed {
            client.consume(s, n);
        }
        assert!(client.open_streams() <= mine.len());
        if goaway {
            let r = client.send_request(
                &[
                    (":method", "GET"),
                    (":scheme", "http"),
                    (":path", "/"),
                    (":authority", "f"),
                ],
                true,
            );
            assert_eq!(r.unwrap_err(), brisk_http2::UserError::Closing);
        }
        out.clear();
        client.poll_output(&mut out);
        let skip = if out.starts_with(brisk_http2::PREFACE) {
            24
        } else {
            0
        };
        frame_types(&out[skip..]);
    }
});

/// The type of every frame in `out`; panics unless `out` is whole frames.
fn frame_types(mut out: &[u8]) -> Vec<u8> {
    if out.starts_with(brisk_http2::PREFACE) {
        out = &out[24..];
    }
    let mut v = Vec::new();
    while !out.is_empty() {
        let h = out.first_chunk::<9>().expect("whole frame header");
        let len = u32::from_be_bytes([0, h[0], h[1], h[2]]) as usize;
        assert!(out.len() >= 9 + len, "partial frame in output");
        v.push(h[3]);
        out = &out[9 + len..];
    }
    v
}
