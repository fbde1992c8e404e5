//! [`UserError`]: what a command refuses because of how it was called, not because of anything
//! the peer sent. Such errors never reach the wire (no error code), and the connection stays
//! usable after one, unless it had failed before ([`UserError::Failed`]).

use std::fmt;

use crate::error::{Error, StreamId};

/// Why a command (`send_request`, `send_headers`, `send_trailers`, `send_data`,
/// `reset_stream`) refused: a misuse by the caller, or a connection that already failed.
///
/// Unlike [`Error`], a `UserError` has no HTTP/2 error code: nothing is sent to the peer
/// because of it (h2's `UserError`, rustls' `ApiMisuse`).
///
/// # Examples
///
/// ```
/// use brisk_http2::{Config, Connection, StreamId, UserError};
///
/// let mut server = Connection::server(Config::default());
/// // A server cannot open a request stream, and stream 1 is not open.
/// assert_eq!(server.send_request(&[(":method", "GET")], true), Err(UserError::WrongRole));
/// assert_eq!(
///     server.send_data(StreamId::new(1), b"x", false),
///     Err(UserError::StreamNotOpen(StreamId::new(1)))
/// );
/// assert_eq!(UserError::WrongRole.to_string(), "operation not available in this role");
/// ```
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserError {
    /// The caller named a stream that is not open (or not open for sending).
    StreamNotOpen(StreamId),
    /// The caller passed headers that break RFC 9113 §8 (a message this crate will not send).
    InvalidHeaders,
    /// The caller called a method that needs the other role (e.g. `send_request` on a server).
    WrongRole,
    /// No new stream can be opened: the peer's SETTINGS_MAX_CONCURRENT_STREAMS is reached
    /// (wait for a stream to end).
    StreamLimit,
    /// The connection is shutting down (GOAWAY sent or received) or stream ids ran out; no
    /// new stream can be opened.
    Closing,
    /// The connection failed earlier with this error (the sticky one
    /// [`Connection::error`](crate::Connection::error) gives); nothing more can be sent.
    Failed(Error),
}

impl fmt::Display for UserError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            UserError::StreamNotOpen(s) => write!(f, "stream {s} is not open"),
            UserError::InvalidHeaders => f.write_str("headers break rfc 9113 section 8"),
            UserError::WrongRole => f.write_str("operation not available in this role"),
            UserError::StreamLimit => f.write_str("peer's concurrent stream limit reached"),
            UserError::Closing => f.write_str("connection is closing"),
            UserError::Failed(e) => write!(f, "connection failed earlier: {e}"),
        }
    }
}

impl std::error::Error for UserError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            UserError::Failed(e) => Some(e),
            _ => None,
        }
    }
}

impl From<Error> for UserError {
    fn from(e: Error) -> UserError {
        UserError::Failed(e)
    }
}
