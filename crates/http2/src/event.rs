//! What a connection reports to its application: [`Event`].

use crate::error::{ErrorCode, StreamId};
use crate::headers::{BlockRef, Headers};

/// The peer's settings as last received (RFC 9113 §6.5.2); absent ones keep their initial values.
///
/// # Examples
///
/// ```
/// let s = brisk_http2::PeerSettings::default();
/// assert_eq!(s.initial_window_size, 65_535);
/// assert_eq!(s.max_concurrent_streams, u32::MAX);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PeerSettings {
    /// SETTINGS_HEADER_TABLE_SIZE: initial 4096.
    pub header_table_size: u32,
    /// SETTINGS_ENABLE_PUSH: initial true.
    pub enable_push: bool,
    /// SETTINGS_MAX_CONCURRENT_STREAMS: initial unlimited (`u32::MAX`).
    pub max_concurrent_streams: u32,
    /// SETTINGS_INITIAL_WINDOW_SIZE: initial 65535.
    pub initial_window_size: u32,
    /// SETTINGS_MAX_FRAME_SIZE: initial 16384.
    pub max_frame_size: u32,
    /// SETTINGS_MAX_HEADER_LIST_SIZE: initial unlimited (`u32::MAX`).
    pub max_header_list_size: u32,
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL (RFC 8441): initial false.
    pub enable_connect_protocol: bool,
}

impl Default for PeerSettings {
    fn default() -> Self {
        PeerSettings {
            header_table_size: 4096,
            enable_push: true,
            max_concurrent_streams: u32::MAX,
            initial_window_size: 65_535,
            max_frame_size: 16_384,
            max_header_list_size: u32::MAX,
            enable_connect_protocol: false,
        }
    }
}

/// Something the application needs to know, from
/// [`Connection::poll_event`](crate::Connection::poll_event). Borrowed data lives in the
/// connection's pooled buffers until the next `poll_event` or `recv`.
///
/// # Examples
///
/// ```
/// use brisk_http2::{Config, Connection, Event};
/// let mut client = Connection::client(Config::default());
/// let mut server = Connection::server(Config::default());
/// let mut wire = Vec::new();
/// client.poll_output(&mut wire);
/// server.recv(&wire)?;
/// wire.clear();
/// server.poll_output(&mut wire);
/// client.recv(&wire)?;
/// assert!(matches!(client.poll_event(), Some(Event::PeerSettings(_))));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'a> {
    /// A header section opening a message: a request (server) or a response, possibly
    /// informational 1xx (client).
    Headers {
        /// The stream.
        stream: StreamId,
        /// The fields, checked against RFC 9113 §8.
        headers: Headers<'a>,
        /// No DATA follows.
        end_stream: bool,
    },
    /// Body bytes. Return their flow-control credit with
    /// [`Connection::consume`](crate::Connection::consume) once processed.
    Data {
        /// The stream.
        stream: StreamId,
        /// The bytes (padding removed).
        data: &'a [u8],
        /// The last of the body.
        end_stream: bool,
    },
    /// A trailer section (ends the stream).
    Trailers {
        /// The stream.
        stream: StreamId,
        /// The trailer fields.
        headers: Headers<'a>,
    },
    /// The stream ended abnormally: reset by the peer, reset by us for a stream error, or
    /// (client) not processed before the server's GOAWAY.
    StreamReset {
        /// The stream.
        stream: StreamId,
        /// The RST_STREAM code (REFUSED_STREAM for streams above a GOAWAY's last id).
        code: ErrorCode,
        /// The peer sent the reset (or the GOAWAY).
        by_peer: bool,
        /// Nothing was processed: the request can be sent again on another connection
        /// (REFUSED_STREAM, or above a received GOAWAY's last stream id).
        retryable: bool,
    },
    /// A stream that `send_data` could not fully serve can send again (its windows opened or
    /// the output was drained).
    SendReady {
        /// The stream.
        stream: StreamId,
    },
    /// The peer sent GOAWAY: streams above `last_stream` were not processed (a client gets a
    /// retryable [`Event::StreamReset`] for each); no new stream may be opened.
    GoAway {
        /// Highest stream the peer processed.
        last_stream: StreamId,
        /// NO_ERROR for a graceful shutdown.
        code: ErrorCode,
        /// Opaque debug data.
        debug: &'a [u8],
    },
    /// The peer's SETTINGS arrived (already applied and acknowledged).
    PeerSettings(PeerSettings),
    /// The peer acknowledged our SETTINGS.
    SettingsAcked,
    /// The peer answered one of our PINGs.
    PingAck {
        /// The payload we sent.
        payload: [u8; 8],
    },
}

/// Queued form of an [`Event`]: ranges into the arena instead of borrows.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Ev {
    Headers {
        stream: StreamId,
        block: BlockRef,
        end_stream: bool,
    },
    Data {
        stream: StreamId,
        start: u32,
        len: u32,
        end_stream: bool,
    },
    Trailers {
        stream: StreamId,
        block: BlockRef,
    },
    Reset {
        stream: StreamId,
        code: ErrorCode,
        by_peer: bool,
        retryable: bool,
    },
    SendReady(StreamId),
    GoAway {
        last_stream: StreamId,
        code: ErrorCode,
        start: u32,
        len: u32,
    },
    Settings(PeerSettings),
    SettingsAcked,
    PingAck([u8; 8]),
}

impl Ev {
    pub(crate) fn view(self, arena: &crate::headers::Arena) -> Event<'_> {
        let slice = |start: u32, len: u32| &arena.bytes[start as usize..(start + len) as usize];
        match self {
            Ev::Headers {
                stream,
                block,
                end_stream,
            } => Event::Headers {
                stream,
                headers: arena.view(&block),
                end_stream,
            },
            Ev::Data {
                stream,
                start,
                len,
                end_stream,
            } => Event::Data {
                stream,
                data: slice(start, len),
                end_stream,
            },
            Ev::Trailers { stream, block } => Event::Trailers {
                stream,
                headers: arena.view(&block),
            },
            Ev::Reset {
                stream,
                code,
                by_peer,
                retryable,
            } => Event::StreamReset {
                stream,
                code,
                by_peer,
                retryable,
            },
            Ev::SendReady(stream) => Event::SendReady { stream },
            Ev::GoAway {
                last_stream,
                code,
                start,
                len,
            } => Event::GoAway {
                last_stream,
                code,
                debug: slice(start, len),
            },
            Ev::Settings(s) => Event::PeerSettings(s),
            Ev::SettingsAcked => Event::SettingsAcked,
            Ev::PingAck(payload) => Event::PingAck { payload },
        }
    }
}
