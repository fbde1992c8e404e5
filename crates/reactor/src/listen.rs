//! Listening sockets: the addresses a reactor binds ([`ListenAddr`]), the check that no other
//! process listens there already, Unix-domain socket files, and [`raise_fd_limit`].
//!
//! ```text
//!  TCP:  probe (plain bind, no SO_REUSEPORT) ──EADDRINUSE──> Error::AddrInUse
//!          └─ free: one SO_REUSEPORT listener per worker (the kernel spreads connections)
//!  Unix: stale file? (a socket nobody accepts on: connect is refused) ──> unlinked
//!          └─ one listener, bound once; each worker polls a duplicate of its descriptor;
//!             the file is unlinked when the last worker closes it (shutdown)
//! ```

use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::os::fd::OwnedFd;
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use mio::event::Source;
use mio::net::{TcpListener, TcpStream, UnixListener};
use mio::{Interest, Registry, Token};
use socket2::{Domain, Protocol as SockProtocol, SockAddr, Socket, Type};

use crate::config::Config;
use crate::error::Error;

/// An address to listen on: TCP, or a Unix-domain socket file.
///
/// # Examples
///
/// ```
/// use brisk_reactor::ListenAddr;
///
/// let tcp = ListenAddr::from("127.0.0.1:8080".parse::<std::net::SocketAddr>().unwrap());
/// assert_eq!(tcp.to_string(), "127.0.0.1:8080");
/// let uds = ListenAddr::Unix("/run/app.sock".into());
/// assert_eq!(uds.to_string(), "unix:/run/app.sock");
/// assert!(uds.tcp().is_none());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ListenAddr {
    /// A TCP address (port 0 picks a free port).
    Tcp(SocketAddr),
    /// The path of a Unix-domain stream socket.
    Unix(PathBuf),
}

impl ListenAddr {
    /// The TCP address, if this is one.
    ///
    /// # Examples
    ///
    /// ```
    /// let a = brisk_reactor::ListenAddr::Tcp("127.0.0.1:80".parse().unwrap());
    /// assert_eq!(a.tcp().unwrap().port(), 80);
    /// ```
    pub fn tcp(&self) -> Option<SocketAddr> {
        match self {
            ListenAddr::Tcp(a) => Some(*a),
            ListenAddr::Unix(_) => None,
        }
    }

    /// The socket file's path, if this is a Unix-domain socket.
    ///
    /// # Examples
    ///
    /// ```
    /// let a = brisk_reactor::ListenAddr::Unix("/tmp/x.sock".into());
    /// assert_eq!(a.unix().unwrap(), std::path::Path::new("/tmp/x.sock"));
    /// ```
    pub fn unix(&self) -> Option<&Path> {
        match self {
            ListenAddr::Tcp(_) => None,
            ListenAddr::Unix(p) => Some(p),
        }
    }
}

impl From<SocketAddr> for ListenAddr {
    fn from(a: SocketAddr) -> ListenAddr {
        ListenAddr::Tcp(a)
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ListenAddr::Tcp(a) => write!(f, "{a}"),
            ListenAddr::Unix(p) => write!(f, "unix:{}", p.display()),
        }
    }
}

/// The kind of listener a connection came through ([`ConnInfo::kind`](crate::ConnInfo::kind)).
///
/// # Examples
///
/// ```
/// assert_ne!(brisk_reactor::ListenerKind::Tcp, brisk_reactor::ListenerKind::Unix);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ListenerKind {
    /// A TCP listener: `ConnInfo::peer` and `local` are the connection's addresses.
    #[default]
    Tcp,
    /// A Unix-domain listener: the peer has no IP address, so `ConnInfo::peer` and `local`
    /// are the unspecified `0.0.0.0:0` ([`UNIX_ADDR`]).
    Unix,
}

/// The address reported for both ends of a Unix-domain connection (`0.0.0.0:0`): such a peer
/// has no IP address. TCP peers never have port 0.
///
/// # Examples
///
/// ```
/// assert!(brisk_reactor::UNIX_ADDR.ip().is_unspecified());
/// assert_eq!(brisk_reactor::UNIX_ADDR.port(), 0);
/// ```
pub const UNIX_ADDR: SocketAddr = SocketAddr::V4(std::net::SocketAddrV4::new(
    std::net::Ipv4Addr::UNSPECIFIED,
    0,
));

/// A worker's listening socket.
pub(crate) enum ListenSock {
    Tcp(TcpListener),
    /// The descriptor duplicated for this worker, and the socket file (unlinked when the
    /// last worker drops its listener).
    Unix(UnixListener, #[allow(dead_code)] Arc<SocketFile>),
}

impl ListenSock {
    /// Accepts one connection: the stream, and the peer's address (`UNIX_ADDR` for a
    /// Unix-domain one).
    ///
    /// A Unix-domain stream is held as a `TcpStream` over its descriptor: every call the worker
    /// makes on a connection (`recv`, `send`, `writev`, `shutdown`, `close`, epoll
    /// registration) is the same system call for both families, so the connection's read and
    /// write path has no branch and no indirection for it. The worker never asks a connection
    /// for TCP-only things (addresses, `TCP_NODELAY`) when it came from a Unix listener.
    #[inline]
    pub(crate) fn accept(&self) -> io::Result<(TcpStream, SocketAddr)> {
        match self {
            ListenSock::Tcp(l) => l.accept(),
            ListenSock::Unix(l, _) => {
                let (s, _) = l.accept()?;
                let fd = OwnedFd::from(s);
                Ok((
                    TcpStream::from_std(std::net::TcpStream::from(fd)),
                    UNIX_ADDR,
                ))
            }
        }
    }

    pub(crate) fn kind(&self) -> ListenerKind {
        match self {
            ListenSock::Tcp(_) => ListenerKind::Tcp,
            ListenSock::Unix(..) => ListenerKind::Unix,
        }
    }
}

impl Source for ListenSock {
    fn register(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            ListenSock::Tcp(l) => l.register(r, t, i),
            ListenSock::Unix(l, _) => l.register(r, t, i),
        }
    }
    fn reregister(&mut self, r: &Registry, t: Token, i: Interest) -> io::Result<()> {
        match self {
            ListenSock::Tcp(l) => l.reregister(r, t, i),
            ListenSock::Unix(l, _) => l.reregister(r, t, i),
        }
    }
    fn deregister(&mut self, r: &Registry) -> io::Result<()> {
        match self {
            ListenSock::Tcp(l) => l.deregister(r),
            ListenSock::Unix(l, _) => l.deregister(r),
        }
    }
}

/// A socket file this reactor created: unlinked on drop if it is still the same file
/// (device and inode), so a file another process bound since is left alone.
pub(crate) struct SocketFile {
    path: PathBuf,
    dev: u64,
    ino: u64,
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        if let Ok(m) = std::fs::symlink_metadata(&self.path) {
            if m.file_type().is_socket() && m.dev() == self.dev && m.ino() == self.ino {
                let _ = std::fs::remove_file(&self.path);
            }
        }
    }
}

/// A bound Unix-domain listener, shared (by duplicated descriptors) by every worker.
pub(crate) struct UnixShared {
    sock: std::os::unix::net::UnixListener,
    file: Arc<SocketFile>,
}

impl UnixShared {
    /// This worker's listener: a duplicate of the descriptor.
    pub(crate) fn for_worker(&self, path: &Path) -> Result<ListenSock, Error> {
        let dup = self
            .sock
            .try_clone()
            .map_err(|e| Error::BindUnix(path.to_path_buf(), e))?;
        Ok(ListenSock::Unix(
            UnixListener::from_std(dup),
            Arc::clone(&self.file),
        ))
    }
}

/// Fails with [`Error::AddrInUse`] when another socket listens on `addr`: a plain bind (with
/// `SO_REUSEADDR`, so connections in TIME_WAIT do not count, but without `SO_REUSEPORT`, so
/// it cannot join another server's listeners) is refused. Port 0 is not probed. The probe is
/// closed before the workers bind, so a server starting in that instant can still slip in.
pub(crate) fn probe(addr: SocketAddr) -> Result<(), Error> {
    if addr.port() == 0 {
        return Ok(());
    }
    let bind = || -> io::Result<()> { tcp_socket(addr)?.bind(&addr.into()) };
    bind().map_err(|e| tcp_error(addr, e))
}

/// A TCP socket for `addr`'s family with `SO_REUSEADDR` (connections in TIME_WAIT do not
/// block a bind), the start of both the probe and the listeners.
fn tcp_socket(addr: SocketAddr) -> io::Result<Socket> {
    let s = Socket::new(
        Domain::for_address(addr),
        Type::STREAM,
        Some(SockProtocol::TCP),
    )?;
    s.set_reuse_address(true)?;
    Ok(s)
}

fn tcp_error(addr: SocketAddr, e: io::Error) -> Error {
    if e.kind() == io::ErrorKind::AddrInUse {
        Error::AddrInUse(ListenAddr::Tcp(addr))
    } else {
        Error::Bind(addr, e)
    }
}

/// A non-blocking TCP listener with `SO_REUSEADDR`, `SO_REUSEPORT` and the configured
/// backlog; returns it with its actual address.
pub(crate) fn listen_tcp(
    addr: SocketAddr,
    cfg: &Config,
) -> Result<(ListenSock, SocketAddr), Error> {
    let go = || -> io::Result<(TcpListener, SocketAddr)> {
        let s = tcp_socket(addr)?;
        s.set_reuse_port(true)?;
        if cfg.nodelay {
            s.set_tcp_nodelay(true)?;
        }
        if cfg.socket_send_buffer > 0 {
            s.set_send_buffer_size(cfg.socket_send_buffer)?;
        }
        if cfg.socket_recv_buffer > 0 {
            s.set_recv_buffer_size(cfg.socket_recv_buffer)?;
        }
        s.set_nonblocking(true)?;
        s.bind(&addr.into())?;
        s.listen(cfg.backlog)?;
        let actual = s
            .local_addr()?
            .as_socket()
            .ok_or_else(|| io::Error::other("listener has no inet address"))?;
        let std: std::net::TcpListener = s.into();
        Ok((TcpListener::from_std(std), actual))
    };
    let (l, actual) = go().map_err(|e| tcp_error(addr, e))?;
    Ok((ListenSock::Tcp(l), actual))
}

/// Binds a Unix-domain listener at `path`. An existing socket file that nobody accepts on
/// (a connection attempt is refused: its server is gone) is removed first, as nginx and
/// uvicorn do; one that accepts (or whose backlog is full) is [`Error::AddrInUse`]; any other
/// file is left alone and is an error.
pub(crate) fn listen_unix(path: &Path, cfg: &Config) -> Result<UnixShared, Error> {
    let err = |e: io::Error| Error::BindUnix(path.to_path_buf(), e);
    match std::fs::symlink_metadata(path) {
        Ok(m) if m.file_type().is_socket() => {
            if in_use(path).map_err(err)? {
                return Err(Error::AddrInUse(ListenAddr::Unix(path.to_path_buf())));
            }
            match std::fs::remove_file(path) {
                Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(err(e)),
                _ => {}
            }
        }
        Ok(_) => {
            return Err(err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "a file that is not a socket is in the way",
            )))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
        Err(e) => return Err(err(e)),
    }
    let s = Socket::new(Domain::UNIX, Type::STREAM, None).map_err(err)?;
    s.set_nonblocking(true).map_err(err)?;
    let sa = SockAddr::unix(path).map_err(err)?;
    if let Err(e) = s.bind(&sa) {
        return Err(if e.kind() == io::ErrorKind::AddrInUse {
            Error::AddrInUse(ListenAddr::Unix(path.to_path_buf()))
        } else {
            err(e)
        });
    }
    let m = std::fs::symlink_metadata(path).map_err(err)?;
    // From here the file is ours: dropping `file` (on any error below too) unlinks it.
    let file = Arc::new(SocketFile {
        path: path.to_path_buf(),
        dev: m.dev(),
        ino: m.ino(),
    });
    s.listen(cfg.backlog).map_err(err)?;
    Ok(UnixShared {
        sock: s.into(),
        file,
    })
}

/// Whether a server accepts on the socket file at `path` (a non-blocking connect: refused
/// means nobody listens; accepted or "try again" (backlog full) means somebody does).
fn in_use(path: &Path) -> io::Result<bool> {
    let s = Socket::new(Domain::UNIX, Type::STREAM, None)?;
    s.set_nonblocking(true)?;
    match s.connect(&SockAddr::unix(path)?) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::WouldBlock => Ok(true),
        Err(e) if e.kind() == io::ErrorKind::ConnectionRefused => Ok(false),
        // Gone meanwhile: nothing in the way.
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
        Err(e) => Err(e),
    }
}

/// Raises this process's soft limit on open descriptors (`RLIMIT_NOFILE`) to its hard limit
/// and returns the soft limit now in force. Each connection takes a descriptor, and the usual
/// default soft limit (1024) is far below what a server holds. Without permission to raise it
/// (or with an unlimited hard limit, which the kernel does not accept as a soft one), the
/// soft limit stays as it was and is returned. `u64::MAX` stands for "unlimited".
///
/// # Examples
///
/// ```
/// let n = brisk_reactor::raise_fd_limit();
/// assert!(n >= 3);
/// ```
pub fn raise_fd_limit() -> u64 {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut lim = getrlimit(Resource::Nofile);
    if let (Some(hard), Some(soft)) = (lim.maximum, lim.current) {
        if soft < hard {
            lim.current = Some(hard);
            let _ = setrlimit(Resource::Nofile, lim);
        }
    }
    getrlimit(Resource::Nofile).current.unwrap_or(u64::MAX)
}

/// This process's soft limit on open descriptors (`RLIMIT_NOFILE`); `u64::MAX` when
/// unlimited. See [`raise_fd_limit`].
///
/// # Examples
///
/// ```
/// assert!(brisk_reactor::fd_limit() >= 3);
/// ```
pub fn fd_limit() -> u64 {
    rustix::process::getrlimit(rustix::process::Resource::Nofile)
        .current
        .unwrap_or(u64::MAX)
}
