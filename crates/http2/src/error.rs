//! Error codes (RFC 9113 §7), stream identifiers and the crate's one `Error` enum.

use std::fmt;

/// An HTTP/2 error code as carried by RST_STREAM and GOAWAY (RFC 9113 §7).
///
/// A newtype rather than an enum, so a code this crate does not know still round-trips.
///
/// # Examples
///
/// ```
/// use brisk_http2::ErrorCode;
/// assert_eq!(ErrorCode::PROTOCOL_ERROR.0, 0x1);
/// assert_eq!(ErrorCode(0x1).to_string(), "PROTOCOL_ERROR");
/// assert_eq!(ErrorCode(0xff).to_string(), "unknown error code 0xff");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ErrorCode(pub u32);

impl ErrorCode {
    /// Graceful shutdown or no error (0x0).
    pub const NO_ERROR: ErrorCode = ErrorCode(0x0);
    /// Unspecific protocol error (0x1).
    pub const PROTOCOL_ERROR: ErrorCode = ErrorCode(0x1);
    /// Unexpected internal error (0x2).
    pub const INTERNAL_ERROR: ErrorCode = ErrorCode(0x2);
    /// Flow-control protocol violated (0x3).
    pub const FLOW_CONTROL_ERROR: ErrorCode = ErrorCode(0x3);
    /// SETTINGS not acknowledged in time (0x4).
    pub const SETTINGS_TIMEOUT: ErrorCode = ErrorCode(0x4);
    /// Frame received on a half-closed or closed stream (0x5).
    pub const STREAM_CLOSED: ErrorCode = ErrorCode(0x5);
    /// Frame with an invalid size (0x6).
    pub const FRAME_SIZE_ERROR: ErrorCode = ErrorCode(0x6);
    /// Stream refused before any processing; safe to retry (0x7).
    pub const REFUSED_STREAM: ErrorCode = ErrorCode(0x7);
    /// Stream no longer needed (0x8).
    pub const CANCEL: ErrorCode = ErrorCode(0x8);
    /// Field-section compression state broken (0x9).
    pub const COMPRESSION_ERROR: ErrorCode = ErrorCode(0x9);
    /// CONNECT tunnel reset or abnormally closed (0xa).
    pub const CONNECT_ERROR: ErrorCode = ErrorCode(0xa);
    /// The peer generates excessive load (0xb).
    pub const ENHANCE_YOUR_CALM: ErrorCode = ErrorCode(0xb);
    /// Transport properties below the security requirements (0xc).
    pub const INADEQUATE_SECURITY: ErrorCode = ErrorCode(0xc);
    /// Use HTTP/1.1 for this request (0xd).
    pub const HTTP_1_1_REQUIRED: ErrorCode = ErrorCode(0xd);

    /// The RFC name of a known code.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http2::ErrorCode;
    /// assert_eq!(ErrorCode::REFUSED_STREAM.name(), Some("REFUSED_STREAM"));
    /// assert_eq!(ErrorCode(99).name(), None);
    /// ```
    pub fn name(self) -> Option<&'static str> {
        const NAMES: [&str; 14] = [
            "NO_ERROR",
            "PROTOCOL_ERROR",
            "INTERNAL_ERROR",
            "FLOW_CONTROL_ERROR",
            "SETTINGS_TIMEOUT",
            "STREAM_CLOSED",
            "FRAME_SIZE_ERROR",
            "REFUSED_STREAM",
            "CANCEL",
            "COMPRESSION_ERROR",
            "CONNECT_ERROR",
            "ENHANCE_YOUR_CALM",
            "INADEQUATE_SECURITY",
            "HTTP_1_1_REQUIRED",
        ];
        NAMES.get(self.0 as usize).copied()
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(n) => f.write_str(n),
            None => write!(f, "unknown error code {:#x}", self.0),
        }
    }
}

/// A 31-bit stream identifier (RFC 9113 §5.1.1). Stream 0 is the connection itself.
///
/// # Examples
///
/// ```
/// use brisk_http2::StreamId;
/// let s = StreamId::new(3);
/// assert!(s.is_client_initiated());
/// assert_eq!(StreamId::new(u32::MAX).value(), 0x7fff_ffff); // the reserved bit is dropped
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StreamId(u32);

impl StreamId {
    /// Stream 0: frames about the whole connection.
    pub const CONNECTION: StreamId = StreamId(0);
    /// The largest identifier, 2^31-1 (used by the first GOAWAY of a graceful shutdown).
    pub const MAX: StreamId = StreamId(0x7fff_ffff);

    /// A stream id from its number; the reserved high bit is cleared.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_http2::StreamId::new(5).value(), 5);
    /// ```
    pub const fn new(id: u32) -> StreamId {
        StreamId(id & 0x7fff_ffff)
    }

    /// The number.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_http2::StreamId::MAX.value(), 0x7fff_ffff);
    /// ```
    pub const fn value(self) -> u32 {
        self.0
    }

    /// Whether this is stream 0.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(brisk_http2::StreamId::CONNECTION.is_zero());
    /// ```
    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }

    /// Odd ids are opened by clients (RFC 9113 §5.1.1).
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(!brisk_http2::StreamId::new(2).is_client_initiated());
    /// ```
    pub const fn is_client_initiated(self) -> bool {
        self.0 & 1 == 1
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// Which rule of RFC 9113 (or which limit) was broken; the detail carried by [`Error`].
///
/// # Examples
///
/// ```
/// use brisk_http2::Violation;
/// assert_eq!(Violation::BadPreface.to_string(), "invalid connection preface");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// The 24-byte client preface did not match (RFC 9113 §3.4).
    BadPreface,
    /// The first frame from the peer was not SETTINGS (RFC 9113 §3.4).
    PrefaceNotSettings,
    /// Frame longer than our SETTINGS_MAX_FRAME_SIZE (RFC 9113 §4.2).
    FrameTooLarge,
    /// Frame length wrong for its type (RFC 9113 §6).
    BadFrameLength,
    /// A frame that needs a stream arrived on stream 0, or the reverse (RFC 9113 §6).
    BadStreamId,
    /// Padding length not smaller than the payload (RFC 9113 §6.1).
    BadPadding,
    /// A stream depends on itself (RFC 9113 §5.3.1).
    SelfDependency,
    /// Frame other than CONTINUATION inside a header block, or CONTINUATION without one
    /// (RFC 9113 §6.10).
    ExpectedContinuation,
    /// CONTINUATION without an open header block (RFC 9113 §6.10).
    UnexpectedContinuation,
    /// SETTINGS value out of range (RFC 9113 §6.5.2).
    BadSetting,
    /// WINDOW_UPDATE with an increment of 0 (RFC 9113 §6.9).
    ZeroWindowIncrement,
    /// A window grew past 2^31-1 (RFC 9113 §6.9.1).
    WindowOverflow,
    /// The peer sent more DATA than the window allowed (RFC 9113 §6.9).
    WindowExceeded,
    /// Frame not allowed on an idle stream (RFC 9113 §5.1).
    IdleStream,
    /// Frame not allowed on a closed or half-closed stream (RFC 9113 §5.1).
    ClosedStream,
    /// Stream id not greater than the previous one, or of the wrong parity (RFC 9113 §5.1.1).
    BadNewStreamId,
    /// PUSH_PROMISE received where push is not allowed (RFC 9113 §8.4).
    PushNotAllowed,
    /// HPACK decoding failed (RFC 9113 §4.3).
    Compression,
    /// Header list larger than our SETTINGS_MAX_HEADER_LIST_SIZE (HPACK bomb).
    HeaderListTooLarge,
    /// A malformed request or response: bad pseudo-header, uppercase or connection-specific
    /// field, invalid value (RFC 9113 §8.1.1).
    Malformed,
    /// content-length disagrees with the DATA received (RFC 9113 §8.1.1).
    ContentLength,
    /// More streams than SETTINGS_MAX_CONCURRENT_STREAMS (RFC 9113 §5.1.2).
    TooManyStreams,
    /// SETTINGS not acknowledged within the configured time (RFC 9113 §6.5.3).
    SettingsTimeout,
    /// Too many streams opened and reset by the peer (rapid reset, CVE-2023-44487).
    RapidReset,
    /// Too many resets provoked by the peer (MadeYouReset).
    ProvokedResets,
    /// Too many CONTINUATION frames or header block bytes (CONTINUATION flood).
    ContinuationFlood,
    /// Too many empty or tiny DATA frames without END_STREAM.
    DataFlood,
    /// Too many WINDOW_UPDATE frames for the data we sent.
    WindowUpdateFlood,
    /// A stream or the connection stayed without send window for too long (stalled reader).
    SendStalled,
    /// The peer closed the stream with RST_STREAM.
    ResetByPeer,
    /// The peer sent GOAWAY before this stream was processed; it can be retried.
    GoAwayUnprocessed,
    /// Our application closed the connection or the stream.
    Local,
    /// The peer closed the connection with GOAWAY carrying an error code.
    GoAwayByPeer,
}

impl Violation {
    /// The description used by `Display` (also sent as GOAWAY debug data).
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_http2::Violation::RapidReset.as_str(), "too many streams reset by the peer");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Violation::BadPreface => "invalid connection preface",
            Violation::PrefaceNotSettings => "first frame is not settings",
            Violation::FrameTooLarge => "frame larger than max frame size",
            Violation::BadFrameLength => "frame length invalid for its type",
            Violation::BadStreamId => "frame on the wrong stream id",
            Violation::BadPadding => "padding too long",
            Violation::SelfDependency => "stream depends on itself",
            Violation::ExpectedContinuation => "expected continuation",
            Violation::UnexpectedContinuation => "unexpected continuation",
            Violation::BadSetting => "invalid settings value",
            Violation::ZeroWindowIncrement => "window update of zero",
            Violation::WindowOverflow => "flow-control window overflow",
            Violation::WindowExceeded => "data beyond the flow-control window",
            Violation::IdleStream => "frame on an idle stream",
            Violation::ClosedStream => "frame on a closed stream",
            Violation::BadNewStreamId => "invalid new stream id",
            Violation::PushNotAllowed => "push promise not allowed",
            Violation::Compression => "hpack decoding failed",
            Violation::HeaderListTooLarge => "header list too large",
            Violation::Malformed => "malformed message",
            Violation::ContentLength => "content-length mismatch",
            Violation::TooManyStreams => "too many concurrent streams",
            Violation::SettingsTimeout => "settings not acknowledged in time",
            Violation::RapidReset => "too many streams reset by the peer",
            Violation::ProvokedResets => "too many resets provoked by the peer",
            Violation::ContinuationFlood => "continuation flood",
            Violation::DataFlood => "flood of empty or tiny data frames",
            Violation::WindowUpdateFlood => "window update flood",
            Violation::SendStalled => "peer stopped opening its window",
            Violation::ResetByPeer => "reset by peer",
            Violation::GoAwayUnprocessed => "not processed before goaway",
            Violation::Local => "closed locally",
            Violation::GoAwayByPeer => "goaway from peer",
        }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Everything that can go wrong in this crate.
///
/// Connection errors are sticky: once [`Connection::recv`](crate::Connection::recv) has returned
/// one, every later input call returns it again, while
/// [`poll_output`](crate::Connection::poll_output) still yields the GOAWAY that reports it.
///
/// # Examples
///
/// ```
/// use brisk_http2::{Error, ErrorCode, Violation};
/// let e = Error::Connection { code: ErrorCode::FRAME_SIZE_ERROR, violation: Violation::FrameTooLarge };
/// assert_eq!(e.code(), ErrorCode::FRAME_SIZE_ERROR);
/// assert_eq!(e.to_string(), "connection error FRAME_SIZE_ERROR: frame larger than max frame size");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Error {
    /// A connection error (RFC 9113 §5.4.1): the connection is unusable; a GOAWAY with `code`
    /// is queued (or was received, for [`Violation::GoAwayByPeer`]).
    Connection {
        /// The code sent in GOAWAY.
        code: ErrorCode,
        /// The rule that was broken.
        violation: Violation,
    },
    /// A stream error (RFC 9113 §5.4.2): only `stream` is reset, with `code`.
    Stream {
        /// The stream reset.
        stream: StreamId,
        /// The code sent in RST_STREAM.
        code: ErrorCode,
        /// The rule that was broken.
        violation: Violation,
    },
    /// The h2c upgrade's HTTP2-Settings header is not valid base64url SETTINGS (RFC 7540 §3.2.1).
    BadUpgradeSettings,
    /// The request carrying an h2c upgrade cannot be expressed in HTTP/2 (RFC 9113 §8: a
    /// connection-specific field, a missing `:path`, or a body announced on the upgrade).
    BadUpgradeRequest,
}

impl Error {
    /// The HTTP/2 error code that answers this error on the wire.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_http2::{Error, ErrorCode};
    /// assert_eq!(Error::BadUpgradeSettings.code(), ErrorCode::PROTOCOL_ERROR);
    /// ```
    pub fn code(&self) -> ErrorCode {
        match self {
            Error::Connection { code, .. } | Error::Stream { code, .. } => *code,
            Error::BadUpgradeSettings => ErrorCode::PROTOCOL_ERROR,
            Error::BadUpgradeRequest => ErrorCode::PROTOCOL_ERROR,
        }
    }

    pub(crate) fn conn(code: ErrorCode, violation: Violation) -> Error {
        Error::Connection { code, violation }
    }

    pub(crate) fn stream(stream: StreamId, code: ErrorCode, violation: Violation) -> Error {
        Error::Stream {
            stream,
            code,
            violation,
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Connection { code, violation } => {
                write!(f, "connection error {code}: {violation}")
            }
            Error::Stream {
                stream,
                code,
                violation,
            } => write!(f, "stream {stream} error {code}: {violation}"),
            Error::BadUpgradeSettings => f.write_str("invalid http2-settings header"),
            Error::BadUpgradeRequest => {
                f.write_str("upgraded request cannot be expressed in http/2")
            }
        }
    }
}

impl std::error::Error for Error {}
