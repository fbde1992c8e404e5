//! A small h2c client for the HTTP/2 integration tests: brisk-http2's client role over a
//! blocking `TcpStream`, with the reading speed under the test's control (received DATA is
//! given back as window only as fast as the test allows).
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{ErrorKind, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::{Duration, Instant};

use brisk_http2::{Config, Connection, Event, StreamId};

/// One response as received.
#[derive(Debug, Default, Clone)]
pub struct Reply {
    pub path: String,
    pub status: u16,
    pub body: Vec<u8>,
    pub ended: bool,
    pub reset: bool,
    /// Trailer fields (name, value), if a trailer section ended the stream.
    pub trailers: Vec<(String, String)>,
}

/// A client connection.
pub struct Client {
    pub sock: TcpStream,
    pub conn: Connection,
    pub replies: BTreeMap<u32, Reply>,
    /// Received but not yet given back as window, per stream.
    unconsumed: BTreeMap<u32, usize>,
    /// last-stream-id of every GOAWAY received, in order.
    pub goaways: Vec<u32>,
    /// The server closed the connection (EOF or error) at this instant.
    pub closed_at: Option<Instant>,
    inbuf: Vec<u8>,
    /// Bytes read from the socket so far.
    pub read_bytes: usize,
    /// How the connection ended when it was not a clean EOF (e.g. a reset).
    pub close_error: Option<ErrorKind>,
    pub write_failed: bool,
}

impl Client {
    /// Connects with `initial_window` as SETTINGS_INITIAL_WINDOW_SIZE and a connection window of
    /// `conn_window`.
    pub fn connect(addr: SocketAddr, initial_window: u32, conn_window: u32) -> Client {
        Client::connect_after(addr, &[], initial_window, conn_window)
    }

    /// [`connect`](Self::connect), sending `prefix` (a PROXY protocol header) before the
    /// connection preface.
    pub fn connect_after(
        addr: SocketAddr,
        prefix: &[u8],
        initial_window: u32,
        conn_window: u32,
    ) -> Client {
        let mut sock = TcpStream::connect(addr).expect("connect");
        sock.write_all(prefix).expect("prefix");
        sock.set_nodelay(true).unwrap();
        sock.set_read_timeout(Some(Duration::from_millis(5)))
            .unwrap();
        let mut config = Config::default();
        config.initial_window_size = initial_window;
        config.connection_window_size = conn_window;
        let mut c = Client {
            sock,
            conn: Connection::client(config),
            replies: BTreeMap::new(),
            unconsumed: BTreeMap::new(),
            goaways: Vec::new(),
            closed_at: None,
            inbuf: Vec::new(),
            read_bytes: 0,
            close_error: None,
            write_failed: false,
        };
        c.flush();
        c
    }

    /// Sends GET `path`; returns the stream id.
    pub fn get(&mut self, path: &str) -> u32 {
        self.try_get(path).expect("request")
    }

    /// Sends GET `path` unless the connection refuses new streams (GOAWAY received).
    pub fn try_get(&mut self, path: &str) -> Option<u32> {
        self.try_request("GET", path)
    }

    /// Sends `method` `path` (no body) unless the connection refuses new streams.
    pub fn try_request(&mut self, method: &str, path: &str) -> Option<u32> {
        self.try_request_with(method, path, &[])
    }

    /// [`try_request`](Self::try_request) with more header fields.
    pub fn try_request_with(
        &mut self,
        method: &str,
        path: &str,
        extra: &[(&str, &str)],
    ) -> Option<u32> {
        let mut fields = vec![
            (":method", method),
            (":scheme", "http"),
            (":path", path),
            (":authority", "localhost"),
        ];
        fields.extend_from_slice(extra);
        let id = self.conn.send_request(&fields, true).ok()?.value();
        self.replies.insert(
            id,
            Reply {
                path: path.to_string(),
                ..Reply::default()
            },
        );
        Some(id)
    }

    pub fn flush(&mut self) {
        let mut out = Vec::new();
        self.conn.poll_output(&mut out);
        // A failed write (the server closed) is not the end: what it sent is still read.
        if !out.is_empty() && !self.write_failed && self.sock.write_all(&out).is_err() {
            self.write_failed = true;
        }
    }

    /// One read of at most `max` bytes from the socket (waits at most the 5 ms read timeout),
    /// then events. False once the server closed the connection.
    pub fn turn(&mut self, max: usize) -> bool {
        if self.closed_at.is_some() {
            return false;
        }
        let mut buf = [0u8; 65536];
        let max = max.min(buf.len());
        if max == 0 {
            std::thread::sleep(Duration::from_millis(1));
            return true;
        }
        match self.sock.read(&mut buf[..max]) {
            Ok(0) => {
                self.closed_at = Some(Instant::now());
            }
            Ok(n) => {
                self.inbuf.extend_from_slice(&buf[..n]);
                self.read_bytes += n;
            }
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) if e.kind() == ErrorKind::Interrupted => {}
            Err(e) => {
                self.closed_at = Some(Instant::now());
                self.close_error = Some(e.kind());
            }
        }
        if !self.inbuf.is_empty() {
            match self.conn.recv(&self.inbuf) {
                Ok(n) => {
                    self.inbuf.drain(..n);
                }
                Err(e) => panic!("client connection error: {e}"),
            }
        }
        while let Some(ev) = self.conn.poll_event() {
            match ev {
                Event::Headers {
                    stream,
                    headers,
                    end_stream,
                } => {
                    let r = self.replies.get_mut(&stream.value()).expect("our stream");
                    r.status = headers.status().unwrap_or(0);
                    r.ended |= end_stream;
                }
                Event::Data {
                    stream,
                    data,
                    end_stream,
                } => {
                    let r = self.replies.get_mut(&stream.value()).expect("our stream");
                    r.body.extend_from_slice(data);
                    r.ended |= end_stream;
                    *self.unconsumed.entry(stream.value()).or_default() += data.len();
                }
                Event::Trailers { stream, headers } => {
                    let r = self.replies.get_mut(&stream.value()).expect("our stream");
                    r.trailers = headers
                        .iter()
                        .map(|(n, v)| {
                            (
                                String::from_utf8_lossy(n).into_owned(),
                                String::from_utf8_lossy(v).into_owned(),
                            )
                        })
                        .collect();
                    r.ended = true;
                }
                Event::StreamReset { stream, .. } => {
                    if let Some(r) = self.replies.get_mut(&stream.value()) {
                        r.reset = true;
                    }
                }
                Event::GoAway { last_stream, .. } => self.goaways.push(last_stream.value()),
                _ => {}
            }
        }
        self.flush();
        self.closed_at.is_none()
    }

    /// Gives back up to `budget` bytes of window (oldest streams first); returns how many.
    pub fn consume(&mut self, mut budget: usize) -> usize {
        let mut given = 0;
        for (&id, left) in self.unconsumed.iter_mut() {
            if budget == 0 {
                break;
            }
            let n = (*left).min(budget);
            if n > 0 {
                self.conn.consume(StreamId::new(id), n);
                *left -= n;
                budget -= n;
                given += n;
            }
        }
        self.unconsumed.retain(|_, n| *n > 0);
        given
    }

    /// Every stream has its whole response (or was reset).
    pub fn all_done(&self) -> bool {
        self.replies.values().all(|r| r.ended || r.reset)
    }

    /// Like nghttp2: after a GOAWAY, once no stream is left, the client closes.
    pub fn finished(&self) -> bool {
        !self.goaways.is_empty() && self.all_done()
    }

    /// Turns (reading at full speed, giving every byte back as window) until `done` holds;
    /// panics after 10 s.
    pub fn turn_until(&mut self, done: impl FnMut(&Client) -> bool) {
        self.turn_within(Duration::from_secs(10), done);
    }

    /// As [`Client::turn_until`], panicking after `limit`.
    pub fn turn_within(&mut self, limit: Duration, mut done: impl FnMut(&Client) -> bool) {
        let t0 = Instant::now();
        while !done(self) {
            assert!(t0.elapsed() < limit, "h2: timed out");
            self.turn(65536);
            self.consume(usize::MAX);
            self.flush();
        }
    }

    /// Resets stream `id` with CANCEL and sends the RST_STREAM.
    pub fn cancel(&mut self, id: u32) {
        self.conn
            .reset_stream(StreamId::new(id), brisk_http2::ErrorCode::CANCEL)
            .unwrap();
        self.flush();
    }
}
