//! The connection state machine shared by both roles.

mod direct;
pub use direct::DataFrame;
mod idle;
pub use idle::SpareBuffers;
mod recv;
mod send;
mod timers;

use std::collections::VecDeque;
use std::time::Instant;

use brisk_hpack::{Decoder, Encoder};

use crate::config::Config;
use crate::error::{Error, ErrorCode, StreamId, Violation};
use crate::event::{Ev, Event, PeerSettings};
use crate::frame::{write_settings, Frame, SettingId, SettingsPayload};
use crate::headers::Arena;
use crate::stream::{Bucket, Closed, ClosedStreams, Stream, StreamMap};

/// The 24-byte client connection preface (RFC 9113 §3.4).
pub const PREFACE: &[u8; 24] = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/// Initial flow-control window of every stream and of the connection (RFC 9113 §6.9.2).
const DEFAULT_WINDOW: u32 = 65_535;

/// Payload of the PING that separates the two GOAWAY frames of a graceful shutdown.
const DRAIN_PING: [u8; 8] = *b"brisk-gw";

/// Which end of the connection we are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Role {
    Server,
    Client,
}

/// Graceful shutdown progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shutdown {
    Running,
    /// First GOAWAY (2^31-1) and a PING sent; waiting for the PING ACK.
    Draining,
    /// Final GOAWAY sent with this last stream id.
    Done(u32),
}

/// A header block being assembled from HEADERS + CONTINUATION frames.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Continuation {
    pub(crate) stream: StreamId,
    pub(crate) end_stream: bool,
    pub(crate) self_dependent: bool,
    pub(crate) frames: u32,
}

/// A sans-IO HTTP/2 connection, server or client (RFC 9113).
///
/// Bytes go in through [`recv`](Self::recv); what happened comes out of
/// [`poll_event`](Self::poll_event); the application answers with the `send_*` commands; the
/// bytes to write to the socket come out of [`poll_output`](Self::poll_output). The connection
/// never touches a socket, a thread or a clock.
///
/// # Driving loop
///
/// ```text
/// loop (one turn per readiness event of the socket):
///   1. if poll_timeout() <= now:    -- (and once at the start) starts and fires timers,
///        handle_timeout(now)           refills limit buckets; calling it every turn is fine too
///   2. n = recv(&read_buf)?         -- drop the first n bytes; keep the rest for next time.
///                                      n < len with wants_read() false: drain output first
///   3. while let Some(ev) = poll_event() { ... send_headers / send_data / consume ... }
///   4. poll_output(&mut write_buf)  -- coalesced frames; write them out. Draining the output
///                                      can wake streams blocked on the send buffer: repeat 3-4
///                                      until poll_output returns 0
///   5. if is_closed() and the write buffer is flushed: close the socket
///   sleep until readable/writable or poll_timeout()
/// ```
///
/// A reactor that stops reading while its write buffer is full (write backpressure) bounds
/// everything else: ACKs stop being produced because `recv` is not called, and `send_data`
/// stops taking bytes at [`Limits::max_send_buffer`](crate::Limits::max_send_buffer) of
/// undrained output.
///
/// On a connection error `recv` returns `Err`: write out what `poll_output` still yields (the
/// GOAWAY), then close. Stream errors never surface as `Err`; they arrive as
/// [`Event::StreamReset`] with `by_peer: false`.
///
/// * Inputs: [`recv`](Self::recv), [`handle_timeout`](Self::handle_timeout).
/// * Commands: [`send_request`](Self::send_request) (client), [`send_headers`](Self::send_headers)
///   (server), [`send_data`](Self::send_data), [`send_trailers`](Self::send_trailers),
///   [`consume`](Self::consume), [`reset_stream`](Self::reset_stream), [`ping`](Self::ping),
///   [`go_away`](Self::go_away), [`abort`](Self::abort).
/// * Outputs: [`poll_event`](Self::poll_event) (changes after `recv`, `handle_timeout`,
///   `poll_output` and `send_*`), [`poll_output`](Self::poll_output) (changes after every input
///   and command), [`poll_timeout`](Self::poll_timeout) (after `handle_timeout`).
///
/// # Flow control
///
/// Received DATA counts against our windows until the application calls
/// [`consume`](Self::consume); WINDOW_UPDATE frames are sent as credit is consumed, not when
/// data arrives, so a slow application slows the peer. [`send_data`](Self::send_data) writes
/// only what the peer's windows and the send buffer limits allow and returns that count; the
/// rest stays with the caller, who waits for [`Event::SendReady`] for that stream.
///
/// # Graceful shutdown (server)
///
/// [`go_away`](Self::go_away) sends GOAWAY with last-stream-id 2^31-1 and a PING; when the
/// PING's ACK returns (so every request the client had sent is known), the final GOAWAY with
/// the real last stream id follows. Streams at or below it run to completion;
/// [`is_closed`](Self::is_closed) turns true when none is left. If the client never answers the
/// PING, call [`go_away_final`](Self::go_away_final) after a deadline of your choice, and close
/// the socket after a second deadline if streams still linger.
///
/// # h2c
///
/// Prior knowledge: build with [`Connection::server`] and feed the bytes (the preface is
/// checked). HTTP/1.1 `Upgrade: h2c`: answer `101 Switching Protocols` with the HTTP/1.1 layer,
/// then build with [`Connection::from_h2c_upgrade`], which decodes `HTTP2-Settings` and queues
/// the request as stream 1; bytes after the request head go to `recv` as usual.
///
/// # Examples
///
/// ```
/// use brisk_http2::{Config, Connection, Event};
/// let mut client = Connection::client(Config::default());
/// let mut server = Connection::server(Config::default());
/// let id = client.send_request(&[(":method", "GET"), (":scheme", "http"),
///     (":path", "/"), (":authority", "localhost")], true)?;
/// let mut wire = Vec::new();
/// client.poll_output(&mut wire);
/// assert_eq!(server.recv(&wire)?, wire.len());
/// let mut request = None;
/// while let Some(ev) = server.poll_event() {
///     if let Event::Headers { stream, headers, .. } = ev {
///         request = Some((stream, headers.path().unwrap().to_vec()));
///     }
/// }
/// let (stream, path) = request.unwrap();
/// assert_eq!(path, b"/");
/// server.send_headers(stream, &[(":status", "200")], false)?;
/// assert_eq!(server.send_data(stream, b"hello", true)?, 5);
/// wire.clear();
/// server.poll_output(&mut wire);
/// client.recv(&wire)?;
/// let mut body = Vec::new();
/// while let Some(ev) = client.poll_event() {
///     if let Event::Data { stream, data, .. } = ev {
///         assert_eq!(stream, id);
///         body.extend_from_slice(data);
///     }
/// }
/// assert_eq!(body, b"hello");
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct Connection {
    pub(crate) role: Role,
    pub(crate) config: Config,
    /// Server: bytes of the client preface matched so far.
    pub(crate) preface_matched: usize,
    pub(crate) got_peer_settings: bool,
    /// Sticky connection error.
    pub(crate) error: Option<Error>,
    pub(crate) decoder: Decoder,
    pub(crate) encoder: Encoder,
    pub(crate) peer: PeerSettings,
    /// Our SETTINGS frames not yet acknowledged.
    pub(crate) settings_unacked: u32,
    pub(crate) settings_deadline: Option<Instant>,
    /// Window the peer believes a new stream of ours has.
    pub(crate) recv_initial_window: u32,
    pub(crate) conn_send_window: i64,
    pub(crate) conn_recv_window: i64,
    pub(crate) conn_recv_pending: i64,
    pub(crate) streams: StreamMap,
    pub(crate) closed: ClosedStreams,
    /// Highest stream id the peer opened.
    pub(crate) max_peer_stream: u32,
    /// Next stream id we open (client: odd).
    pub(crate) next_local_stream: u32,
    pub(crate) peer_open: u32,
    pub(crate) local_open: u32,
    pub(crate) cont: Option<Continuation>,
    pub(crate) block_buf: Vec<u8>,
    pub(crate) out: Vec<u8>,
    pub(crate) out_gen: u64,
    pub(crate) pending_acks: usize,
    pub(crate) scratch: Vec<u8>,
    pub(crate) events: VecDeque<Ev>,
    pub(crate) arena: Arena,
    pub(crate) blocked: Vec<u32>,
    pub(crate) shutdown: Shutdown,
    pub(crate) goaway_received: Option<u32>,
    pub(crate) rapid_resets: Bucket,
    pub(crate) provoked_resets: Bucket,
    pub(crate) tiny_data: u32,
    pub(crate) window_updates: u64,
    pub(crate) data_frames_sent: u64,
    pub(crate) last_now: Option<Instant>,
    pub(crate) tiny_decay_at: Option<Instant>,
    /// h2c upgrade: output past our SETTINGS is held until the client preface arrives.
    pub(crate) h2c_hold: H2cHold,
}

/// What an upgraded (h2c) server connection may write before the client's preface.
///
/// RFC 7540 §3.2 lets the server send frames right after `101 Switching Protocols`, but a client
/// still reading HTTP/1.1 has to keep whatever follows the 101 in its HTTP/1.1 buffer (curl 7.88
/// fails with "connection buffer size is too small" past 32 KiB). Its preface proves it has
/// switched, so only our SETTINGS frame goes out before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum H2cHold {
    /// Not upgraded, or the client preface has arrived: no hold.
    Off,
    /// Upgraded; our SETTINGS frame (the first bytes of `out`) has not been written yet.
    Settings,
    /// Upgraded; SETTINGS written, everything else waits for the client preface.
    Preface,
}

impl Connection {
    fn new(role: Role, config: Config) -> Connection {
        let mut decoder = Decoder::new();
        decoder.set_max_header_list_size(config.max_header_list_size as usize);
        let limits = &config.limits;
        let mut c = Connection {
            role,
            preface_matched: 0,
            got_peer_settings: false,
            error: None,
            decoder,
            encoder: Encoder::new(),
            peer: PeerSettings::default(),
            settings_unacked: 0,
            settings_deadline: None,
            recv_initial_window: config.initial_window_size.max(DEFAULT_WINDOW),
            conn_send_window: i64::from(DEFAULT_WINDOW),
            conn_recv_window: i64::from(DEFAULT_WINDOW),
            conn_recv_pending: 0,
            streams: StreamMap::default(),
            closed: ClosedStreams::new(limits.closed_stream_memory),
            max_peer_stream: 0,
            next_local_stream: if role == Role::Client { 1 } else { 2 },
            peer_open: 0,
            local_open: 0,
            cont: None,
            block_buf: Vec::new(),
            out: Vec::new(),
            out_gen: 1,
            pending_acks: 0,
            scratch: Vec::new(),
            events: VecDeque::new(),
            arena: Arena::default(),
            blocked: Vec::new(),
            shutdown: Shutdown::Running,
            goaway_received: None,
            rapid_resets: Bucket::new(limits.rapid_reset_burst, limits.rapid_reset_per_second),
            provoked_resets: Bucket::new(
                limits.provoked_reset_burst,
                limits.provoked_reset_per_second,
            ),
            tiny_data: 0,
            window_updates: 0,
            data_frames_sent: 0,
            last_now: None,
            tiny_decay_at: None,
            h2c_hold: H2cHold::Off,
            config,
        };
        if role == Role::Client {
            c.out.extend_from_slice(PREFACE);
        }
        c.send_local_settings();
        c
    }

    /// A server connection: expects the client preface, sends its SETTINGS at once.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut server = brisk_http2::Connection::server(brisk_http2::Config::default());
    /// let mut out = Vec::new();
    /// server.poll_output(&mut out);
    /// assert_eq!(out[3], 4); // a SETTINGS frame
    /// ```
    pub fn server(config: Config) -> Connection {
        Connection::new(Role::Server, config)
    }

    /// A client connection: sends the preface and its SETTINGS (with SETTINGS_ENABLE_PUSH = 0:
    /// this crate never accepts server push).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut client = brisk_http2::Connection::client(brisk_http2::Config::default());
    /// let mut out = Vec::new();
    /// client.poll_output(&mut out);
    /// assert!(out.starts_with(brisk_http2::PREFACE));
    /// ```
    pub fn client(config: Config) -> Connection {
        Connection::new(Role::Client, config)
    }

    fn send_local_settings(&mut self) {
        let c = &self.config;
        let mut pairs = [(SettingId(0), 0u32); 8];
        let mut n = 0;
        let mut push = |id, v| {
            pairs[n] = (id, v);
            n += 1;
        };
        if c.header_table_size != 4096 {
            push(SettingId::HEADER_TABLE_SIZE, c.header_table_size);
        }
        if self.role == Role::Client {
            push(SettingId::ENABLE_PUSH, 0);
        } else {
            push(SettingId::MAX_CONCURRENT_STREAMS, c.max_concurrent_streams);
        }
        if c.initial_window_size != DEFAULT_WINDOW {
            push(SettingId::INITIAL_WINDOW_SIZE, c.initial_window_size);
        }
        if c.max_frame_size != 16_384 {
            push(SettingId::MAX_FRAME_SIZE, c.max_frame_size);
        }
        push(SettingId::MAX_HEADER_LIST_SIZE, c.max_header_list_size);
        if c.enable_connect_protocol && self.role == Role::Server {
            push(SettingId::ENABLE_CONNECT_PROTOCOL, 1);
        }
        write_settings(&mut self.out, &pairs[..n]);
        self.settings_unacked += 1;
        let extra = i64::from(self.config.connection_window_size) - i64::from(DEFAULT_WINDOW);
        if extra > 0 {
            Frame::WindowUpdate {
                stream: StreamId::CONNECTION,
                increment: extra as u32,
            }
            .encode(&mut self.out);
            self.conn_recv_window += extra;
        }
    }

    /// Whether this is the server end.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(brisk_http2::Connection::server(Default::default()).is_server());
    /// ```
    pub fn is_server(&self) -> bool {
        self.role == Role::Server
    }

    /// The peer's settings as received so far.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = brisk_http2::Connection::client(Default::default());
    /// assert_eq!(c.peer_settings().max_frame_size, 16_384);
    /// ```
    pub fn peer_settings(&self) -> PeerSettings {
        self.peer
    }

    /// The connection error, once one happened (sticky).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut server = brisk_http2::Connection::server(Default::default());
    /// assert!(server.recv(b"GET / HTTP/1.1\r\n").is_err());
    /// assert!(server.error().is_some());
    /// ```
    pub fn error(&self) -> Option<Error> {
        self.error
    }

    /// Number of open streams (any state but idle and closed).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_http2::Connection::server(Default::default()).open_streams(), 0);
    /// ```
    pub fn open_streams(&self) -> usize {
        self.streams.len()
    }

    /// Whether [`recv`](Self::recv) will take more input. False while too many ACKs wait in
    /// the output (drain it with [`poll_output`](Self::poll_output)) and after a connection
    /// error or GOAWAY exchange ends the connection.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(brisk_http2::Connection::server(Default::default()).wants_read());
    /// ```
    pub fn wants_read(&self) -> bool {
        self.error.is_none() && self.pending_acks < self.config.limits.max_pending_acks
    }

    /// Whether output is waiting for [`poll_output`](Self::poll_output).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(brisk_http2::Connection::server(Default::default()).wants_write());
    /// ```
    pub fn wants_write(&self) -> bool {
        !self.out.is_empty()
    }

    /// Whether the connection is over: a connection error happened, or our final GOAWAY was
    /// sent (or, for a client, the server's GOAWAY received) and no stream is left. Flush the output, then close the socket.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut server = brisk_http2::Connection::server(Default::default());
    /// assert!(!server.is_closed());
    /// server.abort(brisk_http2::ErrorCode::NO_ERROR);
    /// assert!(server.is_closed());
    /// ```
    pub fn is_closed(&self) -> bool {
        if self.error.is_some() {
            return true;
        }
        // A client's GOAWAY does not stop it from sending requests (it only refuses pushes),
        // so a server keeps serving; a client that got GOAWAY cannot open streams any more.
        let ending = matches!(self.shutdown, Shutdown::Done(_))
            || (self.role == Role::Client && self.goaway_received.is_some());
        ending && self.streams.is_empty()
    }

    /// Appends all pending frames to `out` (coalesced: one buffer for many frames) and returns
    /// the number of bytes added. Streams blocked only by the send buffer limit get
    /// [`Event::SendReady`] afterwards.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut server = brisk_http2::Connection::server(Default::default());
    /// let mut out = Vec::new();
    /// assert!(server.poll_output(&mut out) > 0);
    /// assert_eq!(server.poll_output(&mut out), 0);
    /// ```
    pub fn poll_output(&mut self, out: &mut Vec<u8>) -> usize {
        if self.h2c_hold != H2cHold::Off {
            if self.preface_matched < PREFACE.len() && self.error.is_none() {
                return self.poll_h2c_settings(out);
            }
            self.h2c_hold = H2cHold::Off;
        }
        let n = self.out.len();
        if n == 0 {
            return 0;
        }
        if out.is_empty() {
            std::mem::swap(out, &mut self.out);
        } else {
            out.extend_from_slice(&self.out);
            self.out.clear();
        }
        self.out_gen += 1;
        self.pending_acks = 0;
        if !self.blocked.is_empty() {
            self.wake_blocked(None);
        }
        n
    }

    /// [`poll_output`](Self::poll_output) of an upgraded connection before the client preface:
    /// only the SETTINGS frame at the front of `out`, once (see [`H2cHold`]).
    fn poll_h2c_settings(&mut self, out: &mut Vec<u8>) -> usize {
        if self.h2c_hold != H2cHold::Settings || self.out.len() < 9 {
            return 0;
        }
        let len = 9
            + (usize::from(self.out[0]) << 16
                | usize::from(self.out[1]) << 8
                | usize::from(self.out[2]));
        let len = len.min(self.out.len());
        out.extend_from_slice(&self.out[..len]);
        self.out.drain(..len);
        self.out_gen += 1;
        self.h2c_hold = H2cHold::Preface;
        len
    }

    /// The next event, if any. Drain events after each [`recv`](Self::recv): borrowed data is
    /// held in pooled buffers that are reused once the queue is empty.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut server = brisk_http2::Connection::server(Default::default());
    /// assert!(server.poll_event().is_none());
    /// ```
    #[must_use]
    pub fn poll_event(&mut self) -> Option<Event<'_>> {
        match self.events.pop_front() {
            Some(ev) => Some(ev.view(&self.arena)),
            None => {
                self.arena.clear();
                None
            }
        }
    }

    /// Sends a PING; its ACK arrives as [`Event::PingAck`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut client = brisk_http2::Connection::client(Default::default());
    /// client.ping(*b"12345678");
    /// let mut out = Vec::new();
    /// client.poll_output(&mut out);
    /// assert!(out.ends_with(b"12345678"));
    /// ```
    pub fn ping(&mut self, payload: [u8; 8]) {
        if self.error.is_none() {
            Frame::Ping {
                ack: false,
                payload,
            }
            .encode(&mut self.out);
        }
    }

    /// Starts a graceful shutdown. Server: GOAWAY(2^31-1, NO_ERROR) and a PING now, the final
    /// GOAWAY with the last stream id processed once the PING is acknowledged. Client: one
    /// GOAWAY(0, NO_ERROR) (a client never accepts pushed streams). Existing streams complete;
    /// no new stream is accepted above the final id.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut server = brisk_http2::Connection::server(Default::default());
    /// server.go_away();
    /// let mut out = Vec::new();
    /// server.poll_output(&mut out);
    /// // ... the client's PING ACK later triggers the final GOAWAY.
    /// assert!(!server.is_closed());
    /// ```
    pub fn go_away(&mut self) {
        if self.error.is_some() || self.shutdown != Shutdown::Running {
            return;
        }
        match self.role {
            Role::Server => {
                self.write_goaway(StreamId::MAX, ErrorCode::NO_ERROR);
                Frame::Ping {
                    ack: false,
                    payload: DRAIN_PING,
                }
                .encode(&mut self.out);
                self.shutdown = Shutdown::Draining;
            }
            Role::Client => {
                self.write_goaway(StreamId::CONNECTION, ErrorCode::NO_ERROR);
                self.shutdown = Shutdown::Done(0);
            }
        }
    }

    /// Second phase of a graceful shutdown without waiting for the PING ACK (e.g. after a
    /// deadline): GOAWAY with the last stream id processed so far.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut server = brisk_http2::Connection::server(Default::default());
    /// server.go_away();
    /// server.go_away_final();
    /// assert!(server.is_closed()); // no stream was open
    /// ```
    pub fn go_away_final(&mut self) {
        if self.error.is_some() || matches!(self.shutdown, Shutdown::Done(_)) {
            return;
        }
        let last = self.max_peer_stream;
        self.write_goaway(StreamId::new(last), ErrorCode::NO_ERROR);
        self.shutdown = Shutdown::Done(last);
    }

    /// Closes the connection at once: GOAWAY with `code`, every stream dropped, later input
    /// refused.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http2::{Connection, ErrorCode};
    /// let mut server = Connection::server(Default::default());
    /// server.abort(ErrorCode::INTERNAL_ERROR);
    /// assert!(server.recv(b"PRI").is_err());
    /// ```
    pub fn abort(&mut self, code: ErrorCode) {
        if self.error.is_none() {
            self.fail(Error::conn(code, Violation::Local));
        }
    }

    pub(crate) fn write_goaway(&mut self, last: StreamId, code: ErrorCode) {
        Frame::GoAway {
            last_stream: last,
            code,
            debug: &[],
        }
        .encode(&mut self.out);
    }

    /// Records a connection error: GOAWAY queued, streams dropped, error sticky.
    pub(crate) fn fail(&mut self, e: Error) -> Error {
        if let Some(old) = self.error {
            return old;
        }
        let code = e.code();
        let last = if self.role == Role::Server {
            self.max_peer_stream
        } else {
            0
        };
        let debug = match e {
            Error::Connection {
                violation: Violation::Local,
                ..
            } => "",
            Error::Connection { violation, .. } => violation.as_str(),
            _ => "",
        };
        Frame::GoAway {
            last_stream: StreamId::new(last),
            code,
            debug: debug.as_bytes(),
        }
        .encode(&mut self.out);
        self.streams.clear();
        self.blocked.clear();
        self.error = Some(e);
        e
    }

    /// Removes a stream from the open set and remembers how it closed.
    pub(crate) fn remove_stream(&mut self, id: u32, how: Closed) -> Option<Stream> {
        let s = self.streams.remove(&id)?;
        if s.remote {
            self.peer_open -= 1;
        } else {
            self.local_open -= 1;
        }
        self.closed.insert(id, how);
        Some(s)
    }

    /// Closes the stream if both directions ended.
    pub(crate) fn maybe_close(&mut self, id: u32) {
        use crate::stream::{Recv, Send};
        if let Some(s) = self.streams.get(&id) {
            if s.recv == Recv::Closed && s.send == Send::Closed {
                self.remove_stream(id, Closed::Normal);
            }
        }
    }

    /// Sends RST_STREAM for a stream we give up on, and reports it if the stream was open.
    pub(crate) fn reset_local(&mut self, stream: StreamId, code: ErrorCode) {
        Frame::RstStream { stream, code }.encode(&mut self.out);
        if self.remove_stream(stream.value(), Closed::ByUs).is_some() {
            self.events.push_back(Ev::Reset {
                stream,
                code,
                by_peer: false,
                retryable: false,
            });
        } else if self.closed.get(stream.value()) != Some(Closed::ByUs) {
            self.closed.insert(stream.value(), Closed::ByUs);
        }
    }

    /// How much `send_data` may write on this stream now.
    pub(crate) fn send_capacity(&self, s: &Stream) -> usize {
        let l = &self.config.limits;
        let window = s.send_window.min(self.conn_send_window).max(0) as usize;
        let conn_buf = l.max_send_buffer.saturating_sub(self.out.len());
        let stream_used = if s.out_gen == self.out_gen {
            s.out_bytes
        } else {
            0
        };
        let stream_buf = l.max_stream_send_buffer.saturating_sub(stream_used);
        window.min(conn_buf).min(stream_buf)
    }

    /// Stops the stall timer of blocked streams whose windows are open again (what
    /// `check_stalls` would do on its next call), so the timers do not depend on how often
    /// `handle_timeout` runs.
    pub(crate) fn forget_unlimited_stalls(&mut self) {
        let conn_window = self.conn_send_window;
        for id in &self.blocked {
            if let Some(s) = self.streams.get_mut(id) {
                if s.send_window.min(conn_window) > 0 {
                    s.blocked_since = None;
                }
            }
        }
    }

    /// Emits [`Event::SendReady`] for blocked streams that can now send (`only`: just that one).
    pub(crate) fn wake_blocked(&mut self, only: Option<u32>) {
        let mut list = std::mem::take(&mut self.blocked);
        list.retain(|&id| {
            let Some(s) = self.streams.get(&id) else {
                return false;
            };
            if !s.blocked {
                return false;
            }
            if only.is_some_and(|o| o != id) {
                return true;
            }
            if self.send_capacity(s) == 0 {
                return true;
            }
            let s = self.streams.get_mut(&id).expect("present");
            s.blocked = false;
            s.blocked_since = None;
            self.events.push_back(Ev::SendReady(StreamId::new(id)));
            false
        });
        self.blocked = list;
    }

    /// The send window of a stream right now (may be less than what `send_data` takes if the
    /// buffer limits bind). `None` if the stream is not open.
    ///
    /// # Examples
    ///
    /// ```
    /// let c = brisk_http2::Connection::server(Default::default());
    /// assert_eq!(c.send_capacity_of(brisk_http2::StreamId::new(1)), None);
    /// ```
    pub fn send_capacity_of(&self, stream: StreamId) -> Option<usize> {
        self.streams
            .get(&stream.value())
            .map(|s| self.send_capacity(s))
    }

    /// Applies a SETTINGS payload from the peer (also used for the h2c HTTP2-Settings header).
    pub(crate) fn apply_peer_settings(
        &mut self,
        payload: SettingsPayload<'_>,
    ) -> Result<(), Error> {
        for (id, v) in payload.iter() {
            match id {
                SettingId::HEADER_TABLE_SIZE => {
                    self.peer.header_table_size = v;
                    self.encoder.set_peer_max_table_size(v as usize);
                }
                SettingId::ENABLE_PUSH => {
                    if self.role == Role::Client && v == 1 {
                        // RFC 9113 §6.5.2: a server MUST NOT send 1.
                        return Err(Error::conn(
                            ErrorCode::PROTOCOL_ERROR,
                            Violation::BadSetting,
                        ));
                    }
                    self.peer.enable_push = v == 1;
                }
                SettingId::MAX_CONCURRENT_STREAMS => self.peer.max_concurrent_streams = v,
                SettingId::INITIAL_WINDOW_SIZE => {
                    let delta = i64::from(v) - i64::from(self.peer.initial_window_size);
                    self.peer.initial_window_size = v;
                    if delta != 0 {
                        for s in self.streams.values_mut() {
                            s.send_window += delta;
                            if s.send_window > crate::stream::MAX_WINDOW {
                                return Err(Error::conn(
                                    ErrorCode::FLOW_CONTROL_ERROR,
                                    Violation::WindowOverflow,
                                ));
                            }
                        }
                        if delta > 0 {
                            self.wake_blocked(None);
                            self.forget_unlimited_stalls();
                        }
                    }
                }
                SettingId::MAX_FRAME_SIZE => self.peer.max_frame_size = v,
                SettingId::MAX_HEADER_LIST_SIZE => self.peer.max_header_list_size = v,
                SettingId::ENABLE_CONNECT_PROTOCOL => {
                    if self.peer.enable_connect_protocol && v == 0 {
                        // RFC 8441 §3: once 1, it cannot go back to 0.
                        return Err(Error::conn(
                            ErrorCode::PROTOCOL_ERROR,
                            Violation::BadSetting,
                        ));
                    }
                    self.peer.enable_connect_protocol = v == 1;
                }
                _ => {}
            }
        }
        Ok(())
    }
}
