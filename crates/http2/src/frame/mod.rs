//! The frame layer (RFC 9113 §4 and §6): parse one frame from bytes, borrowing its payload, and
//! serialize frames into a `Vec<u8>`.
//!
//! ```text
//! +-----------------------------------------------+
//! |                 Length (24)                   |
//! +---------------+---------------+---------------+
//! |   Type (8)    |   Flags (8)   |
//! +-+-------------+---------------+-------------------------------+
//! |R|                 Stream Identifier (31)                      |
//! +=+=============================================================+
//! |                   Frame Payload (0...)                      ...
//! +---------------------------------------------------------------+
//! ```

mod parse;
mod write;

pub use write::{write_frame_header, write_settings};

use crate::error::{ErrorCode, StreamId};

/// Length of the frame header.
pub const HEADER_LEN: usize = 9;
/// SETTINGS_MAX_FRAME_SIZE initial value and lower bound, 2^14 (RFC 9113 §6.5.2).
pub const DEFAULT_MAX_FRAME_SIZE: u32 = 16_384;
/// Upper bound of SETTINGS_MAX_FRAME_SIZE, 2^24-1 (RFC 9113 §6.5.2).
pub const MAX_MAX_FRAME_SIZE: u32 = 16_777_215;

/// Frame type codes (RFC 9113 §6). A newtype so unknown types round-trip.
///
/// # Examples
///
/// ```
/// use brisk_http2::FrameType;
/// assert_eq!(FrameType::SETTINGS.0, 4);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FrameType(pub u8);

impl FrameType {
    /// DATA (0x0).
    pub const DATA: FrameType = FrameType(0x0);
    /// HEADERS (0x1).
    pub const HEADERS: FrameType = FrameType(0x1);
    /// PRIORITY (0x2).
    pub const PRIORITY: FrameType = FrameType(0x2);
    /// RST_STREAM (0x3).
    pub const RST_STREAM: FrameType = FrameType(0x3);
    /// SETTINGS (0x4).
    pub const SETTINGS: FrameType = FrameType(0x4);
    /// PUSH_PROMISE (0x5).
    pub const PUSH_PROMISE: FrameType = FrameType(0x5);
    /// PING (0x6).
    pub const PING: FrameType = FrameType(0x6);
    /// GOAWAY (0x7).
    pub const GOAWAY: FrameType = FrameType(0x7);
    /// WINDOW_UPDATE (0x8).
    pub const WINDOW_UPDATE: FrameType = FrameType(0x8);
    /// CONTINUATION (0x9).
    pub const CONTINUATION: FrameType = FrameType(0x9);
}

/// Frame flag bits (RFC 9113 §6). Flags a frame type does not define are ignored.
///
/// # Examples
///
/// ```
/// use brisk_http2::flags;
/// assert_eq!(flags::END_STREAM | flags::END_HEADERS, 0x5);
/// ```
pub mod flags {
    /// END_STREAM on DATA and HEADERS.
    pub const END_STREAM: u8 = 0x1;
    /// ACK on SETTINGS and PING.
    pub const ACK: u8 = 0x1;
    /// END_HEADERS on HEADERS, PUSH_PROMISE and CONTINUATION.
    pub const END_HEADERS: u8 = 0x4;
    /// PADDED on DATA, HEADERS and PUSH_PROMISE.
    pub const PADDED: u8 = 0x8;
    /// PRIORITY on HEADERS.
    pub const PRIORITY: u8 = 0x20;
}

/// The 9-byte frame header.
///
/// # Examples
///
/// ```
/// use brisk_http2::{FrameHeader, FrameType, StreamId};
/// let h = FrameHeader::parse(&[0, 0, 8, 6, 0, 0, 0, 0, 0]);
/// assert_eq!(h.kind, FrameType::PING);
/// assert_eq!(h.length, 8);
/// assert_eq!(h.stream, StreamId::CONNECTION);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameHeader {
    /// Payload length (24 bits).
    pub length: u32,
    /// Frame type.
    pub kind: FrameType,
    /// Flag bits.
    pub flags: u8,
    /// Stream identifier (reserved bit cleared).
    pub stream: StreamId,
}

impl FrameHeader {
    /// Reads a frame header from its 9 bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http2::FrameHeader;
    /// let h = FrameHeader::parse(&[0, 0, 0, 1, 5, 0x80, 0, 0, 1]);
    /// assert_eq!(h.stream.value(), 1); // reserved bit ignored
    /// ```
    pub fn parse(b: &[u8; HEADER_LEN]) -> FrameHeader {
        FrameHeader {
            length: u32::from_be_bytes([0, b[0], b[1], b[2]]),
            kind: FrameType(b[3]),
            flags: b[4],
            stream: StreamId::new(u32::from_be_bytes([b[5], b[6], b[7], b[8]])),
        }
    }
}

/// A PRIORITY field (RFC 9113 §5.3.2): parsed and then ignored, as RFC 9113 allows.
///
/// # Examples
///
/// ```
/// use brisk_http2::{Priority, StreamId};
/// let p = Priority { dependency: StreamId::new(1), weight: 15, exclusive: false };
/// assert_eq!(p.weight, 15);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Priority {
    /// The stream this one depends on.
    pub dependency: StreamId,
    /// Weight minus one, as on the wire.
    pub weight: u8,
    /// The E bit.
    pub exclusive: bool,
}

/// SETTINGS identifiers (RFC 9113 §6.5.2, RFC 8441 §3).
///
/// # Examples
///
/// ```
/// assert_eq!(brisk_http2::SettingId::MAX_FRAME_SIZE.0, 5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SettingId(pub u16);

impl SettingId {
    /// SETTINGS_HEADER_TABLE_SIZE (0x1).
    pub const HEADER_TABLE_SIZE: SettingId = SettingId(0x1);
    /// SETTINGS_ENABLE_PUSH (0x2).
    pub const ENABLE_PUSH: SettingId = SettingId(0x2);
    /// SETTINGS_MAX_CONCURRENT_STREAMS (0x3).
    pub const MAX_CONCURRENT_STREAMS: SettingId = SettingId(0x3);
    /// SETTINGS_INITIAL_WINDOW_SIZE (0x4).
    pub const INITIAL_WINDOW_SIZE: SettingId = SettingId(0x4);
    /// SETTINGS_MAX_FRAME_SIZE (0x5).
    pub const MAX_FRAME_SIZE: SettingId = SettingId(0x5);
    /// SETTINGS_MAX_HEADER_LIST_SIZE (0x6).
    pub const MAX_HEADER_LIST_SIZE: SettingId = SettingId(0x6);
    /// SETTINGS_ENABLE_CONNECT_PROTOCOL (0x8, RFC 8441).
    pub const ENABLE_CONNECT_PROTOCOL: SettingId = SettingId(0x8);
}

/// The payload of a SETTINGS frame: a sequence of 6-byte (identifier, value) pairs.
///
/// # Examples
///
/// ```
/// use brisk_http2::{SettingId, SettingsPayload};
/// let p = SettingsPayload::new(&[0, 3, 0, 0, 0, 100]).unwrap();
/// assert_eq!(p.iter().next(), Some((SettingId::MAX_CONCURRENT_STREAMS, 100)));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SettingsPayload<'a>(&'a [u8]);

impl<'a> SettingsPayload<'a> {
    /// Wraps a payload; `None` if its length is not a multiple of 6.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(brisk_http2::SettingsPayload::new(&[0; 5]).is_none());
    /// ```
    pub fn new(bytes: &'a [u8]) -> Option<Self> {
        bytes
            .len()
            .is_multiple_of(6)
            .then_some(SettingsPayload(bytes))
    }

    /// The pairs in order (a later pair for the same id overrides an earlier one).
    ///
    /// # Examples
    ///
    /// ```
    /// let p = brisk_http2::SettingsPayload::new(&[]).unwrap();
    /// assert_eq!(p.iter().count(), 0);
    /// ```
    pub fn iter(&self) -> impl Iterator<Item = (SettingId, u32)> + 'a {
        self.0.chunks_exact(6).map(|c| {
            (
                SettingId(u16::from_be_bytes([c[0], c[1]])),
                u32::from_be_bytes([c[2], c[3], c[4], c[5]]),
            )
        })
    }

    /// The raw bytes.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_http2::SettingsPayload::new(&[]).unwrap().as_bytes(), b"");
    /// ```
    pub fn as_bytes(&self) -> &'a [u8] {
        self.0
    }
}

/// One parsed frame, borrowing its payload from the input.
///
/// # Examples
///
/// ```
/// use brisk_http2::Frame;
/// let bytes = [0, 0, 8, 6, 1, 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8];
/// let (frame, used) = Frame::parse(&bytes, 16_384).unwrap().unwrap();
/// assert_eq!(used, 17);
/// assert_eq!(frame, Frame::Ping { ack: true, payload: [1, 2, 3, 4, 5, 6, 7, 8] });
/// let mut out = Vec::new();
/// frame.encode(&mut out);
/// assert_eq!(out, bytes);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frame<'a> {
    /// DATA (RFC 9113 §6.1).
    Data {
        /// Stream.
        stream: StreamId,
        /// Application data, padding removed.
        data: &'a [u8],
        /// END_STREAM flag.
        end_stream: bool,
        /// Bytes the frame counts against flow control (the whole payload, padding included).
        flow_len: u32,
    },
    /// HEADERS (RFC 9113 §6.2).
    Headers {
        /// Stream.
        stream: StreamId,
        /// Field block fragment, padding and priority removed.
        block: &'a [u8],
        /// END_STREAM flag.
        end_stream: bool,
        /// END_HEADERS flag.
        end_headers: bool,
        /// Priority fields if the PRIORITY flag was set.
        priority: Option<Priority>,
    },
    /// PRIORITY (RFC 9113 §6.3), deprecated but parsed.
    Priority {
        /// Stream.
        stream: StreamId,
        /// The priority fields.
        priority: Priority,
    },
    /// RST_STREAM (RFC 9113 §6.4).
    RstStream {
        /// Stream.
        stream: StreamId,
        /// Why.
        code: ErrorCode,
    },
    /// SETTINGS (RFC 9113 §6.5).
    Settings {
        /// ACK flag (then the payload is empty).
        ack: bool,
        /// The (identifier, value) pairs.
        payload: SettingsPayload<'a>,
    },
    /// PUSH_PROMISE (RFC 9113 §6.6).
    PushPromise {
        /// Stream the promise is associated with.
        stream: StreamId,
        /// The reserved stream.
        promised: StreamId,
        /// Field block fragment.
        block: &'a [u8],
        /// END_HEADERS flag.
        end_headers: bool,
    },
    /// PING (RFC 9113 §6.7).
    Ping {
        /// ACK flag.
        ack: bool,
        /// Opaque data.
        payload: [u8; 8],
    },
    /// GOAWAY (RFC 9113 §6.8).
    GoAway {
        /// Last stream the sender processed.
        last_stream: StreamId,
        /// Why.
        code: ErrorCode,
        /// Opaque debug data.
        debug: &'a [u8],
    },
    /// WINDOW_UPDATE (RFC 9113 §6.9).
    WindowUpdate {
        /// Stream, or 0 for the connection window.
        stream: StreamId,
        /// Window size increment (1 to 2^31-1).
        increment: u32,
    },
    /// CONTINUATION (RFC 9113 §6.10).
    Continuation {
        /// Stream.
        stream: StreamId,
        /// Field block fragment.
        block: &'a [u8],
        /// END_HEADERS flag.
        end_headers: bool,
    },
    /// A frame of a type this crate does not know; to be ignored (RFC 9113 §4.1).
    Unknown {
        /// The header.
        header: FrameHeader,
        /// The payload.
        payload: &'a [u8],
    },
}

impl<'a> Frame<'a> {
    /// The stream the frame belongs to (0 for connection frames).
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http2::{Frame, StreamId};
    /// let f = Frame::WindowUpdate { stream: StreamId::new(3), increment: 1 };
    /// assert_eq!(f.stream(), StreamId::new(3));
    /// ```
    pub fn stream(&self) -> StreamId {
        match *self {
            Frame::Data { stream, .. }
            | Frame::Headers { stream, .. }
            | Frame::Priority { stream, .. }
            | Frame::RstStream { stream, .. }
            | Frame::PushPromise { stream, .. }
            | Frame::WindowUpdate { stream, .. }
            | Frame::Continuation { stream, .. } => stream,
            Frame::Settings { .. } | Frame::Ping { .. } | Frame::GoAway { .. } => {
                StreamId::CONNECTION
            }
            Frame::Unknown { header, .. } => header.stream,
        }
    }
}
