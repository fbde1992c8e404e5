//! Fuzz target `http2_server`: arbitrary bytes after a valid client preface and SETTINGS, fed
//! to a server connection in chunks, with an application answering every request.
//!
//! Invariants checked, beyond "no panic": `recv` never reports more bytes than it was given;
//! a connection error is sticky and its GOAWAY reaches the output; every byte the server writes
//! is a sequence of whole frames no larger than the client's maximum frame size; open streams
//! never exceed SETTINGS_MAX_CONCURRENT_STREAMS; DATA sent never exceeds what the client's
//! windows allow (tracked independently from the client's SETTINGS and WINDOW_UPDATEs as the
//! server consumed them); the queued output stays within the send buffer bound plus control
//! frames.
#![no_main]

use std::time::{Duration, Instant};

use brisk_http2::{Config, Connection, Event, Frame, StreamId, PREFACE};

struct Window {
    conn: i64,
    initial: i64,
    streams: std::collections::HashMap<u32, i64>,
}

impl Window {
    fn received(&mut self, mut bytes: &[u8]) {
        if bytes.starts_with(PREFACE) {
            bytes = &bytes[PREFACE.len()..];
        }
        while let Ok(Some((f, n))) = Frame::parse(bytes, u32::MAX) {
            match f {
                Frame::Settings {
                    ack: false,
                    payload,
                } => {
                    for (id, v) in payload.iter() {
                        if id.0 == 4 {
                            let d = i64::from(v) - self.initial;
                            self.initial = i64::from(v);
                            self.streams.values_mut().for_each(|w| *w += d);
                        }
                    }
                }
                Frame::WindowUpdate { stream, increment } => {
                    if stream.is_zero() {
                        self.conn += i64::from(increment);
                    } else {
                        *self.streams.entry(stream.value()).or_insert(self.initial) +=
                            i64::from(increment);
                    }
                }
                _ => {}
            }
            bytes = &bytes[n..];
        }
    }
}

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((&sel, data)) = data.split_first() else {
        return;
    };
    let mut config = Config::default();
    config.max_concurrent_streams = 1 + u32::from(sel & 7);
    config.initial_window_size = [65_535, 1, 100, 1 << 20][usize::from(sel >> 3 & 3)];
    config.enable_connect_protocol = sel & 0x20 != 0;
    let max_open = config.max_concurrent_streams as usize;
    let send_bound = config.limits.max_send_buffer;
    let mut server = Connection::server(config);
    let mut window = Window {
        conn: 65_535,
        initial: 65_535,
        streams: Default::default(),
    };
    let mut peer_max_frame = 16_384usize;
    let t0 = Instant::now();
    let mut input = PREFACE.to_vec();
    input.extend_from_slice(&[0, 0, 0, 4, 0, 0, 0, 0, 0]);
    input.extend_from_slice(data);
    let mut pos = 0;
    let mut avail = 0;
    let mut step = 0u64;
    let mut out = Vec::new();
    let mut open: Vec<StreamId> = Vec::new();
    let body = [b'x'; 3000];
    while pos < input.len() && step < 10_000 {
        step += 1;
        // Each step makes more bytes available (a partial frame waits for the rest).
        let chunk = 1 + usize::from(input[pos]) * 7;
        avail = (avail.max(pos) + chunk).min(input.len());
        let end = avail;
        match server.recv(&input[pos..end]) {
            Ok(used) => {
                assert!(used <= end - pos);
                window.received(&input[pos..pos + used]);
                pos += used;
                if used == 0 && end == input.len() && server.wants_read() {
                    break;
                }
            }
            Err(e) => {
                assert_eq!(server.recv(b"x"), Err(e), "connection errors are sticky");
                out.clear();
                server.poll_output(&mut out);
                let has_goaway = frames(&out).any(|(t, _)| t == 7);
                assert!(has_goaway, "a connection error writes GOAWAY");
                return;
            }
        }
        server.handle_timeout(t0 + Duration::from_millis(step * 50));
        if server.error().is_some() {
            // A timer fired (SETTINGS ACK timeout, stalled reader): GOAWAY is queued.
            out.clear();
            server.poll_output(&mut out);
            assert!(
                frames(&out).any(|(t, _)| t == 7),
                "a timeout error writes GOAWAY"
            );
            return;
        }
        let mut to_answer = Vec::new();
        while let Some(ev) = server.poll_event() {
            match ev {
                Event::Headers {
                    stream, end_stream, ..
                } => to_answer.push((stream, end_stream)),
                Event::Data { stream, data, .. } => {
                    let n = data.len();
                    to_answer.push((stream, false));
                    server.consume(stream, n);
                }
                Event::PeerSettings(s) => peer_max_frame = s.max_frame_size as usize,
                _ => {}
            }
        }
        assert!(server.open_streams() <= max_open);
        for (stream, _) in to_answer {
            if server
                .send_headers(stream, &[(":status", "200")], false)
                .is_ok()
            {
                open.push(stream);
            }
        }
        open.retain(|&s| {
            server
                .send_data(s, &body, step % 3 == 0)
                .map(|n| n < body.len() || step % 3 != 0)
                .unwrap_or(false)
        });
        out.clear();
        server.poll_output(&mut out);
        assert!(
            out.len() <= send_bound + 64 * 1024,
            "output {} beyond bounds",
            out.len()
        );
        for (kind, (stream, len)) in frames(&out) {
            assert!(len <= peer_max_frame.max(16_384));
            if kind == 0 {
                window.conn -= len as i64;
                let w = window.streams.entry(stream).or_insert(window.initial);
                *w -= len as i64;
                assert!(window.conn >= 0 && *w >= 0, "flow-control window exceeded");
            }
        }
    }
});

/// (type, (stream, length)) of every frame; panics on a partial frame.
fn frames(mut out: &[u8]) -> impl Iterator<Item = (u8, (u32, usize))> + '_ {
    std::iter::from_fn(move || {
        if out.is_empty() {
            return None;
        }
        let h = out.first_chunk::<9>().expect("whole frame header");
        let len = u32::from_be_bytes([0, h[0], h[1], h[2]]) as usize;
        let id = u32::from_be_bytes([h[5], h[6], h[7], h[8]]) & 0x7fff_ffff;
        assert!(out.len() >= 9 + len, "partial frame in output");
        let kind = h[3];
        out = &out[9 + len..];
        Some((kind, (id, len)))
    })
}
