//! Client and server roles talking through in-memory byte pipes: 1,000 concurrent streams with
//! random request and response body sizes (0 to 64 KiB, plus a few of several MiB), random read
//! chunk sizes, windows and frame sizes. Every body must arrive intact, no flow-control window
//! may be exceeded (checked by an independent monitor on the wire), and the exchange must end.

mod util;

use std::collections::HashMap;

use brisk_http2::{Config, Connection, Event, StreamId};
use proptest::prelude::*;

/// xorshift64*: deterministic per proptest case.
use brisk_testkit::Rng;

fn req_byte(id: u32, i: usize) -> u8 {
    (i.wrapping_mul(31) as u32 ^ id) as u8
}

fn resp_byte(id: u32, i: usize) -> u8 {
    (i.wrapping_mul(17) as u32).wrapping_add(id * 7) as u8
}

/// Independent flow-control bookkeeping for what one endpoint sends (RFC 9113 §6.9), fed with
/// the frames that endpoint has received (SETTINGS, WINDOW_UPDATE) and the frames it sent (DATA).
#[derive(Default)]
struct Monitor {
    conn: i64,
    initial: i64,
    streams: HashMap<u32, i64>,
    data_bytes: u64,
}

impl Monitor {
    fn new() -> Monitor {
        Monitor {
            conn: 65_535,
            initial: 65_535,
            ..Monitor::default()
        }
    }

    fn received(&mut self, bytes: &[u8]) {
        for (kind, flags, id, payload) in util::frames(bytes) {
            match kind {
                4 if flags & 1 == 0 => {
                    for c in payload.chunks(6) {
                        if c[..2] == [0, 4] {
                            let v = i64::from(u32::from_be_bytes([c[2], c[3], c[4], c[5]]));
                            let delta = v - self.initial;
                            self.initial = v;
                            for w in self.streams.values_mut() {
                                *w += delta;
                            }
                        }
                    }
                }
                8 => {
                    let inc = i64::from(u32::from_be_bytes([
                        payload[0], payload[1], payload[2], payload[3],
                    ]));
                    if id == 0 {
                        self.conn += inc;
                    } else {
                        *self.streams.entry(id).or_insert(self.initial) += inc;
                    }
                }
                _ => {}
            }
        }
    }

    fn sent(&mut self, bytes: &[u8], max_frame: usize) {
        for (kind, _, id, payload) in util::frames(bytes) {
            assert!(
                payload.len() <= max_frame,
                "frame of {} bytes above the peer's max {max_frame}",
                payload.len()
            );
            if kind == 0 {
                let n = payload.len() as i64;
                self.conn -= n;
                let w = self.streams.entry(id).or_insert(self.initial);
                *w -= n;
                assert!(self.conn >= 0, "connection window exceeded: {}", self.conn);
                assert!(*w >= 0, "stream {id} window exceeded: {w}");
                self.data_bytes += n as u64;
            }
        }
    }
}

/// Delivers `pipe` to `conn` in random chunks; returns the bytes it consumed (whole frames).
fn deliver(conn: &mut Connection, pipe: &mut Vec<u8>, rng: &mut Rng, max_chunk: u64) -> Vec<u8> {
    let mut consumed = Vec::new();
    while !pipe.is_empty() && conn.wants_read() {
        let chunk = if rng.below(8) == 0 {
            1 + rng.below(16)
        } else {
            1 + rng.below(max_chunk)
        };
        let mut n = (chunk as usize).min(pipe.len());
        let mut used = conn.recv(&pipe[..n]).expect("recv");
        if used == 0 && n < pipe.len() {
            n = pipe.len();
            used = conn.recv(&pipe[..n]).expect("recv");
        }
        consumed.extend_from_slice(&pipe[..used]);
        pipe.drain(..used);
        if used == 0 {
            break;
        }
    }
    consumed
}

struct Params {
    seed: u64,
    streams: usize,
    client_window: u32,
    server_window: u32,
    client_conn_window: u32,
    server_conn_window: u32,
    client_frame: u32,
    server_frame: u32,
    max_chunk: u64,
    max_body: u64,
    big: usize,
}

fn run(p: Params) {
    let mut rng = Rng(p.seed | 1);
    let mut cc = Config::default();
    cc.initial_window_size = p.client_window;
    cc.connection_window_size = p.client_conn_window;
    cc.max_frame_size = p.client_frame;
    let mut sc = Config::default();
    sc.initial_window_size = p.server_window;
    sc.connection_window_size = p.server_conn_window;
    sc.max_frame_size = p.server_frame;
    sc.max_concurrent_streams = p.streams as u32;
    let mut client = Connection::client(cc);
    let mut server = Connection::server(sc);
    let mut client_mon = Monitor::new();
    let mut server_mon = Monitor::new();

    // Sizes: 0..=max_body (64 KiB), plus `big` streams of 2..6 MiB.
    let mut req_sizes: Vec<usize> = (0..p.streams)
        .map(|_| rng.below(p.max_body + 1) as usize)
        .collect();
    let mut resp_sizes: Vec<usize> = (0..p.streams)
        .map(|_| rng.below(p.max_body + 1) as usize)
        .collect();
    for _ in 0..p.big {
        let i = rng.below(p.streams as u64) as usize;
        req_sizes[i] = (2 << 20) + rng.below(4 << 20) as usize;
        let j = rng.below(p.streams as u64) as usize;
        resp_sizes[j] = (2 << 20) + rng.below(4 << 20) as usize;
    }
    let req_body = |id: u32, len: usize| (0..len).map(|i| req_byte(id, i)).collect::<Vec<u8>>();

    // Client: open every stream at once (the server allows them all).
    let mut index_of: HashMap<StreamId, usize> = HashMap::new();
    let mut client_sending: HashMap<StreamId, (Vec<u8>, usize)> = HashMap::new();
    let mut responses: HashMap<StreamId, (u16, usize, bool)> = HashMap::new();
    for (i, &size) in req_sizes.iter().enumerate() {
        let end = size == 0;
        let len = size.to_string();
        let id = client
            .send_request(
                &[
                    (":method", "POST"),
                    (":scheme", "http"),
                    (":path", "/up"),
                    (":authority", "pair"),
                    ("content-length", len.as_str()),
                ],
                end,
            )
            .expect("send_request");
        index_of.insert(id, i);
        responses.insert(id, (0, 0, false));
        if !end {
            client_sending.insert(id, (req_body(id.value(), size), 0));
        }
    }

    // Server state: received request bytes per stream, response progress.
    let mut server_recv: HashMap<StreamId, usize> = HashMap::new();
    let mut server_sending: HashMap<StreamId, (usize, usize)> = HashMap::new();
    let mut scratch = Vec::new();
    let mut c2s = Vec::new();
    let mut s2c = Vec::new();
    let mut done = 0;
    let mut rounds = 0;
    while done < p.streams {
        rounds += 1;
        if rounds >= 200_000 {
            let open: Vec<_> = responses.iter().filter(|r| !r.1 .2).collect();
            let caps: Vec<_> = server_sending
                .keys()
                .map(|id| (id, server.send_capacity_of(*id)))
                .collect();
            let ccaps: Vec<_> = client_sending
                .keys()
                .map(|id| (id, client.send_capacity_of(*id)))
                .collect();
            panic!(
                "exchange did not complete ({done}/{} done): open {open:?}, server sending {server_sending:?} caps {caps:?}, client sending caps {ccaps:?}, pipes {} {}",
                p.streams,
                c2s.len(),
                s2c.len()
            );
        }
        // Client sends what it can.
        let ids: Vec<StreamId> = client_sending.keys().copied().collect();
        for id in ids {
            let (body, off) = client_sending.get_mut(&id).unwrap();
            let n = client
                .send_data(id, &body[*off..], true)
                .expect("client send_data");
            *off += n;
            if *off == body.len() {
                client_sending.remove(&id);
            }
        }
        let mut out = Vec::new();
        client.poll_output(&mut out);
        client_mon.sent(&out, p.server_frame as usize);
        c2s.extend_from_slice(&out);

        let consumed = deliver(&mut server, &mut c2s, &mut rng, p.max_chunk);
        server_mon.received(&consumed);
        // Server application.
        let mut finished = Vec::new();
        while let Some(ev) = server.poll_event() {
            match ev {
                Event::Headers {
                    stream,
                    headers,
                    end_stream,
                } => {
                    assert_eq!(headers.path(), Some(&b"/up"[..]));
                    server_recv.insert(stream, 0);
                    if end_stream {
                        finished.push(stream);
                    }
                }
                Event::Data {
                    stream,
                    data,
                    end_stream,
                } => {
                    let got = server_recv.get_mut(&stream).expect("known stream");
                    for (k, &b) in data.iter().enumerate() {
                        assert_eq!(
                            b,
                            req_byte(stream.value(), *got + k),
                            "request body of {stream} corrupted"
                        );
                    }
                    *got += data.len();
                    scratch.push((stream, data.len()));
                    if end_stream {
                        finished.push(stream);
                    }
                }
                Event::StreamReset { stream, code, .. } => {
                    panic!("server saw reset of {stream}: {code}")
                }
                _ => {}
            }
        }
        for (s, n) in scratch.drain(..) {
            server.consume(s, n);
        }
        for s in finished {
            let i = index_of[&s];
            assert_eq!(server_recv[&s], req_sizes[i], "request body length of {s}");
            let len = resp_sizes[i].to_string();
            server
                .send_headers(
                    s,
                    &[(":status", "200"), ("content-length", len.as_str())],
                    resp_sizes[i] == 0,
                )
                .unwrap();
            if resp_sizes[i] > 0 {
                server_sending.insert(s, (resp_sizes[i], 0));
            }
        }
        let ids: Vec<StreamId> = server_sending.keys().copied().collect();
        let mut buf = Vec::new();
        for id in ids {
            let (len, off) = server_sending[&id];
            let chunk = (len - off).min(1 << 20);
            buf.clear();
            buf.extend((off..off + chunk).map(|i| resp_byte(id.value(), i)));
            let n = server
                .send_data(id, &buf, off + chunk == len)
                .expect("server send_data");
            if off + n == len {
                server_sending.remove(&id);
            } else {
                server_sending.insert(id, (len, off + n));
            }
        }
        out.clear();
        server.poll_output(&mut out);
        server_mon.sent(&out, p.client_frame as usize);
        s2c.extend_from_slice(&out);

        let consumed = deliver(&mut client, &mut s2c, &mut rng, p.max_chunk);
        client_mon.received(&consumed);
        while let Some(ev) = client.poll_event() {
            match ev {
                Event::Headers {
                    stream,
                    headers,
                    end_stream,
                } => {
                    let r = responses.get_mut(&stream).unwrap();
                    r.0 = headers.status().unwrap();
                    if end_stream {
                        r.2 = true;
                        done += 1;
                    }
                }
                Event::Data {
                    stream,
                    data,
                    end_stream,
                } => {
                    let r = responses.get_mut(&stream).unwrap();
                    for (k, &b) in data.iter().enumerate() {
                        assert_eq!(
                            b,
                            resp_byte(stream.value(), r.1 + k),
                            "response body of {stream} corrupted"
                        );
                    }
                    r.1 += data.len();
                    scratch.push((stream, data.len()));
                    if end_stream {
                        r.2 = true;
                        done += 1;
                    }
                }
                Event::StreamReset { stream, code, .. } => {
                    panic!("client saw reset of {stream}: {code}")
                }
                _ => {}
            }
        }
        for (s, n) in scratch.drain(..) {
            client.consume(s, n);
        }
    }
    for (id, (status, len, ended)) in &responses {
        assert_eq!(*status, 200);
        assert!(ended);
        assert_eq!(
            *len, resp_sizes[index_of[id]],
            "response body length of {id}"
        );
    }
    assert_eq!(client.open_streams(), 0);
    assert_eq!(server.open_streams(), 0);
    let total_req: usize = req_sizes.iter().sum();
    let total_resp: usize = resp_sizes.iter().sum();
    assert_eq!(client_mon.data_bytes, total_req as u64);
    assert_eq!(server_mon.data_bytes, total_resp as u64);
}

proptest! {
    // Each case moves ~70 MB through both roles; 4 cases stay well under 30 s at opt-level 2.
    #![proptest_config(ProptestConfig { cases: 4, ..ProptestConfig::default() })]

    #[test]
    fn thousand_concurrent_streams_complete_intact(
        seed in any::<u64>(),
        client_window in 1_024u32..1_048_576,
        server_window in 1_024u32..1_048_576,
        client_conn_window in 65_535u32..16_777_216,
        server_conn_window in 65_535u32..16_777_216,
        client_frame in 16_384u32..262_144,
        server_frame in 16_384u32..262_144,
        max_chunk in 1u64..70_000,
    ) {
        run(Params {
            seed, streams: 1000, client_window, server_window, client_conn_window,
            server_conn_window, client_frame, server_frame, max_chunk, max_body: 65_536, big: 3,
        });
    }
}

#[test]
fn tiny_windows_and_one_byte_reads() {
    run(Params {
        seed: 7,
        streams: 50,
        client_window: 1,
        server_window: 7,
        client_conn_window: 65_535,
        server_conn_window: 65_535,
        client_frame: 16_384,
        server_frame: 16_384,
        max_chunk: 1,
        max_body: 3000,
        big: 0,
    });
}
