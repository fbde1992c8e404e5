//! Server configuration: limits, timeouts and HTTP/2 settings, each with a documented default.

use std::time::Duration;

/// Size limits on requests. Each one is answered with its own status when exceeded.
///
/// # Examples
///
/// ```
/// let mut limits = brisk_server::Limits::default();
/// limits.max_body_size = 64 * 1024;
/// assert_eq!(limits.max_headers, 64);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Limits {
    /// Largest request head (request line and header fields, RFC 9112 §2.1) in bytes; a longer
    /// head is answered with 431 (or 414 when the request line alone is too long).
    /// Default: 16384.
    pub max_head_size: usize,
    /// Most header fields in one request; more is answered with 431. Default: 64.
    pub max_headers: usize,
    /// Longest request target in bytes; longer is answered with 414. Default: 8192.
    pub max_uri_len: usize,
    /// Largest request body in bytes (Content-Length or the sum of chunks); larger is answered with
    /// 413 before the body is read (for a chunked body, as soon as a chunk-size line takes the
    /// declared total past it). Default: 1048576 (1 MiB).
    pub max_body_size: usize,
    /// Largest request body for an upload route ([`Builder::upload`](crate::Builder::upload)),
    /// whose body streams to its sink instead of being buffered; larger is answered with 413
    /// (before the body is read when its length is declared, and as soon as a chunk-size line
    /// takes the declared total past it). Default: 1073741824 (1 GiB).
    pub max_upload_size: u64,
    /// Most open connections per worker; at the cap a worker stops accepting until one closes.
    /// Default: 10000.
    pub max_connections_per_worker: usize,
    /// Most requests answered on one HTTP/1.1 connection before it is closed (0: no limit).
    /// Default: 0.
    pub max_requests_per_connection: u64,
    /// Most bytes a pushed response body ([`BodyWriter`](crate::BodyWriter)) holds between its
    /// producer and the connection: a write that does not fit waits
    /// ([`WriteError::WouldBlock`](crate::WriteError::WouldBlock)). A write is also taken
    /// whenever the pipe is at most half full, whatever its size, so one body holds at most
    /// `push_buffer / 2` plus its largest single write. Default: 65536 (64 KiB).
    pub push_buffer: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_head_size: 16 * 1024,
            max_headers: 64,
            max_uri_len: 8 * 1024,
            max_body_size: 1024 * 1024,
            max_upload_size: 1 << 30,
            max_connections_per_worker: 10_000,
            max_requests_per_connection: 0,
            push_buffer: 64 * 1024,
        }
    }
}

/// Timeouts. Each is measured by the worker's timer wheel, with a resolution of its tick.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// let t = brisk_server::Timeouts::default();
/// assert_eq!(t.header_read, Duration::from_secs(10));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Timeouts {
    /// Time allowed to receive a complete request head, from its first byte (or from the end of
    /// the previous response); when it runs out the client gets 408 and the connection closes.
    /// This is the slow-loris defense. Default: 10 s.
    pub header_read: Duration,
    /// Time an idle keep-alive connection (HTTP/1.1 between requests, HTTP/2 without open
    /// streams) is kept before it is closed quietly. Default: 60 s.
    pub idle: Duration,
    /// Time allowed to receive a request body once its head arrived. Default: 30 s.
    pub body_read: Duration,
    /// Time a connection may keep output pending without the peer reading any of it.
    /// Default: 30 s.
    pub write_stall: Duration,
    /// On shutdown, how long in-flight requests get to finish before connections are closed.
    /// Default: 10 s.
    pub shutdown: Duration,
    /// Time a deferred answer ([`Response::defer`](crate::Response::defer)) may take: past
    /// it the client gets 503 and the late `Responder::send` fails with
    /// [`SendError::Closed`](crate::SendError::Closed). Default: `None` (no limit).
    pub handler: Option<Duration>,
}

impl Default for Timeouts {
    fn default() -> Self {
        Timeouts {
            header_read: Duration::from_secs(10),
            idle: Duration::from_secs(60),
            body_read: Duration::from_secs(30),
            write_stall: Duration::from_secs(30),
            shutdown: Duration::from_secs(10),
            handler: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_docs() {
        let l = Limits::default();
        assert_eq!(l.max_head_size, 16384);
        assert_eq!(l.max_headers, 64);
        assert_eq!(l.max_uri_len, 8192);
        assert_eq!(l.max_body_size, 1048576);
        assert_eq!(l.max_upload_size, 1073741824);
        assert_eq!(l.max_connections_per_worker, 10000);
        assert_eq!(l.max_requests_per_connection, 0);
        assert_eq!(l.push_buffer, 65536);
        let t = Timeouts::default();
        assert_eq!(t.header_read, Duration::from_secs(10));
        assert_eq!(t.idle, Duration::from_secs(60));
        assert_eq!(t.body_read, Duration::from_secs(30));
        assert_eq!(t.write_stall, Duration::from_secs(30));
        assert_eq!(t.shutdown, Duration::from_secs(10));
    }
}

/// Everything the workers need to know, gathered by the builder.
#[derive(Debug, Clone, Default)]
pub(crate) struct Config {
    pub(crate) limits: Limits,
    pub(crate) timeouts: Timeouts,
    pub(crate) h2: brisk_http2::Config,
    /// PROXY protocol listeners and trusted proxies (see `client_addr`).
    pub(crate) client: crate::client_addr::ClientAddrs,
}
