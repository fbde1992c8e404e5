//! Criterion group `http2`: brisk-http2's frame codec and a full in-memory request/response
//! cycle through both roles.
//!
//! - `frames/parse`: one buffer of 1,000 mixed frames (DATA of 1 and 16 KiB, HEADERS,
//!   WINDOW_UPDATE, PING, SETTINGS, RST_STREAM; 7.4 MB) parsed front to back; throughput in
//!   frames (parsing borrows payloads and never touches DATA bytes). Each iteration checks the
//!   frame count and the DATA byte total.
//! - `frames/serialize`: the same 1,000 frames encoded into a reused buffer (payloads copied);
//!   throughput in bytes; each iteration checks the output length.
//! - `cycle/*`: one stream per iteration on a long-lived client/server pair in memory: the
//!   client sends a request (HEADERS, plus a DATA body when the name says so), the server
//!   receives it, answers HEADERS + DATA, and the client receives the response and returns the
//!   flow-control credit. Reported per stream (elements = streams); each iteration checks the
//!   response body length.
//!
//! There is no peer in this group yet (nghttp2's session API would need callbacks through
//! `libnghttp2-sys`).
//!
//! Run: `cargo bench -p brisk-benches --bench http2 -- --warm-up-time 1 --measurement-time 3`

use std::hint::black_box;

use brisk_http2::{
    Config, Connection, ErrorCode, Event, Frame, Priority, SettingsPayload, StreamId,
};
use criterion::{criterion_group, criterion_main, Criterion, Throughput};

fn frame_buffer() -> (Vec<u8>, usize, usize) {
    let big = vec![7u8; 16_384];
    let small = vec![9u8; 1024];
    let block = [
        0x82u8, 0x86, 0x84, 0x41, 0x8a, 0x08, 0x9d, 0x5c, 0x0b, 0x81, 0x70, 0xdc, 0x78, 0x0f, 0x03,
    ];
    let settings = [0u8, 3, 0, 0, 0, 100, 0, 4, 0, 1, 0, 0];
    let mut out = Vec::new();
    let (mut n, mut data) = (0, 0);
    for i in 0..1000u32 {
        let stream = StreamId::new(1 + 2 * (i % 50));
        let f = match i % 10 {
            0 | 1 => {
                data += big.len();
                Frame::Data {
                    stream,
                    data: &big,
                    end_stream: false,
                    flow_len: big.len() as u32,
                }
            }
            2..=4 => {
                data += small.len();
                Frame::Data {
                    stream,
                    data: &small,
                    end_stream: i % 3 == 0,
                    flow_len: small.len() as u32,
                }
            }
            5 => Frame::Headers {
                stream,
                block: &block,
                end_stream: false,
                end_headers: true,
                priority: Some(Priority {
                    dependency: StreamId::new(0),
                    weight: 15,
                    exclusive: false,
                }),
            },
            6 | 7 => Frame::WindowUpdate {
                stream,
                increment: 32_768,
            },
            8 => Frame::Ping {
                ack: false,
                payload: *b"benchpng",
            },
            _ if i % 20 == 9 => Frame::Settings {
                ack: false,
                payload: SettingsPayload::new(&settings).unwrap(),
            },
            _ => Frame::RstStream {
                stream,
                code: ErrorCode::CANCEL,
            },
        };
        f.encode(&mut out);
        n += 1;
    }
    (out, n, data)
}

fn frames(c: &mut Criterion) {
    let (buf, count, data_bytes) = frame_buffer();
    // Parsing borrows payloads without touching them, so report frames, not bytes.
    let mut g = c.benchmark_group("http2/frames");
    g.throughput(Throughput::Elements(count as u64));
    g.bench_function("parse", |b| {
        b.iter(|| {
            let mut rest = black_box(&buf[..]);
            let (mut n, mut data) = (0, 0);
            while let Some((f, used)) = Frame::parse(rest, 16_384).unwrap() {
                if let Frame::Data { data: d, .. } = f {
                    data += d.len();
                }
                n += 1;
                rest = &rest[used..];
            }
            assert_eq!((n, data), (count, data_bytes));
        })
    });
    // Parse once into a list of frames borrowing `buf`, then serialize them repeatedly.
    let mut list = Vec::new();
    let mut rest = &buf[..];
    while let Some((f, used)) = Frame::parse(rest, 16_384).unwrap() {
        list.push(f);
        rest = &rest[used..];
    }
    let mut out = Vec::with_capacity(buf.len());
    g.throughput(Throughput::Bytes(buf.len() as u64));
    g.bench_function("serialize", |b| {
        b.iter(|| {
            out.clear();
            for f in black_box(&list) {
                f.encode(&mut out);
            }
            assert_eq!(out.len(), buf.len());
        })
    });
    g.finish();
}

struct Pair {
    client: Connection,
    server: Connection,
    wire: Vec<u8>,
    body: Vec<u8>,
    consumed: Vec<(StreamId, usize)>,
}

impl Pair {
    fn new() -> Pair {
        let mut p = Pair {
            client: Connection::client(Config::default()),
            server: Connection::server(Config::default()),
            wire: Vec::with_capacity(1 << 16),
            body: vec![b'r'; 1024],
            consumed: Vec::with_capacity(16),
        };
        p.pump_to_server();
        p.pump_to_client();
        p.pump_to_server();
        p
    }

    fn pump_to_server(&mut self) {
        self.wire.clear();
        self.client.poll_output(&mut self.wire);
        assert_eq!(self.server.recv(&self.wire).unwrap(), self.wire.len());
    }

    fn pump_to_client(&mut self) {
        self.wire.clear();
        self.server.poll_output(&mut self.wire);
        assert_eq!(self.client.recv(&self.wire).unwrap(), self.wire.len());
    }

    /// One full stream; returns the response body length seen by the client.
    fn cycle(&mut self, request_body: usize, response_body: usize) -> usize {
        let fields = [
            (":method", "POST"),
            (":scheme", "http"),
            (":path", "/bench"),
            (":authority", "localhost"),
            ("user-agent", "brisk-bench"),
        ];
        let id = self
            .client
            .send_request(&fields, request_body == 0)
            .unwrap();
        if request_body > 0 {
            assert_eq!(
                self.client
                    .send_data(id, &self.body[..request_body], true)
                    .unwrap(),
                request_body
            );
        }
        self.pump_to_server();
        let mut answer = None;
        while let Some(ev) = self.server.poll_event() {
            match ev {
                Event::Headers {
                    stream, end_stream, ..
                } if end_stream => answer = Some(stream),
                Event::Data {
                    stream,
                    data,
                    end_stream,
                } => {
                    self.consumed.push((stream, data.len()));
                    if end_stream {
                        answer = Some(stream);
                    }
                }
                _ => {}
            }
        }
        for (s, n) in self.consumed.drain(..) {
            self.server.consume(s, n);
        }
        let s = answer.expect("request complete");
        self.server
            .send_headers(
                s,
                &[
                    (":status", "200"),
                    ("content-type", "text/plain"),
                    ("server", "brisk"),
                ],
                response_body == 0,
            )
            .unwrap();
        if response_body > 0 {
            assert_eq!(
                self.server
                    .send_data(s, &self.body[..response_body], true)
                    .unwrap(),
                response_body
            );
        }
        self.pump_to_client();
        let mut got = 0;
        while let Some(ev) = self.client.poll_event() {
            if let Event::Data { stream, data, .. } = ev {
                got += data.len();
                self.consumed.push((stream, data.len()));
            }
        }
        for (s, n) in self.consumed.drain(..) {
            self.client.consume(s, n);
        }
        // WINDOW_UPDATEs (when due) travel back.
        self.pump_to_server();
        got
    }
}

fn cycle(c: &mut Criterion) {
    let mut g = c.benchmark_group("http2/cycle");
    g.throughput(Throughput::Elements(1));
    for (name, req, resp) in [
        ("get_no_body", 0, 0),
        ("get_1k_response", 0, 1024),
        ("post_1k_each_way", 1024, 1024),
    ] {
        let mut pair = Pair::new();
        g.bench_function(name, |b| {
            b.iter(|| assert_eq!(pair.cycle(black_box(req), resp), resp))
        });
    }
    g.finish();
}

criterion_group!(http2, frames, cycle);
criterion_main!(http2);
