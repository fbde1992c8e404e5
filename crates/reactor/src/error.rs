//! The crate's one error type.

use std::net::SocketAddr;

/// Everything that can go wrong starting or joining a reactor. Runtime trouble on a single
/// connection is never an `Error`: that connection closes with a
/// [`CloseReason`](crate::CloseReason) and the others go on.
///
/// # Examples
///
/// ```
/// use brisk_reactor::Error;
/// let e = Error::InvalidConfig("workers must be at least 1");
/// assert_eq!(e.to_string(), "invalid configuration: workers must be at least 1");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is out of range; the text names it.
    InvalidConfig(&'static str),
    /// No address was given to bind.
    NoAddress,
    /// Creating, configuring or binding a listening socket failed.
    Bind(SocketAddr, std::io::Error),
    /// Creating the poller or waker, or spawning a worker thread, failed.
    Io(std::io::Error),
    /// A worker thread panicked (a protocol callback panicked); the index names it.
    WorkerPanicked(usize),
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Error::InvalidConfig(what) => write!(f, "invalid configuration: {what}"),
            Error::NoAddress => f.write_str("no address to bind"),
            Error::Bind(addr, e) => write!(f, "cannot listen on {addr}: {e}"),
            Error::Io(e) => write!(f, "reactor i/o error: {e}"),
            Error::WorkerPanicked(i) => write!(f, "worker {i} panicked"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Bind(_, e) | Error::Io(e) => Some(e),
            Error::InvalidConfig(_) | Error::NoAddress | Error::WorkerPanicked(_) => None,
        }
    }
}
