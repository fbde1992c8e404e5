//! Test-only helpers: a small blocking HTTP/2 server (std::net + brisk-http2, one thread per
//! connection), a blocking client fetch, an in-memory pair, frame builders and peer lookup.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

use brisk_http2::{Config, Connection, ErrorCode, Event, StreamId};

/// Skips (returns false) or panics when an external peer is missing, per BRISK_REQUIRE_PEERS.
pub fn have_peer(test: &str, check: &mut Command) -> bool {
    let ok = check
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        if std::env::var("BRISK_REQUIRE_PEERS").as_deref() == Ok("1") {
            panic!("{test}: required peer missing: {check:?}");
        }
        eprintln!("SKIPPED {test}: peer not found ({check:?})");
    }
    ok
}

/// The body the test server sends for `path`.
pub fn body_for(path: &[u8]) -> Vec<u8> {
    if let Some(n) = path.strip_prefix(b"/size/") {
        let n: usize = std::str::from_utf8(n).unwrap_or("0").parse().unwrap_or(0);
        return pattern(n);
    }
    b"hello from brisk-http2\n".to_vec()
}

/// Deterministic body bytes.
pub fn pattern(n: usize) -> Vec<u8> {
    (0..n).map(|i| (i % 251) as u8 ^ (i / 251) as u8).collect()
}

/// The test application: `/echo` echoes the request body, `/size/N` sends N bytes, anything
/// else a short text. Responds when the request ends.
#[derive(Default)]
pub struct App {
    requests: HashMap<StreamId, (Vec<u8>, Vec<u8>)>,
    sending: HashMap<StreamId, (Vec<u8>, usize)>,
}

enum Action {
    Open(StreamId, Vec<u8>, bool),
    Body(StreamId, usize, Vec<u8>, bool),
    End(StreamId),
    Ready(StreamId),
    Gone(StreamId),
}

impl App {
    /// Drains events and answers them.
    pub fn drive(&mut self, conn: &mut Connection) {
        let mut actions = Vec::new();
        while let Some(ev) = conn.poll_event() {
            actions.push(match ev {
                Event::Headers {
                    stream,
                    headers,
                    end_stream,
                } => Action::Open(stream, headers.path().unwrap_or(b"/").to_vec(), end_stream),
                Event::Data {
                    stream,
                    data,
                    end_stream,
                } => Action::Body(stream, data.len(), data.to_vec(), end_stream),
                Event::Trailers { stream, .. } => Action::End(stream),
                Event::SendReady { stream } => Action::Ready(stream),
                Event::StreamReset { stream, .. } => Action::Gone(stream),
                _ => continue,
            });
        }
        for a in actions {
            match a {
                Action::Open(s, path, end) => {
                    self.requests.insert(s, (path, Vec::new()));
                    if end {
                        self.respond(conn, s);
                    }
                }
                Action::Body(s, n, data, end) => {
                    conn.consume(s, n);
                    if let Some((path, body)) = self.requests.get_mut(&s) {
                        if path == b"/echo" {
                            body.extend_from_slice(&data);
                        }
                    }
                    if end {
                        self.respond(conn, s);
                    }
                }
                Action::End(s) => self.respond(conn, s),
                Action::Ready(s) => self.flush(conn, s),
                Action::Gone(s) => {
                    self.requests.remove(&s);
                    self.sending.remove(&s);
                }
            }
        }
    }

    fn respond(&mut self, conn: &mut Connection, s: StreamId) {
        let Some((path, req_body)) = self.requests.remove(&s) else {
            return;
        };
        let body = if path == b"/echo" {
            req_body
        } else {
            body_for(&path)
        };
        let len = body.len().to_string();
        if conn
            .send_headers(
                s,
                &[
                    (":status", "200"),
                    ("content-length", len.as_str()),
                    ("server", "brisk-test"),
                ],
                false,
            )
            .is_err()
        {
            return;
        }
        self.sending.insert(s, (body, 0));
        self.flush(conn, s);
    }

    fn flush(&mut self, conn: &mut Connection, s: StreamId) {
        let Some((body, off)) = self.sending.get_mut(&s) else {
            return;
        };
        match conn.send_data(s, &body[*off..], true) {
            Ok(n) => {
                *off += n;
                if *off == body.len() {
                    self.sending.remove(&s);
                }
            }
            Err(_) => {
                self.sending.remove(&s);
            }
        }
    }
}

/// Starts the blocking test server on 127.0.0.1 (port 0) and returns its address.
pub fn spawn_server(config: Config) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    thread::spawn(move || {
        for sock in listener.incoming() {
            let Ok(sock) = sock else { continue };
            let config = config.clone();
            thread::spawn(move || serve(sock, config));
        }
    });
    addr
}

/// Reads an HTTP/1.1 request head that asks for `Upgrade: h2c`; answers 101 and builds the
/// upgraded connection. Returns the connection and how many bytes of `inbuf` the head used, or
/// `None` if it is not such a request (the bytes are then treated as HTTP/2).
fn upgrade(
    sock: &mut TcpStream,
    inbuf: &mut [u8],
    have: &mut usize,
    config: Config,
) -> Option<(Connection, usize)> {
    let end = loop {
        if let Some(p) = inbuf[..*have].windows(4).position(|w| w == b"\r\n\r\n") {
            break p + 4;
        }
        match sock.read(&mut inbuf[*have..]) {
            Ok(0) | Err(_) => return None,
            Ok(n) => *have += n,
        }
    };
    let head = std::str::from_utf8(&inbuf[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let mut parts = lines.next()?.split(' ');
    let (method, path) = (parts.next()?, parts.next()?);
    let mut fields: Vec<(&[u8], &[u8])> = Vec::new();
    let (mut host, mut settings, mut wants_h2c) = ("", "", false);
    for line in lines.filter(|l| !l.is_empty()) {
        let (n, v) = line.split_once(':')?;
        let v = v.trim();
        if n.eq_ignore_ascii_case("host") {
            host = v;
        } else if n.eq_ignore_ascii_case("http2-settings") {
            settings = v;
        } else if n.eq_ignore_ascii_case("upgrade") {
            wants_h2c = v.eq_ignore_ascii_case("h2c");
        }
        fields.push((n.as_bytes(), v.as_bytes()));
    }
    if !wants_h2c {
        return None;
    }
    let req = brisk_http2::H2cRequest {
        method: method.as_bytes(),
        path: path.as_bytes(),
        authority: host.as_bytes(),
        fields: &fields,
    };
    let conn = Connection::from_h2c_upgrade(config, settings.as_bytes(), &req).ok()?;
    sock.write_all(
        b"HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
    )
    .ok()?;
    Some((conn, end))
}

/// Serves one connection until it closes: HTTP/2 with prior knowledge, or HTTP/1.1 with
/// `Upgrade: h2c`.
pub fn serve(mut sock: TcpStream, config: Config) {
    let _ = sock.set_nodelay(true);
    let mut app = App::default();
    let mut inbuf = vec![0u8; 1 << 20];
    let mut have = 0;
    while have < 4 {
        match sock.read(&mut inbuf[have..]) {
            Ok(0) | Err(_) => return,
            Ok(n) => have += n,
        }
    }
    let mut conn = if inbuf.starts_with(b"PRI ") {
        Connection::server(config)
    } else {
        match upgrade(&mut sock, &mut inbuf, &mut have, config.clone()) {
            Some((conn, used)) => {
                inbuf.copy_within(used..have, 0);
                have -= used;
                conn
            }
            // Not an upgrade: HTTP/2 rules apply (an invalid preface gets GOAWAY).
            None => Connection::server(config),
        }
    };
    let mut out = Vec::new();
    loop {
        conn.handle_timeout(Instant::now());
        let mut progress = false;
        if have > 0 {
            match conn.recv(&inbuf[..have]) {
                Ok(used) => {
                    inbuf.copy_within(used..have, 0);
                    have -= used;
                    progress = used > 0;
                }
                Err(_) => break,
            }
        }
        // Draining the output can free send buffer and wake blocked streams (SendReady),
        // so alternate until neither produces anything.
        loop {
            app.drive(&mut conn);
            out.clear();
            if conn.poll_output(&mut out) == 0 {
                break;
            }
            if sock.write_all(&out).is_err() {
                return;
            }
        }
        if conn.is_closed() {
            break;
        }
        if progress && have > 0 {
            continue;
        }
        match sock.read(&mut inbuf[have..]) {
            Ok(0) | Err(_) => return,
            Ok(n) => have += n,
        }
    }
    out.clear();
    conn.poll_output(&mut out);
    let _ = sock.write_all(&out);
    linger_close(sock);
}

/// Half-closes, then drains the peer for a moment so the final frames are not lost to a RST.
pub fn linger_close(mut sock: TcpStream) {
    let _ = sock.shutdown(Shutdown::Write);
    let _ = sock.set_read_timeout(Some(Duration::from_millis(200)));
    let mut sink = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(1);
    while Instant::now() < deadline {
        match sock.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(_) => {}
        }
    }
}

/// A finished response seen by [`fetch`].
#[derive(Debug, Default)]
pub struct Response {
    pub status: u16,
    pub body: Vec<u8>,
}

/// Blocking client: sends `requests` (fields, body) on one connection to `addr`, concurrently,
/// and returns the responses in order.
pub fn fetch(
    addr: SocketAddr,
    authority: &str,
    requests: &[(&str, &str, Vec<u8>)],
) -> Vec<Response> {
    let mut sock = TcpStream::connect(addr).expect("connect");
    sock.set_nodelay(true).ok();
    sock.set_read_timeout(Some(Duration::from_secs(20))).ok();
    let mut conn = Connection::client(Config::default());
    let mut ids = Vec::new();
    let mut pending: HashMap<StreamId, (usize, usize)> = HashMap::new();
    let mut responses: HashMap<StreamId, Response> = HashMap::new();
    let mut done = 0;
    let mut inbuf = vec![0u8; 1 << 20];
    let mut have = 0;
    let mut out = Vec::new();
    let mut next = 0;
    loop {
        while next < requests.len() {
            let (method, path, body) = &requests[next];
            let fields = [
                (":method", *method),
                (":scheme", "http"),
                (":path", *path),
                (":authority", authority),
            ];
            match conn.send_request(&fields, body.is_empty()) {
                Ok(id) => {
                    ids.push(id);
                    responses.insert(id, Response::default());
                    if !body.is_empty() {
                        pending.insert(id, (next, 0));
                    }
                    next += 1;
                }
                Err(brisk_http2::UserError::StreamLimit) => break,
                Err(e) => panic!("send_request: {e}"),
            }
        }
        loop {
            let keys: Vec<StreamId> = pending.keys().copied().collect();
            for id in keys {
                let (i, off) = pending[&id];
                let body = &requests[i].2;
                let n = conn.send_data(id, &body[off..], true).expect("send_data");
                if off + n == body.len() {
                    pending.remove(&id);
                } else {
                    pending.insert(id, (i, off + n));
                }
            }
            out.clear();
            if conn.poll_output(&mut out) == 0 {
                break;
            }
            sock.write_all(&out).expect("write");
        }
        if done == requests.len() {
            break;
        }
        let n = sock.read(&mut inbuf[have..]).expect("read");
        assert!(n > 0, "server closed early");
        have += n;
        let used = conn.recv(&inbuf[..have]).expect("recv");
        inbuf.copy_within(used..have, 0);
        have -= used;
        let mut consumed = Vec::new();
        while let Some(ev) = conn.poll_event() {
            match ev {
                Event::Headers {
                    stream,
                    headers,
                    end_stream,
                } => {
                    let r = responses.get_mut(&stream).expect("known stream");
                    r.status = headers.status().unwrap_or(0);
                    if end_stream && r.status >= 200 {
                        done += 1;
                    }
                }
                Event::Data {
                    stream,
                    data,
                    end_stream,
                } => {
                    responses
                        .get_mut(&stream)
                        .expect("known")
                        .body
                        .extend_from_slice(data);
                    consumed.push((stream, data.len()));
                    if end_stream {
                        done += 1;
                    }
                }
                Event::Trailers { .. } => done += 1,
                Event::StreamReset { stream, code, .. } => panic!("stream {stream} reset: {code}"),
                _ => {}
            }
        }
        for (s, n) in consumed {
            conn.consume(s, n);
        }
    }
    conn.go_away();
    out.clear();
    conn.poll_output(&mut out);
    let _ = sock.write_all(&out);
    ids.iter().map(|id| responses.remove(id).unwrap()).collect()
}

/// Frame builder: header + payload.
pub fn frame(kind: u8, flags: u8, stream: u32, payload: &[u8]) -> Vec<u8> {
    let mut v = Vec::new();
    brisk_http2::write_frame_header(
        &mut v,
        payload.len(),
        brisk_http2::FrameType(kind),
        flags,
        StreamId::new(stream),
    );
    v.extend_from_slice(payload);
    v
}

/// Parses spaced hex ("00 00 04 08 ...").
pub fn hex(s: &str) -> Vec<u8> {
    s.split_whitespace()
        .flat_map(|w| {
            (0..w.len())
                .step_by(2)
                .map(move |i| u8::from_str_radix(&w[i..i + 2], 16).expect("hex"))
        })
        .collect()
}

/// Every frame in `bytes` (which must hold whole frames), as (type, flags, stream, payload).
pub fn frames(mut bytes: &[u8]) -> Vec<(u8, u8, u32, Vec<u8>)> {
    let mut v = Vec::new();
    if bytes.starts_with(brisk_http2::PREFACE) {
        bytes = &bytes[24..];
    }
    while bytes.len() >= 9 {
        let len = u32::from_be_bytes([0, bytes[0], bytes[1], bytes[2]]) as usize;
        let id = u32::from_be_bytes([bytes[5], bytes[6], bytes[7], bytes[8]]) & 0x7fff_ffff;
        v.push((bytes[3], bytes[4], id, bytes[9..9 + len].to_vec()));
        bytes = &bytes[9 + len..];
    }
    v
}

/// The GOAWAY code in `bytes`, if any.
pub fn goaway_code(bytes: &[u8]) -> Option<ErrorCode> {
    frames(bytes)
        .into_iter()
        .find(|f| f.0 == 7)
        .map(|f| ErrorCode(u32::from_be_bytes([f.3[4], f.3[5], f.3[6], f.3[7]])))
}

/// RST_STREAM frames in `bytes` as (stream, code).
pub fn resets(bytes: &[u8]) -> Vec<(u32, ErrorCode)> {
    frames(bytes)
        .into_iter()
        .filter(|f| f.0 == 3)
        .map(|f| {
            (
                f.2,
                ErrorCode(u32::from_be_bytes([f.3[0], f.3[1], f.3[2], f.3[3]])),
            )
        })
        .collect()
}

/// A server that has seen the preface and an empty SETTINGS, with its output drained.
pub fn handshaken_server(config: Config) -> Connection {
    let mut s = Connection::server(config);
    let mut input = brisk_http2::PREFACE.to_vec();
    input.extend(frame(4, 0, 0, &[]));
    input.extend(frame(4, 1, 0, &[]));
    assert_eq!(s.recv(&input).unwrap(), input.len());
    while s.poll_event().is_some() {}
    let mut out = Vec::new();
    s.poll_output(&mut out);
    s
}

/// An HPACK block for a request (literal fields without indexing, no Huffman).
pub fn block(fields: &[(&str, &str)]) -> Vec<u8> {
    let mut v = Vec::new();
    for (n, val) in fields {
        v.push(0);
        lit(&mut v, n.as_bytes());
        lit(&mut v, val.as_bytes());
    }
    v
}

fn lit(v: &mut Vec<u8>, s: &[u8]) {
    if s.len() < 127 {
        v.push(s.len() as u8);
    } else {
        v.push(127);
        let mut n = s.len() - 127;
        while n >= 128 {
            v.push((n % 128) as u8 | 128);
            n /= 128;
        }
        v.push(n as u8);
    }
    v.extend_from_slice(s);
}

/// The usual request block for stream tests.
pub fn get_block() -> Vec<u8> {
    block(&[
        (":method", "GET"),
        (":scheme", "http"),
        (":path", "/"),
        (":authority", "localhost"),
    ])
}

pub fn post_block() -> Vec<u8> {
    block(&[
        (":method", "POST"),
        (":scheme", "http"),
        (":path", "/"),
        (":authority", "localhost"),
    ])
}
