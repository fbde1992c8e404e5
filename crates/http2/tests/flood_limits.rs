//! One test per attack class of issue 7, item 7: each asserts the exact answer (GOAWAY
//! ENHANCE_YOUR_CALM, the RFC's code, or no longer reading) at the configured bound, and that
//! the state kept stays bounded.

mod util;

use std::time::{Duration, Instant};

use brisk_http2::{Config, Connection, ErrorCode, Event, StreamId};
use util::{block, frame, frames, get_block, goaway_code, handshaken_server, post_block, resets};

fn drain(c: &mut Connection) -> Vec<u8> {
    while c.poll_event().is_some() {}
    let mut out = Vec::new();
    c.poll_output(&mut out);
    out
}

fn open_and_reset(id: u32) -> Vec<u8> {
    [
        frame(1, 4, id, &post_block()),
        frame(3, 0, id, &[0, 0, 0, 8]),
    ]
    .concat()
}

#[test]
fn rapid_reset_cve_2023_44487() {
    let config = Config::default();
    let burst = config.limits.rapid_reset_burst;
    let mut s = handshaken_server(config);
    let t0 = Instant::now();
    s.handle_timeout(t0);
    for i in 0..burst {
        let id = 1 + 2 * i;
        s.recv(&open_and_reset(id))
            .unwrap_or_else(|e| panic!("reset #{i} refused early: {e}"));
        assert_eq!(s.open_streams(), 0);
    }
    let _ = drain(&mut s);
    // The bucket refills at 33 per second of caller time: one second buys exactly 33 more.
    s.handle_timeout(t0 + Duration::from_secs(1));
    let mut id = 1 + 2 * burst;
    for _ in 0..33 {
        s.recv(&open_and_reset(id)).expect("refilled");
        id += 2;
    }
    let err = s.recv(&open_and_reset(id)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ENHANCE_YOUR_CALM);
    assert_eq!(
        goaway_code(&drain(&mut s)),
        Some(ErrorCode::ENHANCE_YOUR_CALM)
    );
}

#[test]
fn made_you_reset_provoked_stream_errors() {
    // Each stream is opened, then provoked into a stream error of ours (WINDOW_UPDATE of 0).
    let config = Config::default();
    let burst = config.limits.provoked_reset_burst;
    let mut s = handshaken_server(config);
    for i in 0..burst {
        let id = 1 + 2 * i;
        let input = [
            frame(1, 4, id, &post_block()),
            frame(8, 0, id, &[0, 0, 0, 0]),
        ]
        .concat();
        s.recv(&input).unwrap_or_else(|e| panic!("#{i}: {e}"));
        let out = drain(&mut s);
        assert_eq!(resets(&out), [(id, ErrorCode::PROTOCOL_ERROR)]);
    }
    let id = 1 + 2 * burst;
    let input = [
        frame(1, 4, id, &post_block()),
        frame(8, 0, id, &[0, 0, 0, 0]),
    ]
    .concat();
    assert_eq!(
        s.recv(&input).unwrap_err().code(),
        ErrorCode::ENHANCE_YOUR_CALM
    );
    assert_eq!(
        goaway_code(&drain(&mut s)),
        Some(ErrorCode::ENHANCE_YOUR_CALM)
    );
    assert_eq!(s.open_streams(), 0);
}

#[test]
fn continuation_flood_frame_count() {
    let config = Config::default();
    let max = config.limits.max_continuation_frames;
    let mut s = handshaken_server(config);
    let mut input = frame(1, 0, 1, &[]);
    for _ in 0..max {
        input.extend(frame(9, 0, 1, &[]));
    }
    assert_eq!(
        s.recv(&input),
        Ok(input.len()),
        "{max} CONTINUATION frames are allowed"
    );
    let err = s.recv(&frame(9, 0, 1, &[])).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ENHANCE_YOUR_CALM);
    assert_eq!(
        goaway_code(&drain(&mut s)),
        Some(ErrorCode::ENHANCE_YOUR_CALM)
    );
}

#[test]
fn continuation_flood_block_bytes() {
    let mut config = Config::default();
    config.limits.max_header_block_size = 40_000;
    let mut s = handshaken_server(config);
    // Three 16 KiB fragments: 48 KiB > 40 KB, with only two CONTINUATIONs.
    let chunk = vec![0u8; 16_384];
    let input = [frame(1, 0, 1, &chunk), frame(9, 0, 1, &chunk)].concat();
    assert_eq!(s.recv(&input), Ok(input.len()));
    let err = s.recv(&frame(9, 0, 1, &chunk)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ENHANCE_YOUR_CALM);
}

/// A block that inserts a 4000-byte field into the dynamic table, then refers to it `n` times
/// by index (one byte each): a few KB on the wire, `n` * 4 KB decoded.
fn bomb(n: usize) -> Vec<u8> {
    let mut b = get_block();
    b.push(0x40); // literal with incremental indexing, new name
    b.push(6);
    b.extend_from_slice(b"x-bomb");
    b.extend_from_slice(&[0x7f, 0xa1, 0x1e]); // length 4000 = 127 + 3873
    b.extend(std::iter::repeat_n(b'a', 4000));
    b.extend(std::iter::repeat_n(0xbe, n)); // indexed: dynamic entry 62
    b
}

#[test]
fn hpack_bomb_limited_while_decoding() {
    let config = Config::default();
    let limit = config.max_header_list_size as usize;
    let mut s = handshaken_server(config);
    // 8 references: ~36 KB decoded, under the 64 KiB list limit.
    s.recv(&frame(1, 5, 1, &bomb(8))).unwrap();
    let mut got = 0;
    while let Some(ev) = s.poll_event() {
        if let Event::Headers { headers, .. } = ev {
            got = headers.len();
        }
    }
    assert_eq!(got, 9);
    let _ = drain(&mut s);
    // 100 references: 400 KB decoded from a ~4 KB block. Refused with 431 on that stream; the
    // connection (and its HPACK state) lives on.
    let wire = frame(1, 5, 3, &bomb(100));
    assert!(wire.len() < 4_400);
    s.recv(&wire).unwrap();
    assert!(s.poll_event().is_none(), "no request surfaced");
    let out = drain(&mut s);
    let f = frames(&out);
    assert_eq!(
        (f[0].0, f[0].1, f[0].2),
        (1, 5, 3),
        "a HEADERS with END_STREAM answers it"
    );
    assert!(f[0].3.len() < 16, "a short :status 431 block");
    assert!(limit < 100 * 4000);
    // The decoder stayed in sync: the next request on the same connection works.
    s.recv(&frame(1, 5, 5, &get_block())).unwrap();
    assert!(matches!(s.poll_event(), Some(Event::Headers { .. })));
    // Repeated bombs exhaust the provoked-reset budget: GOAWAY ENHANCE_YOUR_CALM.
    let mut id = 7;
    let err = loop {
        match s.recv(&frame(1, 5, id, &bomb(100))) {
            Ok(_) => id += 2,
            Err(e) => break e,
        }
        assert!(id < 1000, "bombs never stopped");
        let _ = drain(&mut s);
    };
    assert_eq!(err.code(), ErrorCode::ENHANCE_YOUR_CALM);
}

#[test]
fn settings_flood_stops_reading_at_the_ack_bound() {
    let config = Config::default();
    let bound = config.limits.max_pending_acks;
    let mut s = handshaken_server(config);
    let one = frame(4, 0, 0, &[0, 3, 0, 0, 0, 100]);
    let input: Vec<u8> = std::iter::repeat_n(one.clone(), 10_000).flatten().collect();
    let used = s.recv(&input).unwrap();
    assert_eq!(
        used,
        bound * one.len(),
        "reading stops after {bound} unacknowledged SETTINGS"
    );
    assert!(!s.wants_read());
    assert_eq!(s.recv(&input[used..]), Ok(0));
    let out = drain(&mut s);
    assert_eq!(out.len(), bound * 9, "exactly {bound} SETTINGS ACKs queued");
    assert!(s.wants_read());
    assert_eq!(s.recv(&input[used..]).unwrap(), bound * one.len());
}

#[test]
fn ping_flood_stops_reading_at_the_ack_bound() {
    let config = Config::default();
    let bound = config.limits.max_pending_acks;
    let mut s = handshaken_server(config);
    let one = frame(6, 0, 0, b"flooding");
    let input: Vec<u8> = std::iter::repeat_n(one.clone(), 10_000).flatten().collect();
    let used = s.recv(&input).unwrap();
    assert_eq!(used, bound * one.len());
    assert!(!s.wants_read());
    let out = drain(&mut s);
    assert_eq!(out.len(), bound * 17, "exactly {bound} PING ACKs queued");
}

#[test]
fn window_update_flood() {
    let config = Config::default();
    let max = config.limits.max_window_update_frames;
    let mut s = handshaken_server(config);
    let one = frame(8, 0, 0, &[0, 0, 0, 1]);
    let input: Vec<u8> = std::iter::repeat_n(one.clone(), max as usize)
        .flatten()
        .collect();
    assert_eq!(s.recv(&input), Ok(input.len()));
    let err = s.recv(&one).unwrap_err();
    assert_eq!(err.code(), ErrorCode::ENHANCE_YOUR_CALM);
    assert_eq!(
        goaway_code(&drain(&mut s)),
        Some(ErrorCode::ENHANCE_YOUR_CALM)
    );
}

#[test]
fn window_updates_answering_our_data_are_not_a_flood() {
    let mut s = handshaken_server(Config::default());
    s.recv(&frame(1, 5, 1, &get_block())).unwrap();
    let _ = drain(&mut s);
    let id = StreamId::new(1);
    s.send_headers(id, &[(":status", "200")], false).unwrap();
    // 3,000 small DATA frames, each answered by two WINDOW_UPDATEs (stream + connection).
    for _ in 0..3_000 {
        assert_eq!(s.send_data(id, b"x", false).unwrap(), 1);
        let _ = drain(&mut s);
        let wu = [frame(8, 0, 0, &[0, 0, 0, 1]), frame(8, 0, 1, &[0, 0, 0, 1])].concat();
        s.recv(&wu)
            .expect("a window update per DATA frame is legitimate");
    }
}

#[test]
fn empty_data_frames_without_end_stream() {
    let config = Config::default();
    let max = config.limits.max_tiny_data_frames;
    let mut s = handshaken_server(config);
    s.recv(&frame(1, 4, 1, &post_block())).unwrap();
    let empty = frame(0, 0, 1, &[]);
    let input: Vec<u8> = std::iter::repeat_n(empty.clone(), max as usize)
        .flatten()
        .collect();
    assert_eq!(s.recv(&input), Ok(input.len()));
    assert_eq!(
        s.recv(&empty).unwrap_err().code(),
        ErrorCode::ENHANCE_YOUR_CALM
    );
}

#[test]
fn tiny_data_frames_without_end_stream() {
    let config = Config::default();
    let max = config.limits.max_tiny_data_frames;
    let mut s = handshaken_server(config);
    s.recv(&frame(1, 4, 1, &post_block())).unwrap();
    let tiny = frame(0, 0, 1, b"abc");
    for i in 0..max {
        s.recv(&tiny).unwrap_or_else(|e| panic!("#{i}: {e}"));
        let _ = drain(&mut s);
        s.consume(StreamId::new(1), 3);
    }
    assert_eq!(
        s.recv(&tiny).unwrap_err().code(),
        ErrorCode::ENHANCE_YOUR_CALM
    );
    // A normal-sized frame in between restarts the count.
    let mut s = handshaken_server(Config::default());
    s.recv(&frame(1, 4, 1, &post_block())).unwrap();
    for i in 0..(3 * max) {
        let f = if i % 100 == 99 {
            frame(0, 0, 1, &[0; 100])
        } else {
            tiny.clone()
        };
        s.recv(&f).unwrap_or_else(|e| panic!("#{i}: {e}"));
        let _ = drain(&mut s);
        s.consume(StreamId::new(1), 100);
    }
}

#[test]
fn too_many_concurrent_streams_are_refused() {
    let config = Config::default();
    let max = config.max_concurrent_streams;
    let mut s = handshaken_server(config);
    for i in 0..max {
        s.recv(&frame(1, 4, 1 + 2 * i, &post_block())).unwrap();
    }
    let _ = drain(&mut s);
    let id = 1 + 2 * max;
    s.recv(&frame(1, 4, id, &post_block())).unwrap();
    let out = drain(&mut s);
    assert_eq!(resets(&out), [(id, ErrorCode::REFUSED_STREAM)]);
    assert_eq!(s.open_streams(), max as usize);
    // A client that keeps opening streams past the limit exhausts the provoked-reset budget.
    let mut id = id + 2;
    let err = loop {
        match s.recv(&frame(1, 4, id, &post_block())) {
            Ok(_) => id += 2,
            Err(e) => break e,
        }
        let _ = drain(&mut s);
        assert!(s.open_streams() <= max as usize);
        assert!(id < 10_000, "refusals never escalated");
    };
    assert_eq!(err.code(), ErrorCode::ENHANCE_YOUR_CALM);
}

#[test]
fn stalled_reader_bounded_buffers_and_stall_timeout() {
    let config = Config::default();
    let (per_stream, per_conn) = (
        config.limits.max_stream_send_buffer,
        config.limits.max_send_buffer,
    );
    let stall = config.limits.send_stall_timeout;
    let mut s = handshaken_server(config);
    // A reader that opens huge windows but never drains the socket: our send buffers bind.
    s.recv(&frame(4, 0, 0, &[0, 4, 0x7f, 0xff, 0xff, 0xff]))
        .unwrap();
    s.recv(&frame(8, 0, 0, &0x7fff_0000u32.to_be_bytes()))
        .unwrap();
    for i in 0..8u32 {
        s.recv(&frame(1, 5, 1 + 2 * i, &get_block())).unwrap();
    }
    while s.poll_event().is_some() {}
    let big = vec![0u8; 4 << 20];
    let mut total = 0;
    for i in 0..8u32 {
        let id = StreamId::new(1 + 2 * i);
        s.send_headers(id, &[(":status", "200")], false).unwrap();
        let n = s.send_data(id, &big, true).unwrap();
        assert!(n <= per_stream, "stream {id} took {n} bytes");
        total += n;
    }
    assert!(total <= per_conn, "connection took {total} bytes");
    let mut out = Vec::new();
    s.poll_output(&mut out);
    assert!(
        out.len() <= per_conn + 8 * 100,
        "undrained output stays bounded: {}",
        out.len()
    );

    // A reader that never opens its window: blocked streams are reset after the stall timeout.
    let mut s = handshaken_server(Config::default());
    s.recv(&frame(1, 5, 1, &get_block())).unwrap();
    let _ = drain(&mut s);
    let id = StreamId::new(1);
    s.send_headers(id, &[(":status", "200")], false).unwrap();
    s.recv(&frame(1, 5, 3, &get_block())).unwrap();
    let _ = drain(&mut s);
    s.send_headers(StreamId::new(3), &[(":status", "200")], false)
        .unwrap();
    assert_eq!(s.send_data(id, &big, true).unwrap(), 65_535);
    assert_eq!(s.send_data(StreamId::new(3), &big, true).unwrap(), 0);
    let _ = drain(&mut s);
    let t0 = Instant::now();
    s.handle_timeout(t0);
    assert_eq!(s.poll_timeout(), Some(t0 + stall));
    s.handle_timeout(t0 + stall - Duration::from_millis(1));
    assert!(s.error().is_none());
    // The connection window (not just a stream window) is held at zero: the whole connection
    // is the hostage, so it goes.
    s.handle_timeout(t0 + stall);
    assert_eq!(
        s.error().map(|e| e.code()),
        Some(ErrorCode::ENHANCE_YOUR_CALM)
    );
    assert_eq!(
        goaway_code(&drain(&mut s)),
        Some(ErrorCode::ENHANCE_YOUR_CALM)
    );

    // Only a stream window held shut: that stream is reset, the connection lives on.
    let mut s = handshaken_server(Config::default());
    s.recv(&frame(4, 0, 0, &[0, 4, 0, 0, 0, 10])).unwrap();
    s.recv(&frame(
        1,
        5,
        1,
        &block(&[
            (":method", "GET"),
            (":scheme", "http"),
            (":path", "/"),
            (":authority", "a"),
        ]),
    ))
    .unwrap();
    let _ = drain(&mut s);
    s.send_headers(id, &[(":status", "200")], false).unwrap();
    assert_eq!(s.send_data(id, &big, true).unwrap(), 10);
    let _ = drain(&mut s);
    s.handle_timeout(t0);
    s.handle_timeout(t0 + stall);
    assert!(s.error().is_none());
    let out = drain(&mut s);
    assert_eq!(resets(&out), [(1, ErrorCode::ENHANCE_YOUR_CALM)]);
    assert_eq!(s.open_streams(), 0);
}
