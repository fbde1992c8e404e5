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
//! The same cycles run through nghttp2 (the C library, via `libnghttp2-sys`): a client and a
//! server `nghttp2_session` in memory (`mem_send` / `mem_recv`), the server answering from the
//! frame-received callback's END_STREAM, body bytes counted in the data-chunk callback, headers
//! delivered to a counting header callback, automatic WINDOW_UPDATEs. nghttp2 has no separate
//! frame parser API, so the `frames` benches have no peer.
//!
//! Run: `cargo bench -p brisk-benches --bench http2 -- --warm-up-time 1 --measurement-time 3`
#![allow(unsafe_code)]

use std::hint::black_box;

use brisk_benches::paired::Paired;
use brisk_http2::{
    Config, Connection, ErrorCode, Event, Frame, Priority, SettingsPayload, StreamId,
};
use criterion::{criterion_group, Criterion, Throughput};

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

/// The same exchange through two nghttp2 sessions.
mod nghttp2 {
    use std::os::raw::{c_int, c_void};
    use std::ptr::{null, null_mut};

    use libnghttp2_sys as ng;

    /// Body source for a data provider.
    pub struct Cursor {
        data: Vec<u8>,
        len: usize,
        off: usize,
    }

    /// Per-session callback state.
    #[derive(Default)]
    pub struct State {
        finished: Vec<i32>,
        got: usize,
        headers: usize,
    }

    unsafe extern "C" fn on_frame_recv(
        _s: *mut ng::nghttp2_session,
        frame: *const ng::nghttp2_frame,
        user: *mut c_void,
    ) -> c_int {
        // SAFETY: `user` is the `State` given at session creation, alive as long as the session;
        // `frame` is valid for the call and `hd` is the common prefix of every frame.
        unsafe {
            let st = &mut *(user as *mut State);
            let hd = (*frame).hd;
            let end = hd.flags & ng::NGHTTP2_FLAG_END_STREAM as u8 != 0;
            if end && (hd.type_ == ng::NGHTTP2_HEADERS as u8 || hd.type_ == ng::NGHTTP2_DATA as u8)
            {
                st.finished.push(hd.stream_id);
            }
        }
        0
    }

    unsafe extern "C" fn on_data(
        _s: *mut ng::nghttp2_session,
        _f: u8,
        _id: i32,
        _d: *const u8,
        len: usize,
        user: *mut c_void,
    ) -> c_int {
        // SAFETY: as in `on_frame_recv`.
        unsafe { (*(user as *mut State)).got += len };
        0
    }

    #[allow(clippy::too_many_arguments)]
    unsafe extern "C" fn on_header(
        _s: *mut ng::nghttp2_session,
        _f: *const ng::nghttp2_frame,
        _n: *const u8,
        _nl: usize,
        _v: *const u8,
        _vl: usize,
        _fl: u8,
        user: *mut c_void,
    ) -> c_int {
        // SAFETY: as in `on_frame_recv`.
        unsafe { (*(user as *mut State)).headers += 1 };
        0
    }

    unsafe extern "C" fn read_body(
        _s: *mut ng::nghttp2_session,
        _id: i32,
        buf: *mut u8,
        length: usize,
        flags: *mut u32,
        source: *mut ng::nghttp2_data_source,
        _user: *mut c_void,
    ) -> isize {
        // SAFETY: `source.ptr` is the `Cursor` we submitted, alive until the body is sent (within
        // the same cycle); `buf` has room for `length` bytes; `flags` is valid.
        unsafe {
            let cur = &mut *((*source).ptr as *mut Cursor);
            let n = length.min(cur.len - cur.off);
            std::ptr::copy_nonoverlapping(cur.data.as_ptr().add(cur.off), buf, n);
            cur.off += n;
            if cur.off == cur.len {
                *flags |= ng::NGHTTP2_DATA_FLAG_EOF;
            }
            n as isize
        }
    }

    fn nv(name: &'static [u8], value: &'static [u8]) -> ng::nghttp2_nv {
        ng::nghttp2_nv {
            name: name.as_ptr() as *mut u8,
            value: value.as_ptr() as *mut u8,
            namelen: name.len(),
            valuelen: value.len(),
            flags: ng::NGHTTP2_NV_FLAG_NONE as u8,
        }
    }

    pub struct Pair {
        client: *mut ng::nghttp2_session,
        server: *mut ng::nghttp2_session,
        cst: Box<State>,
        sst: Box<State>,
        ccur: Box<Cursor>,
        scur: Box<Cursor>,
        wire: Vec<u8>,
        req: [ng::nghttp2_nv; 5],
        resp: [ng::nghttp2_nv; 3],
    }

    impl Pair {
        pub fn new() -> Pair {
            let mut p = Pair {
                client: null_mut(),
                server: null_mut(),
                cst: Box::default(),
                sst: Box::default(),
                ccur: Box::new(Cursor {
                    data: vec![b'r'; 1024],
                    len: 0,
                    off: 0,
                }),
                scur: Box::new(Cursor {
                    data: vec![b'r'; 1024],
                    len: 0,
                    off: 0,
                }),
                wire: Vec::with_capacity(1 << 16),
                req: [
                    nv(b":method", b"POST"),
                    nv(b":scheme", b"http"),
                    nv(b":path", b"/bench"),
                    nv(b":authority", b"localhost"),
                    nv(b"user-agent", b"brisk-bench"),
                ],
                resp: [
                    nv(b":status", b"200"),
                    nv(b"content-type", b"text/plain"),
                    nv(b"server", b"brisk"),
                ],
            };
            // SAFETY: plain nghttp2 setup calls; the states outlive the sessions (dropped after
            // `nghttp2_session_del` in `Drop`).
            unsafe {
                let mut cbs = null_mut();
                assert_eq!(ng::nghttp2_session_callbacks_new(&mut cbs), 0);
                ng::nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, Some(on_frame_recv));
                ng::nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, Some(on_data));
                ng::nghttp2_session_callbacks_set_on_header_callback(cbs, Some(on_header));
                let cu = &mut *p.cst as *mut State as *mut c_void;
                let su = &mut *p.sst as *mut State as *mut c_void;
                assert_eq!(ng::nghttp2_session_client_new(&mut p.client, cbs, cu), 0);
                assert_eq!(ng::nghttp2_session_server_new(&mut p.server, cbs, su), 0);
                ng::nghttp2_session_callbacks_del(cbs);
                assert_eq!(ng::nghttp2_submit_settings(p.client, 0, null(), 0), 0);
                assert_eq!(ng::nghttp2_submit_settings(p.server, 0, null(), 0), 0);
            }
            p.pump(true);
            p.pump(false);
            p.pump(true);
            p
        }

        /// Moves everything one session has to send into the other.
        fn pump(&mut self, client_to_server: bool) {
            let (from, to) = if client_to_server {
                (self.client, self.server)
            } else {
                (self.server, self.client)
            };
            self.wire.clear();
            // SAFETY: nghttp2 returns a pointer to `n` valid bytes, valid until the next call.
            unsafe {
                loop {
                    let mut ptr: *const u8 = null();
                    let n = ng::nghttp2_session_mem_send(from, &mut ptr);
                    assert!(n >= 0);
                    if n == 0 {
                        break;
                    }
                    self.wire
                        .extend_from_slice(std::slice::from_raw_parts(ptr, n as usize));
                }
                let used = ng::nghttp2_session_mem_recv(to, self.wire.as_ptr(), self.wire.len());
                assert_eq!(used, self.wire.len() as isize);
            }
        }

        pub fn cycle(&mut self, request_body: usize, response_body: usize) -> usize {
            let before = self.cst.got;
            // SAFETY: the nv arrays and cursors are owned by `self` and outlive the calls that
            // read them (nghttp2 copies header fields at submit; bodies are read during `pump`).
            unsafe {
                self.ccur.len = request_body;
                self.ccur.off = 0;
                let prd = ng::nghttp2_data_provider {
                    source: ng::nghttp2_data_source {
                        ptr: &mut *self.ccur as *mut Cursor as *mut c_void,
                    },
                    read_callback: Some(read_body),
                };
                let prd_ptr = if request_body > 0 {
                    &prd as *const _
                } else {
                    null()
                };
                let id = ng::nghttp2_submit_request(
                    self.client,
                    null(),
                    self.req.as_ptr(),
                    self.req.len(),
                    prd_ptr,
                    null_mut(),
                );
                assert!(id > 0);
                self.pump(true);
                let s = self.sst.finished.pop().expect("request complete");
                self.scur.len = response_body;
                self.scur.off = 0;
                let prd = ng::nghttp2_data_provider {
                    source: ng::nghttp2_data_source {
                        ptr: &mut *self.scur as *mut Cursor as *mut c_void,
                    },
                    read_callback: Some(read_body),
                };
                let prd_ptr = if response_body > 0 {
                    &prd as *const _
                } else {
                    null()
                };
                assert_eq!(
                    ng::nghttp2_submit_response(
                        self.server,
                        s,
                        self.resp.as_ptr(),
                        self.resp.len(),
                        prd_ptr
                    ),
                    0
                );
                self.pump(false);
                assert_eq!(self.cst.finished.pop(), Some(id));
                self.pump(true);
            }
            assert!(self.sst.headers > 0 && self.cst.headers > 0);
            self.cst.got - before
        }
    }

    impl Drop for Pair {
        fn drop(&mut self) {
            // SAFETY: sessions created in `new`, deleted once.
            unsafe {
                ng::nghttp2_session_del(self.client);
                ng::nghttp2_session_del(self.server);
            }
        }
    }
}

/// The cycles timed: (name, request body bytes, response body bytes).
const CYCLES: [(&str, usize, usize); 3] = [
    ("get_no_body", 0, 0),
    ("get_1k_response", 0, 1024),
    ("post_1k_each_way", 1024, 1024),
];

fn cycle(c: &mut Criterion) {
    let mut g = c.benchmark_group("http2/cycle");
    g.throughput(Throughput::Elements(1));
    for (name, req, resp) in CYCLES {
        let mut pair = Pair::new();
        g.bench_function(format!("brisk/{name}"), |b| {
            b.iter(|| assert_eq!(pair.cycle(black_box(req), resp), resp))
        });
        let mut ngp = nghttp2::Pair::new();
        g.bench_function(format!("nghttp2/{name}"), |b| {
            b.iter(|| assert_eq!(ngp.cycle(black_box(req), resp), resp))
        });
    }
    g.finish();
}

/// The request/response cycles against nghttp2 under the paired harness (`BRISK_PAIRED=1`).
fn paired(p: &mut Paired) {
    for (name, req, resp) in CYCLES {
        let mut pair = Pair::new();
        let mut ngp = nghttp2::Pair::new();
        p.compare(
            "http2",
            name,
            || assert_eq!(pair.cycle(black_box(req), resp), resp),
            || assert_eq!(ngp.cycle(black_box(req), resp), resp),
        );
    }
}

criterion_group!(http2, frames, cycle);

fn main() {
    if let Some(mut p) = Paired::from_env() {
        paired(&mut p);
        p.rows().iter().for_each(|r| println!("{}", r.line()));
        return;
    }
    http2();
    Criterion::default().configure_from_args().final_summary();
}
