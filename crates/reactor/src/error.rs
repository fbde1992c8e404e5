//! The crate's one error type.

use std::net::SocketAddr;
use std::path::PathBuf;

use crate::listen::ListenAddr;

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
/// let e = Error::AddrInUse(brisk_reactor::ListenAddr::Tcp("127.0.0.1:80".parse().unwrap()));
/// assert_eq!(e.to_string(), "address in use: 127.0.0.1:80");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A configuration value is out of range; the text names it.
    InvalidConfig(&'static str),
    /// No address was given to bind.
    NoAddress,
    /// Another socket already listens on the address: another server holds it (a TCP
    /// port is shared between this reactor's own workers only, unless
    /// [`Config::join_reuse_port`](crate::Config::join_reuse_port) is set), or a Unix socket
    /// file accepts connections.
    AddrInUse(ListenAddr),
    /// Creating, configuring or binding a listening socket failed.
    Bind(SocketAddr, std::io::Error),
    /// Creating or binding a Unix-domain listener failed (no permission, no such
    /// directory, a file that is not a socket in the way...).
    BindUnix(PathBuf, std::io::Error),
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
            Error::AddrInUse(addr) => write!(f, "address in use: {addr}"),
            Error::Bind(addr, e) => write!(f, "cannot listen on {addr}: {e}"),
            Error::BindUnix(path, e) => write!(f, "cannot listen on unix:{}: {e}", path.display()),
            Error::Io(e) => write!(f, "reactor i/o error: {e}"),
            Error::WorkerPanicked(i) => write!(f, "worker {i} panicked"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Bind(_, e) | Error::BindUnix(_, e) | Error::Io(e) => Some(e),
            Error::InvalidConfig(_)
            | Error::NoAddress
            | Error::AddrInUse(_)
            | Error::WorkerPanicked(_) => None,
        }
    }
}
