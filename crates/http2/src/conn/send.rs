//! The send path: header sections, DATA under flow control, trailers, resets.

use brisk_hpack::Field;

use super::{Connection, Role, Shutdown};
use crate::error::{ErrorCode, StreamId};
use crate::frame::{flags, write_frame_header, FrameType};
use crate::headers::{connection_specific, valid_name, valid_value};
use crate::stream::{Closed, Recv, Send, Stream};
use crate::user_error::UserError;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outgoing {
    Request,
    Response,
    Trailers,
}

/// What the checked fields said.
#[derive(Debug, Default)]
struct Summary {
    status: u16,
    head: bool,
    protocol: bool,
}

/// Checks fields we are asked to send against RFC 9113 §8 (we never emit a malformed message).
/// Inlined into each caller, where `kind` is a constant (a server's response head is checked
/// on every request; with trailers also sent, the compiler would otherwise keep one shared copy).
#[inline(always)]
fn check<N: AsRef<[u8]>, V: AsRef<[u8]>>(
    fields: &[(N, V)],
    kind: Outgoing,
) -> Result<Summary, UserError> {
    let mut sum = Summary::default();
    let mut regular = false;
    let (mut method, mut scheme, mut path, mut authority, mut protocol) =
        (None, false, false, false, false);
    for (n, v) in fields {
        let (n, v) = (n.as_ref(), v.as_ref());
        if !valid_value(v) {
            return Err(UserError::InvalidHeaders);
        }
        if let Some(p) = n.strip_prefix(b":") {
            if regular {
                return Err(UserError::InvalidHeaders);
            }
            let seen = match (kind, p) {
                (Outgoing::Request, b"method") => method.replace(v).is_some(),
                (Outgoing::Request, b"scheme") => std::mem::replace(&mut scheme, true),
                (Outgoing::Request, b"path") => std::mem::replace(&mut path, true) || v.is_empty(),
                (Outgoing::Request, b"authority") => std::mem::replace(&mut authority, true),
                (Outgoing::Request, b"protocol") => std::mem::replace(&mut protocol, true),
                (Outgoing::Response, b"status") => {
                    if sum.status != 0 || v.len() != 3 || !v.iter().all(u8::is_ascii_digit) {
                        return Err(UserError::InvalidHeaders);
                    }
                    sum.status = v.iter().fold(0, |a, &b| a * 10 + u16::from(b - b'0'));
                    sum.status < 100 || sum.status == 101
                }
                _ => true,
            };
            if seen {
                return Err(UserError::InvalidHeaders);
            }
            continue;
        }
        regular = true;
        if !valid_name(n) || connection_specific(n) || (n == b"te" && v != b"trailers") {
            return Err(UserError::InvalidHeaders);
        }
    }
    match kind {
        Outgoing::Request => {
            let m = method.ok_or(UserError::InvalidHeaders)?;
            sum.head = m == b"HEAD";
            sum.protocol = protocol;
            let connect = m == b"CONNECT" && !protocol;
            let ok = if connect {
                authority && !scheme && !path
            } else {
                scheme && path && (!protocol || (m == b"CONNECT" && authority))
            };
            if !ok {
                return Err(UserError::InvalidHeaders);
            }
        }
        Outgoing::Response if sum.status == 0 => return Err(UserError::InvalidHeaders),
        _ => {}
    }
    Ok(sum)
}

impl Connection {
    /// Encodes `fields` with HPACK and writes HEADERS (+ CONTINUATION) frames.
    fn write_block<N: AsRef<[u8]>, V: AsRef<[u8]>>(
        &mut self,
        stream: StreamId,
        fields: &[(N, V)],
        end_stream: bool,
    ) {
        self.scratch.clear();
        self.encoder.encode(
            fields.iter().map(|(n, v)| Field {
                name: n.as_ref(),
                value: v.as_ref(),
                never_indexed: false,
            }),
            &mut self.scratch,
        );
        let max = self.peer.max_frame_size as usize;
        let mut chunks = self.scratch.chunks(max);
        let first = chunks.next().unwrap_or(&[]);
        let mut f = if end_stream { flags::END_STREAM } else { 0 };
        let single = self.scratch.len() <= max;
        if single {
            f |= flags::END_HEADERS;
        }
        write_frame_header(&mut self.out, first.len(), FrameType::HEADERS, f, stream);
        self.out.extend_from_slice(first);
        let mut rest = chunks.peekable();
        while let Some(c) = rest.next() {
            let f = if rest.peek().is_none() {
                flags::END_HEADERS
            } else {
                0
            };
            write_frame_header(&mut self.out, c.len(), FrameType::CONTINUATION, f, stream);
            self.out.extend_from_slice(c);
        }
    }

    /// Client: opens a new stream with a request header section and returns its id. Fields
    /// are pseudo-headers first (`:method`, `:scheme`, `:path`, `:authority`, and `:protocol`
    /// for extended CONNECT), then regular fields in lowercase.
    ///
    /// # Errors
    ///
    /// [`UserError::WrongRole`] on a server; [`UserError::InvalidHeaders`] if the fields break RFC 9113
    /// §8 (or carry `:protocol` before the server enabled extended CONNECT, RFC 8441);
    /// [`UserError::StreamLimit`] when the peer's SETTINGS_MAX_CONCURRENT_STREAMS is reached
    /// (wait for a stream to end); [`UserError::Closing`] after a GOAWAY or when ids ran out; the
    /// sticky connection error.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut client = brisk_http2::Connection::client(Default::default());
    /// let id = client.send_request(&[(":method", "GET"), (":scheme", "http"), (":path", "/"),
    ///     (":authority", "example.com")], true)?;
    /// assert_eq!(id.value(), 1);
    /// assert!(client.send_request(&[(":method", "GET")], true).is_err()); // no :path
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_request<N: AsRef<[u8]>, V: AsRef<[u8]>>(
        &mut self,
        fields: &[(N, V)],
        end_stream: bool,
    ) -> Result<StreamId, UserError> {
        if let Some(e) = self.error {
            return Err(UserError::Failed(e));
        }
        if self.role != Role::Client {
            return Err(UserError::WrongRole);
        }
        if self.shutdown != Shutdown::Running
            || self.goaway_received.is_some()
            || self.next_local_stream > StreamId::MAX.value()
        {
            return Err(UserError::Closing);
        }
        if self.local_open >= self.peer.max_concurrent_streams {
            return Err(UserError::StreamLimit);
        }
        let sum = check(fields, Outgoing::Request)?;
        if sum.protocol && !self.peer.enable_connect_protocol {
            // RFC 8441 §4: `:protocol` only after the server sent SETTINGS_ENABLE_CONNECT_PROTOCOL.
            return Err(UserError::InvalidHeaders);
        }
        let id = self.next_local_stream;
        self.next_local_stream += 2;
        let mut s = Stream::new(
            false,
            self.peer.initial_window_size,
            self.recv_initial_window,
        );
        s.head_request = sum.head;
        s.send = if end_stream { Send::Closed } else { Send::Open };
        self.streams.insert(id, s);
        self.local_open += 1;
        let sid = StreamId::new(id);
        self.write_block(sid, fields, end_stream);
        Ok(sid)
    }

    /// Server: sends a response header section on `stream` (a request stream from an
    /// [`Event::Headers`](crate::Event::Headers)). `:status` first; a 1xx status is
    /// informational (send the final one later; `end_stream` must be false).
    ///
    /// # Errors
    ///
    /// [`UserError::WrongRole`] on a client; [`UserError::StreamNotOpen`] if the stream is gone or
    /// already has its final header section; [`UserError::InvalidHeaders`]; the sticky connection
    /// error.
    ///
    /// # Examples
    ///
    /// See [`Connection`].
    pub fn send_headers<N: AsRef<[u8]>, V: AsRef<[u8]>>(
        &mut self,
        stream: StreamId,
        fields: &[(N, V)],
        end_stream: bool,
    ) -> Result<(), UserError> {
        if let Some(e) = self.error {
            return Err(UserError::Failed(e));
        }
        if self.role != Role::Server {
            return Err(UserError::WrongRole);
        }
        let id = stream.value();
        match self.streams.get(&id) {
            Some(s) if s.send == Send::Idle => {}
            _ => return Err(UserError::StreamNotOpen(stream)),
        }
        let sum = check(fields, Outgoing::Response)?;
        let informational = sum.status < 200;
        if informational && end_stream {
            return Err(UserError::InvalidHeaders);
        }
        self.write_block(stream, fields, end_stream);
        if !informational {
            let s = self.streams.get_mut(&id).expect("open");
            s.send = if end_stream { Send::Closed } else { Send::Open };
            if end_stream {
                self.maybe_close(id);
            }
        }
        Ok(())
    }

    /// Sends a trailer section, ending the stream.
    ///
    /// # Errors
    ///
    /// [`UserError::StreamNotOpen`] unless the header section was sent and the stream has not
    /// ended; [`UserError::InvalidHeaders`] (pseudo-headers are not allowed); [`UserError::Failed`] with the sticky
    /// connection error.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut client = brisk_http2::Connection::client(Default::default());
    /// let id = client.send_request(&[(":method", "POST"), (":scheme", "http"), (":path", "/"),
    ///     (":authority", "a")], false)?;
    /// client.send_trailers(id, &[("x-checksum", "abc")])?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_trailers<N: AsRef<[u8]>, V: AsRef<[u8]>>(
        &mut self,
        stream: StreamId,
        fields: &[(N, V)],
    ) -> Result<(), UserError> {
        if let Some(e) = self.error {
            return Err(UserError::Failed(e));
        }
        let id = stream.value();
        match self.streams.get(&id) {
            Some(s) if s.send == Send::Open => {}
            _ => return Err(UserError::StreamNotOpen(stream)),
        }
        check(fields, Outgoing::Trailers)?;
        self.write_block(stream, fields, true);
        self.streams.get_mut(&id).expect("open").send = Send::Closed;
        self.maybe_close(id);
        Ok(())
    }

    /// Sends body bytes on `stream`, as much as the peer's connection and stream windows and
    /// the send buffer limits allow, split into frames of the peer's SETTINGS_MAX_FRAME_SIZE.
    /// Returns how many bytes were taken. If fewer than `data.len()`, keep the rest and wait for
    /// [`Event::SendReady`](crate::Event::SendReady) for this stream; `end_stream` applies only
    /// when all of `data` was taken. Empty `data` with `end_stream` sends an empty final DATA.
    ///
    /// # Errors
    ///
    /// [`UserError::StreamNotOpen`] unless the header section was sent and the stream has not
    /// ended; [`UserError::Failed`] with the sticky connection error.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http2::{Config, Connection};
    /// let mut client = Connection::client(Config::default());
    /// let id = client.send_request(&[(":method", "POST"), (":scheme", "http"), (":path", "/"),
    ///     (":authority", "a")], false)?;
    /// let big = vec![0u8; 100_000];
    /// // The server's windows are unknown yet: the initial 65535 applies.
    /// assert_eq!(client.send_data(id, &big, true)?, 65_535);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn send_data(
        &mut self,
        stream: StreamId,
        data: &[u8],
        end_stream: bool,
    ) -> Result<usize, UserError> {
        if let Some(e) = self.error {
            return Err(UserError::Failed(e));
        }
        let id = stream.value();
        let cap = match self.streams.get(&id) {
            Some(s) if s.send == Send::Open => self.send_capacity(s),
            _ => return Err(UserError::StreamNotOpen(stream)),
        };
        let n = data.len().min(cap);
        let finish = end_stream && n == data.len();
        let max = self.peer.max_frame_size as usize;
        let mut frames = 0;
        let mut off = 0;
        while off < n || (finish && frames == 0) {
            let len = (n - off).min(max);
            let last = off + len == n;
            let f = if finish && last { flags::END_STREAM } else { 0 };
            write_frame_header(&mut self.out, len, FrameType::DATA, f, stream);
            self.out.extend_from_slice(&data[off..off + len]);
            off += len;
            frames += 1;
        }
        self.data_frames_sent += frames;
        self.conn_send_window -= n as i64;
        let out_gen = self.out_gen;
        let s = self.streams.get_mut(&id).expect("open");
        s.send_window -= n as i64;
        if s.out_gen != out_gen {
            s.out_gen = out_gen;
            s.out_bytes = 0;
        }
        s.out_bytes += n;
        if n < data.len() && !s.blocked {
            s.blocked = true;
            self.blocked.push(id);
        }
        if finish {
            s.send = Send::Closed;
            self.maybe_close(id);
        }
        Ok(n)
    }

    /// Resets a stream (RST_STREAM with `code`, e.g. CANCEL): no more frames are sent on it and
    /// late frames from the peer are ignored. No event is reported for it.
    ///
    /// # Errors
    ///
    /// [`UserError::StreamNotOpen`] if the stream is not open; [`UserError::Failed`] with the sticky connection error.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http2::{Connection, ErrorCode};
    /// let mut client = Connection::client(Default::default());
    /// let id = client.send_request(&[(":method", "GET"), (":scheme", "http"), (":path", "/"),
    ///     (":authority", "a")], true)?;
    /// client.reset_stream(id, ErrorCode::CANCEL)?;
    /// assert_eq!(client.open_streams(), 0);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn reset_stream(&mut self, stream: StreamId, code: ErrorCode) -> Result<(), UserError> {
        if let Some(e) = self.error {
            return Err(UserError::Failed(e));
        }
        if !self.streams.contains_key(&stream.value()) {
            return Err(UserError::StreamNotOpen(stream));
        }
        crate::frame::Frame::RstStream { stream, code }.encode(&mut self.out);
        self.remove_stream(stream.value(), Closed::ByUs);
        Ok(())
    }

    /// Whether the peer may still send on `stream` (its request or response body is not
    /// complete).
    ///
    /// # Examples
    ///
    /// ```
    /// let c = brisk_http2::Connection::server(Default::default());
    /// assert!(!c.is_receiving(brisk_http2::StreamId::new(1)));
    /// ```
    pub fn is_receiving(&self, stream: StreamId) -> bool {
        self.streams
            .get(&stream.value())
            .is_some_and(|s| s.recv != Recv::Closed)
    }
}
