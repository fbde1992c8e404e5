//! Where and how the server listens, beyond [`Builder::bind`]: Unix-domain sockets, joining
//! another process's port on purpose, the descriptor limit, and failed accepts.
//!
//! ```text
//!  Builder::bind(addr) / bind_unix(path) / listen(ListenAddr) ──> brisk_reactor::Reactor
//!  start/run/embed: raise RLIMIT_NOFILE (soft -> hard) unless raise_fd_limit(false)
//!  worker out of descriptors ──> pauses accepting ──> on_accept_error hook (1/s; default: the error log)
//! ```

use std::path::PathBuf;
use std::sync::Arc;

use brisk_reactor::{AcceptError, ListenAddr};

use crate::handle::Handle;
use crate::server::Builder;

/// The hook's type.
pub(crate) type AcceptHook = dyn Fn(&AcceptError<'_>) + Send + Sync + 'static;

/// The listening options of a [`Builder`].
pub(crate) struct Listen {
    pub(crate) join_reuse_port: bool,
    pub(crate) raise_fd_limit: bool,
    pub(crate) on_accept_error: Arc<AcceptHook>,
}

impl Default for Listen {
    fn default() -> Listen {
        Listen {
            join_reuse_port: false,
            raise_fd_limit: true,
            on_accept_error: Arc::new(default_hook),
        }
    }
}

/// The default hook: a warning in the error log ([`crate::log`]).
fn default_hook(e: &AcceptError<'_>) {
    crate::log::warn(format_args!("{e}"));
}

impl Listen {
    /// Applies the options to `reactor` (and raises the descriptor limit if asked).
    pub(crate) fn apply(&self, reactor: brisk_reactor::Reactor) -> brisk_reactor::Reactor {
        if self.raise_fd_limit {
            brisk_reactor::raise_fd_limit();
        }
        let hook = Arc::clone(&self.on_accept_error);
        reactor
            .join_reuse_port(self.join_reuse_port)
            .on_accept_error(move |e| hook(e))
    }
}

impl Builder {
    /// Adds a Unix-domain socket to listen on (HTTP/1.1 and h2c, as on TCP; mixes with
    /// [`bind`](Self::bind)). A socket file already at `path` that nobody accepts on (its
    /// server is gone) is replaced; one that accepts makes [`start`](Self::start) fail with
    /// [`Error::Reactor`](crate::Error::Reactor)`(`[`AddrInUse`](brisk_reactor::Error::AddrInUse)`)`;
    /// any other file is left alone (an error too). The file gets the process's umask and is
    /// removed at shutdown. Handlers see `0.0.0.0:0` as
    /// [`Request::peer_addr`](crate::Request::peer_addr) of such a connection (a Unix peer has
    /// no IP address; a TCP peer never has port 0). Without any `bind`, a server with a Unix
    /// socket listens on it alone (not on the default `127.0.0.1:8080`).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.bind_unix("/run/brisk.sock");
    /// ```
    pub fn bind_unix(&mut self, path: impl Into<PathBuf>) -> &mut Self {
        self.listen_on(ListenAddr::Unix(path.into()))
    }

    /// Adds an address of either kind ([`bind`](Self::bind), [`bind_unix`](Self::bind_unix)).
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_server::ListenAddr;
    ///
    /// let mut b = brisk_server::Server::builder();
    /// b.listen_on(ListenAddr::Tcp("127.0.0.1:0".parse().unwrap()));
    /// b.listen_on(ListenAddr::Unix("/tmp/brisk.sock".into()));
    /// ```
    pub fn listen_on(&mut self, addr: ListenAddr) -> &mut Self {
        self.addrs.push(addr);
        self
    }

    /// Share the TCP port(s) with the listeners other processes of the same server already
    /// have there (`SO_REUSEPORT`; several processes under one supervisor, as brisk-asgi's
    /// `--workers`). Off (the default), a start on an address where another socket listens
    /// fails with `address in use` instead of silently joining it.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.join_reuse_port(true);
    /// ```
    pub fn join_reuse_port(&mut self, join: bool) -> &mut Self {
        self.listen.join_reuse_port = join;
        self
    }

    /// Whether starting raises the process's soft limit on open descriptors to its hard
    /// limit ([`raise_fd_limit`](crate::raise_fd_limit); every connection takes one, and the
    /// usual soft default, 1024, is far below what a server holds). Default: true. The limit
    /// in force is [`Handle::fd_limit`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.raise_fd_limit(false); // the embedding program manages its limits
    /// ```
    pub fn raise_fd_limit(&mut self, raise: bool) -> &mut Self {
        self.listen.raise_fd_limit = raise;
        self
    }

    /// The hook that hears when a worker cannot accept connections (out of descriptors or
    /// kernel memory: `EMFILE`, `ENFILE`...): the worker then stops accepting until one of
    /// its connections closes or 250 ms pass, instead of retrying at once; connections wait
    /// in the kernel's backlog. Called at most once a second for the whole server, on the
    /// worker's thread. Default: a warning in the error log ([`crate::log`], stderr), e.g.
    /// `2026-12-06T08:10:00Z warn: cannot accept connections:
    /// Too many open files (os error 24); worker 0 holds 60 connections and stops accepting
    /// for 250ms or until one closes (1234 failed accepts so far; raise the descriptor limit
    /// or lower max_connections)`. `on_accept_error(|_| {})` silences it; the failures are
    /// counted either way ([`Handle::accept_errors`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.on_accept_error(|e| eprintln!("myapp: {e}"));
    /// ```
    pub fn on_accept_error<F>(&mut self, hook: F) -> &mut Self
    where
        F: Fn(&AcceptError<'_>) + Send + Sync + 'static,
    {
        self.listen.on_accept_error = Arc::new(hook);
        self
    }
}

impl Handle {
    /// Every address the server listens on, TCP and Unix-domain, in `bind` order (TCP ones
    /// with the actual port when port 0 was asked).
    ///
    /// # Examples
    ///
    /// ```
    /// let h = brisk_server::Server::builder().bind("127.0.0.1:0".parse().unwrap()).start()?;
    /// assert_eq!(h.listen_addrs()[0].tcp(), Some(h.local_addr()));
    /// h.shutdown();
    /// h.join();
    /// # Ok::<(), brisk_server::Error>(())
    /// ```
    pub fn listen_addrs(&self) -> &[ListenAddr] {
        self.reactor.listen_addrs()
    }

    /// The process's soft limit on open descriptors now (raised at start, see
    /// [`Builder::raise_fd_limit`]); `u64::MAX` when unlimited.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = brisk_server::Server::builder().bind("127.0.0.1:0".parse().unwrap()).start()?;
    /// assert!(h.fd_limit() >= 3);
    /// h.shutdown();
    /// h.join();
    /// # Ok::<(), brisk_server::Error>(())
    /// ```
    pub fn fd_limit(&self) -> u64 {
        brisk_reactor::fd_limit()
    }

    /// Accepts that failed for lack of descriptors or memory since start, all workers.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = brisk_server::Server::builder().bind("127.0.0.1:0".parse().unwrap()).start()?;
    /// assert_eq!(h.accept_errors(), 0);
    /// h.shutdown();
    /// h.join();
    /// # Ok::<(), brisk_server::Error>(())
    /// ```
    pub fn accept_errors(&self) -> u64 {
        self.reactor.totals().accept_errors
    }
}
