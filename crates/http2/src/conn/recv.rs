//! The receive path: preface, frame dispatch, stream states, header blocks, flow control.

use super::{Connection, Continuation, Role, Shutdown, DRAIN_PING, PREFACE};
use crate::error::{Error, ErrorCode, StreamId, Violation};
use crate::event::Ev;
use crate::frame::{Frame, FrameHeader, Priority, SettingsPayload, HEADER_LEN};
use crate::headers::{BlockKind, Checker};
use crate::stream::{Closed, Recv, Stream, MAX_WINDOW};

/// Capacity of the buffer that joins a header block split over CONTINUATION frames that a
/// connection keeps after the block (one default-sized frame); a larger one is freed.
const KEEP_BLOCK_BUF: usize = 16 * 1024;

/// Where a stream id stands (RFC 9113 §5.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Status {
    Open,
    Idle,
    Closed(Option<Closed>),
}

fn conn_err(code: ErrorCode, v: Violation) -> Error {
    Error::conn(code, v)
}

fn stream_err(id: u32, code: ErrorCode, v: Violation) -> Error {
    Error::stream(StreamId::new(id), code, v)
}

impl Connection {
    /// Feeds bytes received from the peer and returns how many were used.
    ///
    /// Whole frames are processed; a trailing partial frame is left unused (keep it and call
    /// again with more bytes), so the caller's buffer needs room for one frame of our
    /// SETTINGS_MAX_FRAME_SIZE plus 9 bytes. Fewer bytes are used also when
    /// [`wants_read`](Self::wants_read) turns false (too many ACKs waiting in the output).
    /// Results come out of [`poll_event`](Self::poll_event) and
    /// [`poll_output`](Self::poll_output). Stream errors reset only their stream (RST_STREAM
    /// and an [`Event::StreamReset`](crate::Event::StreamReset)); they are not returned here.
    ///
    /// # Errors
    ///
    /// [`Error::Connection`] for a connection error (RFC 9113 §5.4.1): a GOAWAY with its code
    /// is queued for `poll_output`, and every later call returns the same error.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http2::{Connection, ErrorCode, PREFACE};
    /// let mut server = Connection::server(Default::default());
    /// assert_eq!(server.recv(&PREFACE[..10])?, 10); // a partial preface is fine
    /// assert_eq!(server.recv(&PREFACE[10..])?, 14);
    /// // A PING as first frame instead of SETTINGS:
    /// let err = server.recv(&[0, 0, 8, 6, 0, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8]).unwrap_err();
    /// assert_eq!(err.code(), ErrorCode::PROTOCOL_ERROR);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn recv(&mut self, input: &[u8]) -> Result<usize, Error> {
        if let Some(e) = self.error {
            return Err(e);
        }
        if self.events.is_empty() {
            self.arena.clear();
        }
        let mut pos = 0;
        if self.role == Role::Server && self.preface_matched < PREFACE.len() {
            let want = &PREFACE[self.preface_matched..];
            let n = want.len().min(input.len());
            if input[..n] != want[..n] {
                return Err(self.fail(conn_err(ErrorCode::PROTOCOL_ERROR, Violation::BadPreface)));
            }
            self.preface_matched += n;
            pos = n;
        }
        let max = self.config.max_frame_size;
        while pos < input.len() && self.pending_acks < self.config.limits.max_pending_acks {
            let Some(head) = input[pos..].first_chunk::<HEADER_LEN>() else {
                break;
            };
            let header = FrameHeader::parse(head);
            if header.length > max {
                return Err(self.fail(conn_err(
                    ErrorCode::FRAME_SIZE_ERROR,
                    Violation::FrameTooLarge,
                )));
            }
            let end = pos + HEADER_LEN + header.length as usize;
            if input.len() < end {
                break;
            }
            let payload = &input[pos + HEADER_LEN..end];
            pos = end;
            // A stream error found while decoding (e.g. PRIORITY depending on itself) resets
            // only that stream; the frame is consumed either way.
            let result = Frame::decode(header, payload).and_then(|frame| self.handle_frame(frame));
            if let Err(e) = result {
                self.on_error(e)?;
            }
        }
        Ok(pos)
    }

    /// Turns a stream error into RST_STREAM; a connection error into GOAWAY (and `Err`).
    fn on_error(&mut self, e: Error) -> Result<(), Error> {
        match e {
            Error::Stream { stream, code, .. } => {
                self.reset_local(stream, code);
                if !self.provoked_resets.take() {
                    return Err(self.fail(conn_err(
                        ErrorCode::ENHANCE_YOUR_CALM,
                        Violation::ProvokedResets,
                    )));
                }
                Ok(())
            }
            e => Err(self.fail(e)),
        }
    }

    fn status(&self, id: u32) -> Status {
        if self.streams.contains_key(&id) {
            return Status::Open;
        }
        let peer_parity = (id & 1 == 1) == (self.role == Role::Server);
        let idle = if peer_parity {
            id > self.max_peer_stream
        } else {
            id >= self.next_local_stream
        };
        if idle {
            Status::Idle
        } else {
            Status::Closed(self.closed.get(id))
        }
    }

    fn handle_frame(&mut self, frame: Frame<'_>) -> Result<(), Error> {
        if !self.got_peer_settings && !matches!(frame, Frame::Settings { ack: false, .. }) {
            return Err(conn_err(
                ErrorCode::PROTOCOL_ERROR,
                Violation::PrefaceNotSettings,
            ));
        }
        if self.cont.is_some() && !matches!(frame, Frame::Continuation { .. }) {
            return Err(conn_err(
                ErrorCode::PROTOCOL_ERROR,
                Violation::ExpectedContinuation,
            ));
        }
        match frame {
            Frame::Data {
                stream,
                data,
                end_stream,
                flow_len,
            } => self.on_data(stream.value(), data, end_stream, i64::from(flow_len)),
            Frame::Headers {
                stream,
                block,
                end_stream,
                end_headers,
                priority,
            } => self.on_headers(stream, block, end_stream, end_headers, priority),
            Frame::Continuation {
                stream,
                block,
                end_headers,
            } => self.on_continuation(stream, block, end_headers),
            Frame::Priority { .. } => Ok(()),
            Frame::RstStream { stream, code } => self.on_rst(stream.value(), code),
            Frame::Settings { ack, payload } => self.on_settings(ack, payload),
            Frame::PushPromise { .. } => {
                // Servers never accept one; clients advertise SETTINGS_ENABLE_PUSH = 0.
                Err(conn_err(
                    ErrorCode::PROTOCOL_ERROR,
                    Violation::PushNotAllowed,
                ))
            }
            Frame::Ping { ack, payload } => {
                if ack {
                    if payload == DRAIN_PING && self.shutdown == Shutdown::Draining {
                        self.go_away_final();
                    } else {
                        self.events.push_back(Ev::PingAck(payload));
                    }
                } else {
                    Frame::Ping { ack: true, payload }.encode(&mut self.out);
                    self.pending_acks += 1;
                }
                Ok(())
            }
            Frame::GoAway {
                last_stream,
                code,
                debug,
            } => {
                self.on_goaway(last_stream, code, debug);
                Ok(())
            }
            Frame::WindowUpdate { stream, increment } => {
                self.on_window_update(stream.value(), i64::from(increment))
            }
            Frame::Unknown { .. } => Ok(()),
        }
    }

    /// Returns credit for `n` bytes to the connection window and, if the stream still
    /// receives, to its window; sends WINDOW_UPDATE frames once half a window is owed.
    pub(crate) fn release(&mut self, id: u32, n: i64) {
        let target = i64::from(self.config.connection_window_size.max(65_535));
        self.conn_recv_pending = (self.conn_recv_pending + n).min(target - self.conn_recv_window);
        if self.conn_recv_pending > 0 && self.conn_recv_pending >= target / 2 {
            let inc = self.conn_recv_pending;
            Frame::WindowUpdate {
                stream: StreamId::CONNECTION,
                increment: inc as u32,
            }
            .encode(&mut self.out);
            self.conn_recv_window += inc;
            self.conn_recv_pending = 0;
        }
        let initial = i64::from(self.recv_initial_window);
        if let Some(s) = self.streams.get_mut(&id) {
            if s.recv == Recv::Closed {
                return;
            }
            s.recv_pending = (s.recv_pending + n).min(initial - s.recv_window);
            if s.recv_pending > 0 && s.recv_pending >= (initial / 2).max(1) {
                let inc = s.recv_pending;
                s.recv_window += inc;
                s.recv_pending = 0;
                Frame::WindowUpdate {
                    stream: StreamId::new(id),
                    increment: inc as u32,
                }
                .encode(&mut self.out);
            }
        }
    }

    /// Tells the connection the application has processed `n` bytes of DATA on `stream`:
    /// their flow-control credit goes back to the peer (in WINDOW_UPDATE frames, batched to
    /// half a window). Call it for every [`Event::Data`](crate::Event::Data), when the bytes
    /// are consumed rather than when they arrive. Unknown or closed streams only return
    /// connection credit.
    ///
    /// # Examples
    ///
    /// ```
    /// # let mut c = brisk_http2::Connection::server(Default::default());
    /// c.consume(brisk_http2::StreamId::new(1), 100); // nothing owed yet: no effect
    /// ```
    pub fn consume(&mut self, stream: StreamId, n: usize) {
        if self.error.is_none() {
            self.release(stream.value(), n.min(MAX_WINDOW as usize) as i64);
        }
    }

    fn on_data(&mut self, id: u32, data: &[u8], end_stream: bool, flow: i64) -> Result<(), Error> {
        if flow > self.conn_recv_window {
            return Err(conn_err(
                ErrorCode::FLOW_CONTROL_ERROR,
                Violation::WindowExceeded,
            ));
        }
        self.conn_recv_window -= flow;
        match self.status(id) {
            Status::Open => {}
            Status::Idle => return Err(conn_err(ErrorCode::PROTOCOL_ERROR, Violation::IdleStream)),
            Status::Closed(how) => {
                self.release(id, flow);
                return match how {
                    Some(Closed::ByUs) => Ok(()),
                    Some(Closed::Normal) => {
                        Err(conn_err(ErrorCode::STREAM_CLOSED, Violation::ClosedStream))
                    }
                    _ => Err(stream_err(
                        id,
                        ErrorCode::STREAM_CLOSED,
                        Violation::ClosedStream,
                    )),
                };
            }
        }
        let tiny = self.config.limits.tiny_data_frame_size;
        let s = self.streams.get_mut(&id).expect("open");
        let problem = match s.recv {
            Recv::Closed => Some((ErrorCode::STREAM_CLOSED, Violation::ClosedStream)),
            Recv::Headers => Some((ErrorCode::PROTOCOL_ERROR, Violation::Malformed)),
            Recv::Body if flow > s.recv_window => {
                Some((ErrorCode::FLOW_CONTROL_ERROR, Violation::WindowExceeded))
            }
            Recv::Body => {
                s.recv_window -= flow;
                s.recv_len += data.len() as u64;
                match s.content_length {
                    Some(cl)
                        if !s.no_body_check
                            && (s.recv_len > cl || (end_stream && s.recv_len != cl)) =>
                    {
                        Some((ErrorCode::PROTOCOL_ERROR, Violation::ContentLength))
                    }
                    _ => None,
                }
            }
        };
        if let Some((code, v)) = problem {
            self.release(id, flow);
            return Err(stream_err(id, code, v));
        }
        if end_stream {
            s.recv = Recv::Closed;
        }
        // A small frame is only suspicious if the windows allowed a bigger one.
        let forced = s.recv_window.min(self.conn_recv_window) < tiny as i64;
        if !end_stream && data.len() < tiny && !forced {
            self.tiny_data += 1;
            if self.tiny_data > self.config.limits.max_tiny_data_frames {
                return Err(conn_err(ErrorCode::ENHANCE_YOUR_CALM, Violation::DataFlood));
            }
        } else if data.len() >= tiny {
            self.tiny_data = 0;
            self.tiny_decay_at = None;
        }
        let pad = flow - data.len() as i64;
        if pad > 0 {
            self.release(id, pad);
        }
        if !data.is_empty() || end_stream {
            let start = self.arena.bytes.len() as u32;
            self.arena.bytes.extend_from_slice(data);
            self.events.push_back(Ev::Data {
                stream: StreamId::new(id),
                start,
                len: data.len() as u32,
                end_stream,
            });
        }
        if end_stream {
            self.maybe_close(id);
        }
        Ok(())
    }

    fn on_headers(
        &mut self,
        stream: StreamId,
        block: &[u8],
        end_stream: bool,
        end_headers: bool,
        priority: Option<Priority>,
    ) -> Result<(), Error> {
        let self_dependent = priority.is_some_and(|p| p.dependency == stream);
        if end_headers {
            return self.process_block(stream.value(), block, end_stream, self_dependent);
        }
        if block.len() > self.config.limits.max_header_block_size {
            return Err(conn_err(
                ErrorCode::ENHANCE_YOUR_CALM,
                Violation::ContinuationFlood,
            ));
        }
        self.block_buf.clear();
        self.block_buf.extend_from_slice(block);
        self.cont = Some(Continuation {
            stream,
            end_stream,
            self_dependent,
            frames: 0,
        });
        Ok(())
    }

    fn on_continuation(
        &mut self,
        stream: StreamId,
        block: &[u8],
        end_headers: bool,
    ) -> Result<(), Error> {
        let Some(mut c) = self.cont else {
            return Err(conn_err(
                ErrorCode::PROTOCOL_ERROR,
                Violation::UnexpectedContinuation,
            ));
        };
        if c.stream != stream {
            return Err(conn_err(
                ErrorCode::PROTOCOL_ERROR,
                Violation::ExpectedContinuation,
            ));
        }
        c.frames += 1;
        let l = &self.config.limits;
        if c.frames > l.max_continuation_frames
            || self.block_buf.len() + block.len() > l.max_header_block_size
        {
            return Err(conn_err(
                ErrorCode::ENHANCE_YOUR_CALM,
                Violation::ContinuationFlood,
            ));
        }
        self.block_buf.extend_from_slice(block);
        if !end_headers {
            self.cont = Some(c);
            return Ok(());
        }
        self.cont = None;
        let mut buf = std::mem::take(&mut self.block_buf);
        let r = self.process_block(stream.value(), &buf, c.end_stream, c.self_dependent);
        // Kept for the next split block only while small: an idle connection would otherwise
        // hold the largest block it ever got (up to `max_header_block_size`) for its life.
        if buf.capacity() <= KEEP_BLOCK_BUF {
            buf.clear();
            self.block_buf = buf;
        }
        r
    }

    /// Decodes a complete header block and applies it to its stream.
    fn process_block(
        &mut self,
        id: u32,
        block: &[u8],
        end_stream: bool,
        self_dep: bool,
    ) -> Result<(), Error> {
        let status = self.status(id);
        let kind = match status {
            Status::Idle => {
                if self.role == Role::Client || id & 1 == 0 {
                    return Err(conn_err(
                        ErrorCode::PROTOCOL_ERROR,
                        Violation::BadNewStreamId,
                    ));
                }
                BlockKind::Request
            }
            Status::Open => match self.streams[&id].recv {
                Recv::Headers => BlockKind::Response,
                Recv::Body | Recv::Closed => BlockKind::Trailers,
            },
            Status::Closed(_) => BlockKind::Trailers,
        };
        // Decode first, whatever happens next: the HPACK state must stay in sync.
        let connect_protocol = self.config.enable_connect_protocol && self.role == Role::Server;
        let (mark_fields, mark_bytes) = (self.arena.fields.len(), self.arena.bytes.len());
        let mut checker = Checker::new(kind, connect_protocol, &self.arena);
        let arena = &mut self.arena;
        let mut too_large = false;
        match self
            .decoder
            .decode(block, |f| checker.field(arena, f.name, f.value))
        {
            Ok(()) => {}
            Err(brisk_hpack::Error::HeaderListTooLarge) => too_large = true,
            Err(_) => {
                return Err(conn_err(
                    ErrorCode::COMPRESSION_ERROR,
                    Violation::Compression,
                ))
            }
        }
        let content_length = checker.content_length;
        let checked = if too_large {
            None
        } else {
            checker.finish(&self.arena, end_stream)
        };
        let rollback = |c: &mut Connection| {
            c.arena.fields.truncate(mark_fields);
            c.arena.bytes.truncate(mark_bytes);
        };
        let sid = StreamId::new(id);
        match status {
            Status::Closed(how) => {
                rollback(self);
                match how {
                    Some(Closed::ByUs) => Ok(()),
                    Some(Closed::ByPeer) => Err(stream_err(
                        id,
                        ErrorCode::STREAM_CLOSED,
                        Violation::ClosedStream,
                    )),
                    Some(Closed::Normal) => {
                        Err(conn_err(ErrorCode::STREAM_CLOSED, Violation::ClosedStream))
                    }
                    None if self.role == Role::Server => Err(conn_err(
                        ErrorCode::PROTOCOL_ERROR,
                        Violation::BadNewStreamId,
                    )),
                    None => Err(conn_err(ErrorCode::STREAM_CLOSED, Violation::ClosedStream)),
                }
            }
            Status::Idle => {
                self.max_peer_stream = id;
                if let Shutdown::Done(last) = self.shutdown {
                    if id > last {
                        // RFC 9113 §6.8: streams above our final GOAWAY are ignored.
                        rollback(self);
                        self.closed.insert(id, Closed::ByUs);
                        return Ok(());
                    }
                }
                if too_large {
                    rollback(self);
                    return self.refuse_too_large(sid, end_stream);
                }
                let Some(block_ref) = checked else {
                    rollback(self);
                    return Err(stream_err(
                        id,
                        ErrorCode::PROTOCOL_ERROR,
                        Violation::Malformed,
                    ));
                };
                if self_dep {
                    rollback(self);
                    return Err(stream_err(
                        id,
                        ErrorCode::PROTOCOL_ERROR,
                        Violation::SelfDependency,
                    ));
                }
                if end_stream && content_length.is_some_and(|n| n != 0) {
                    rollback(self);
                    return Err(stream_err(
                        id,
                        ErrorCode::PROTOCOL_ERROR,
                        Violation::ContentLength,
                    ));
                }
                if self.peer_open >= self.config.max_concurrent_streams {
                    rollback(self);
                    return Err(stream_err(
                        id,
                        ErrorCode::REFUSED_STREAM,
                        Violation::TooManyStreams,
                    ));
                }
                let mut s = Stream::new(
                    true,
                    self.peer.initial_window_size,
                    self.recv_initial_window,
                );
                s.recv = if end_stream { Recv::Closed } else { Recv::Body };
                s.content_length = content_length;
                self.streams.insert(id, s);
                self.peer_open += 1;
                self.tiny_data = 0;
                self.tiny_decay_at = None;
                self.events.push_back(Ev::Headers {
                    stream: sid,
                    block: block_ref,
                    end_stream,
                });
                Ok(())
            }
            Status::Open => {
                let Some(block_ref) = checked.filter(|_| !self_dep) else {
                    rollback(self);
                    let v = if too_large {
                        Violation::HeaderListTooLarge
                    } else {
                        Violation::Malformed
                    };
                    let code =
                        if kind == BlockKind::Trailers && self.streams[&id].recv == Recv::Closed {
                            ErrorCode::STREAM_CLOSED
                        } else {
                            ErrorCode::PROTOCOL_ERROR
                        };
                    return Err(stream_err(id, code, v));
                };
                self.tiny_data = 0;
                self.tiny_decay_at = None;
                let s = self.streams.get_mut(&id).expect("open");
                match kind {
                    BlockKind::Trailers => {
                        if s.recv == Recv::Closed {
                            rollback(self);
                            return Err(stream_err(
                                id,
                                ErrorCode::STREAM_CLOSED,
                                Violation::ClosedStream,
                            ));
                        }
                        if let Some(cl) = s.content_length {
                            if !s.no_body_check && cl != s.recv_len {
                                rollback(self);
                                return Err(stream_err(
                                    id,
                                    ErrorCode::PROTOCOL_ERROR,
                                    Violation::ContentLength,
                                ));
                            }
                        }
                        s.recv = Recv::Closed;
                        self.events.push_back(Ev::Trailers {
                            stream: sid,
                            block: block_ref,
                        });
                        self.maybe_close(id);
                    }
                    _ => {
                        let status = block_ref.pseudo_status();
                        if (100..200).contains(&status) {
                            self.events.push_back(Ev::Headers {
                                stream: sid,
                                block: block_ref,
                                end_stream: false,
                            });
                            return Ok(());
                        }
                        s.no_body_check = s.head_request || status == 204 || status == 304;
                        s.content_length = content_length;
                        if end_stream && !s.no_body_check && content_length.is_some_and(|n| n != 0)
                        {
                            rollback(self);
                            return Err(stream_err(
                                id,
                                ErrorCode::PROTOCOL_ERROR,
                                Violation::ContentLength,
                            ));
                        }
                        s.recv = if end_stream { Recv::Closed } else { Recv::Body };
                        self.events.push_back(Ev::Headers {
                            stream: sid,
                            block: block_ref,
                            end_stream,
                        });
                        if end_stream {
                            self.maybe_close(id);
                        }
                    }
                }
                Ok(())
            }
        }
    }

    /// A request whose header list is over our limit: answered 431 (RFC 9113 §10.5.1).
    fn refuse_too_large(&mut self, stream: StreamId, end_stream: bool) -> Result<(), Error> {
        self.scratch.clear();
        self.encoder.encode(
            [brisk_hpack::Field {
                name: b":status",
                value: b"431",
                never_indexed: false,
            }],
            &mut self.scratch,
        );
        Frame::Headers {
            stream,
            block: &self.scratch,
            end_stream: true,
            end_headers: true,
            priority: None,
        }
        .encode(&mut self.out);
        if end_stream {
            self.closed.insert(stream.value(), Closed::Normal);
        } else {
            Frame::RstStream {
                stream,
                code: ErrorCode::NO_ERROR,
            }
            .encode(&mut self.out);
            self.closed.insert(stream.value(), Closed::ByUs);
        }
        if !self.provoked_resets.take() {
            return Err(conn_err(
                ErrorCode::ENHANCE_YOUR_CALM,
                Violation::ProvokedResets,
            ));
        }
        Ok(())
    }

    fn on_rst(&mut self, id: u32, code: ErrorCode) -> Result<(), Error> {
        match self.status(id) {
            Status::Idle => Err(conn_err(ErrorCode::PROTOCOL_ERROR, Violation::IdleStream)),
            Status::Closed(_) => Ok(()),
            Status::Open => {
                let s = self.remove_stream(id, Closed::ByPeer).expect("open");
                self.events.push_back(Ev::Reset {
                    stream: StreamId::new(id),
                    code,
                    by_peer: true,
                    retryable: code == ErrorCode::REFUSED_STREAM,
                });
                if s.remote && !self.rapid_resets.take() {
                    return Err(conn_err(
                        ErrorCode::ENHANCE_YOUR_CALM,
                        Violation::RapidReset,
                    ));
                }
                Ok(())
            }
        }
    }

    fn on_settings(&mut self, ack: bool, payload: SettingsPayload<'_>) -> Result<(), Error> {
        if ack {
            if self.settings_unacked > 0 {
                self.settings_unacked -= 1;
                if self.settings_unacked == 0 {
                    self.settings_deadline = None;
                }
                self.decoder
                    .set_max_table_size(self.config.header_table_size as usize);
                let new = self.config.initial_window_size;
                let delta = i64::from(new) - i64::from(self.recv_initial_window);
                if delta != 0 {
                    self.recv_initial_window = new;
                    let initial = i64::from(new);
                    for (&id, s) in self.streams.iter_mut() {
                        s.recv_window += delta;
                        // Credit the application already returned may now reach the (new,
                        // smaller) threshold; send it, or the peer could wait forever.
                        if s.recv != Recv::Closed
                            && s.recv_pending > 0
                            && s.recv_pending >= (initial / 2).max(1)
                        {
                            let inc = s.recv_pending.min(MAX_WINDOW - s.recv_window.max(0));
                            if inc > 0 {
                                s.recv_window += inc;
                                s.recv_pending -= inc;
                                Frame::WindowUpdate {
                                    stream: StreamId::new(id),
                                    increment: inc as u32,
                                }
                                .encode(&mut self.out);
                            }
                        }
                    }
                }
                self.events.push_back(Ev::SettingsAcked);
            }
            return Ok(());
        }
        self.apply_peer_settings(payload)?;
        self.got_peer_settings = true;
        Frame::Settings {
            ack: true,
            payload: SettingsPayload::new(&[]).expect("empty"),
        }
        .encode(&mut self.out);
        self.pending_acks += 1;
        self.events.push_back(Ev::Settings(self.peer));
        Ok(())
    }

    fn on_goaway(&mut self, last: StreamId, code: ErrorCode, debug: &[u8]) {
        self.goaway_received = Some(last.value());
        if self.role == Role::Client {
            let mut gone: Vec<u32> = self
                .streams
                .keys()
                .copied()
                .filter(|&id| id > last.value())
                .collect();
            gone.sort_unstable();
            for id in gone {
                self.remove_stream(id, Closed::ByUs);
                self.events.push_back(Ev::Reset {
                    stream: StreamId::new(id),
                    code: ErrorCode::REFUSED_STREAM,
                    by_peer: true,
                    retryable: true,
                });
            }
        }
        let start = self.arena.bytes.len() as u32;
        self.arena.bytes.extend_from_slice(debug);
        self.events.push_back(Ev::GoAway {
            last_stream: last,
            code,
            start,
            len: debug.len() as u32,
        });
    }

    fn on_window_update(&mut self, id: u32, inc: i64) -> Result<(), Error> {
        self.window_updates += 1;
        let allowed =
            u64::from(self.config.limits.max_window_update_frames) + 4 * self.data_frames_sent;
        if self.window_updates > allowed {
            return Err(conn_err(
                ErrorCode::ENHANCE_YOUR_CALM,
                Violation::WindowUpdateFlood,
            ));
        }
        if id == 0 {
            self.conn_send_window += inc;
            if self.conn_send_window > MAX_WINDOW {
                return Err(conn_err(
                    ErrorCode::FLOW_CONTROL_ERROR,
                    Violation::WindowOverflow,
                ));
            }
            if !self.blocked.is_empty() {
                self.wake_blocked(None);
                self.forget_unlimited_stalls();
            }
            return Ok(());
        }
        match self.status(id) {
            Status::Idle => Err(conn_err(ErrorCode::PROTOCOL_ERROR, Violation::IdleStream)),
            Status::Closed(_) => Ok(()),
            Status::Open => {
                let s = self.streams.get_mut(&id).expect("open");
                s.send_window += inc;
                if s.send_window > MAX_WINDOW {
                    return Err(stream_err(
                        id,
                        ErrorCode::FLOW_CONTROL_ERROR,
                        Violation::WindowOverflow,
                    ));
                }
                if s.blocked {
                    self.wake_blocked(Some(id));
                    self.forget_unlimited_stalls();
                }
                Ok(())
            }
        }
    }
}
