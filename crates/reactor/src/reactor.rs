//! The [`Reactor`] builder: binds the listeners and starts the workers.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use crate::config::Config;
use crate::embed::Embedded;
use crate::error::Error;
use crate::handle::{Handle, Shared};
use crate::listen::{listen_tcp, listen_unix, probe, ListenAddr, UnixShared};
use crate::notify::Mailbox;
use crate::protocol::{ConnInfo, Protocol};
use crate::report::{AcceptError, AcceptHook, Reporter};
use crate::worker::{Listener, Worker, WAKER};

/// Builds and starts a reactor: bind address(es), workers, limits, timeouts.
///
/// Each worker thread gets its own `mio::Poll`, its own `SO_REUSEPORT` listener per TCP
/// address (the kernel spreads new connections across them), its own buffer pool and timer
/// wheel; workers share nothing but their counters. Port 0 is resolved once, by the first
/// worker's listener, and the other workers bind the same port ([`Handle::local_addrs`]).
/// Before that, an address with a port is bound once by a plain socket, so that a start where
/// another server listens fails ([`Error::AddrInUse`]) instead of joining it
/// ([`Config::join_reuse_port`]). A Unix-domain socket ([`bind_unix`](Reactor::bind_unix)) is
/// bound once and every worker polls it (all are woken, one accepts).
///
/// # Examples
///
/// ```no_run
/// use brisk_reactor::{Action, Context, Output, Protocol, Reactor};
/// use std::time::Duration;
///
/// struct Echo;
/// impl Protocol for Echo {
///     fn on_read(&mut self, _cx: &mut Context<'_>, input: &[u8], out: &mut Output<'_>) -> (usize, Action) {
///         let n = input.len().min(out.remaining());
///         out.extend_from_slice(&input[..n]).unwrap();
///         (n, Action::Keep)
///     }
/// }
///
/// # fn main() -> Result<(), brisk_reactor::Error> {
/// let handle = Reactor::new()
///     .bind("127.0.0.1:0".parse().unwrap())
///     .workers(2)
///     .max_connections(10_000)
///     .idle_timeout(Duration::from_secs(30))
///     .start(|_info| Echo)?;
/// println!("listening on {}", handle.local_addr());
/// handle.shutdown(Duration::from_secs(5));
/// handle.join()?;
/// # Ok(()) }
/// ```
#[derive(Clone, Default)]
pub struct Reactor {
    config: Config,
    addrs: Vec<ListenAddr>,
    accept_hook: Option<Arc<AcceptHook>>,
    turn_end: Option<Arc<TurnHook>>,
    /// The TLS listeners' configs, by listener index.
    #[cfg(feature = "tls")]
    tls: Vec<(usize, Arc<rustls::ServerConfig>)>,
}

/// The type of the [`Reactor::on_turn_end`] hook: called with the worker's index.
pub(crate) type TurnHook = dyn Fn(usize) + Send + Sync + 'static;

impl std::fmt::Debug for Reactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reactor")
            .field("config", &self.config)
            .field("addrs", &self.addrs)
            .field("accept_hook", &self.accept_hook.is_some())
            .finish()
    }
}

macro_rules! setter {
    ($(#[$doc:meta])* $name:ident: $ty:ty) => {
        $(#[$doc])*
        #[must_use]
        pub fn $name(mut self, v: $ty) -> Reactor {
            self.config.$name = v;
            self
        }
    };
}

impl Reactor {
    /// A builder with [`Config::default`] and no address.
    ///
    /// # Examples
    ///
    /// ```
    /// let r = brisk_reactor::Reactor::new().workers(2).max_connections(1000);
    /// assert_eq!(r.config().workers, 2);
    /// assert_eq!(r.config().max_connections, 1000);
    /// ```
    pub fn new() -> Reactor {
        Reactor::default()
    }

    /// A builder with the given settings and no address.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut cfg = brisk_reactor::Config::default();
    /// cfg.pool_size = 256;
    /// let r = brisk_reactor::Reactor::with_config(cfg);
    /// assert_eq!(r.config().pool_size, 256);
    /// ```
    pub fn with_config(config: Config) -> Reactor {
        Reactor {
            config,
            addrs: Vec::new(),
            accept_hook: None,
            turn_end: None,
            #[cfg(feature = "tls")]
            tls: Vec::new(),
        }
    }

    /// Adds an address to listen on (call again for more). Port 0 picks a free port.
    ///
    /// # Examples
    ///
    /// ```
    /// // Nothing is bound until `start`.
    /// let r = brisk_reactor::Reactor::new()
    ///     .bind("127.0.0.1:0".parse().unwrap())
    ///     .bind("[::1]:0".parse().unwrap());
    /// # let _ = r;
    /// ```
    #[must_use]
    pub fn bind(mut self, addr: SocketAddr) -> Reactor {
        self.addrs.push(ListenAddr::Tcp(addr));
        self
    }

    /// Adds a Unix-domain stream socket to listen on, at `path` (call again for more; mixes
    /// with TCP addresses). A socket file already there that nobody accepts on (its server
    /// is gone) is replaced; one that accepts is [`Error::AddrInUse`]; any other file is
    /// left alone ([`Error::BindUnix`]). The file is created with the process's umask and
    /// removed when the reactor shuts down (if it is still the one created). Connections
    /// through it have [`ListenerKind::Unix`](crate::ListenerKind::Unix) and the unspecified
    /// address [`UNIX_ADDR`](crate::UNIX_ADDR) as `peer` and `local`
    /// ([`ConnInfo`]). `TCP_NODELAY` and the socket buffer settings do not apply.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol, Reactor};
    /// # use std::time::Duration;
    /// # struct Sink;
    /// # impl Protocol for Sink {
    /// #     fn on_read(&mut self, _: &mut Context<'_>, i: &[u8], _: &mut Output<'_>) -> (usize, Action) { (i.len(), Action::Keep) }
    /// # }
    /// # fn main() -> Result<(), brisk_reactor::Error> {
    /// let path = std::env::temp_dir().join(format!("brisk-doc-{}.sock", std::process::id()));
    /// let handle = Reactor::new().bind_unix(&path).workers(1).start(|_| Sink)?;
    /// std::os::unix::net::UnixStream::connect(&path).unwrap();
    /// handle.shutdown(Duration::ZERO);
    /// handle.join()?;
    /// # std::thread::sleep(Duration::from_millis(50));
    /// assert!(!path.exists()); // removed at shutdown
    /// # Ok(()) }
    /// ```
    #[must_use]
    pub fn bind_unix(mut self, path: impl Into<PathBuf>) -> Reactor {
        self.addrs.push(ListenAddr::Unix(path.into()));
        self
    }

    /// Adds an address of either kind ([`bind`](Reactor::bind) or
    /// [`bind_unix`](Reactor::bind_unix)).
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_reactor::{ListenAddr, Reactor};
    /// let r = Reactor::new().listen(ListenAddr::Unix("/tmp/a.sock".into()));
    /// # let _ = r;
    /// ```
    #[must_use]
    pub fn listen(mut self, addr: ListenAddr) -> Reactor {
        self.addrs.push(addr);
        self
    }

    /// Adds a TLS listener (TCP or Unix-domain; feature `tls`): its connections do the
    /// handshake with `config` first, then the factory is called with
    /// [`ConnInfo::tls`](crate::ConnInfo::tls) filled in (ALPN, SNI, version), and the
    /// protocol reads and writes plaintext (see [`tls`](crate::tls)). Listener indexes count
    /// in call order with [`bind`](Reactor::bind) and [`listen`](Reactor::listen). Size the
    /// records with [`tls::fit_records`](crate::tls::fit_records).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use brisk_reactor::{Action, Context, Output, Protocol, Reactor};
    /// # use std::sync::Arc;
    /// # struct Sink;
    /// # impl Protocol for Sink {
    /// #     fn on_read(&mut self, _: &mut Context<'_>, i: &[u8], _: &mut Output<'_>) -> (usize, Action) { (i.len(), Action::Keep) }
    /// # }
    /// # #[allow(dead_code)]
    /// # fn f(config: brisk_reactor::rustls::ServerConfig) -> Result<(), brisk_reactor::Error> {
    /// let handle = Reactor::new()
    ///     .bind("127.0.0.1:8080".parse().unwrap())                  // listener 0: cleartext
    ///     .listen_tls("127.0.0.1:8443".parse::<std::net::SocketAddr>().unwrap().into(), Arc::new(config)) // 1: TLS
    ///     .start(|info| {
    ///         let _h2 = info.tls.as_ref().is_some_and(|t| t.alpn == brisk_reactor::Alpn::H2);
    ///         Sink
    ///     })?;
    /// # let _ = handle; Ok(()) }
    /// ```
    #[cfg(feature = "tls")]
    #[must_use]
    pub fn listen_tls(mut self, addr: ListenAddr, config: Arc<rustls::ServerConfig>) -> Reactor {
        self.tls.push((self.addrs.len(), config));
        self.addrs.push(addr);
        self
    }

    /// Marks this reactor's TLS listeners among a worker's listeners.
    fn tls_listeners(&self, listeners: &mut [Listener]) {
        #[cfg(feature = "tls")]
        for (i, c) in &self.tls {
            listeners[*i].tls = Some(Arc::clone(c));
        }
        let _ = listeners;
    }

    /// The hook that hears of failed accepts (out of descriptors or memory; see
    /// [`Config::accept_backoff`]), at most once a second for the whole reactor, on the
    /// worker's thread. Default: none (the failures are only counted,
    /// [`WorkerStats::accept_errors`](crate::WorkerStats::accept_errors)).
    ///
    /// # Examples
    ///
    /// ```
    /// let r = brisk_reactor::Reactor::new().on_accept_error(|e| eprintln!("server: {e}"));
    /// # let _ = r;
    /// ```
    #[must_use]
    pub fn on_accept_error<F>(mut self, hook: F) -> Reactor
    where
        F: Fn(&AcceptError<'_>) + Send + Sync + 'static,
    {
        self.accept_hook = Some(Arc::new(hook));
        self
    }

    /// A hook each worker calls on its own thread at the end of every loop turn (after the
    /// turn's reads, writes and timers), and once more when it stops: for per-worker work
    /// batched over a turn, such as handing a log buffer on. Keep it short and non-blocking.
    /// Default: none (then a turn pays one branch for it).
    ///
    /// # Examples
    ///
    /// ```
    /// let r = brisk_reactor::Reactor::new().on_turn_end(|_worker| { /* flush a buffer */ });
    /// # let _ = r;
    /// ```
    #[must_use]
    pub fn on_turn_end<F>(mut self, hook: F) -> Reactor
    where
        F: Fn(usize) + Send + Sync + 'static,
    {
        self.turn_end = Some(Arc::new(hook));
        self
    }

    /// The settings so far.
    ///
    /// # Examples
    ///
    /// ```
    /// assert!(brisk_reactor::Reactor::new().config().nodelay);
    /// ```
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// Checks the configuration and that there is an address to bind (what `start`, `run`
    /// and `embed` check before anything is bound).
    fn check(&self) -> Result<(), Error> {
        self.config.validate()?;
        if self.addrs.is_empty() {
            return Err(Error::NoAddress);
        }
        Ok(())
    }

    setter!(/// Sets [`Config::workers`].
        workers: usize);
    setter!(/// Sets [`Config::backlog`].
        backlog: i32);
    setter!(/// Sets [`Config::nodelay`].
        nodelay: bool);
    setter!(/// Sets [`Config::socket_send_buffer`].
        socket_send_buffer: usize);
    setter!(/// Sets [`Config::socket_recv_buffer`].
        socket_recv_buffer: usize);
    setter!(/// Sets [`Config::max_connections`] (per worker).
        max_connections: usize);
    setter!(/// Sets [`Config::buffer_size`].
        buffer_size: usize);
    setter!(/// Sets [`Config::pool_size`] (buffers per worker).
        pool_size: usize);
    setter!(/// Sets [`Config::max_input`].
        max_input: usize);
    setter!(/// Sets [`Config::max_pending_output`].
        max_pending_output: usize);
    setter!(/// Sets [`Config::start_timeout`].
        start_timeout: Duration);
    setter!(/// Sets [`Config::idle_timeout`].
        idle_timeout: Duration);
    setter!(/// Sets [`Config::input_timeout`].
        input_timeout: Duration);
    setter!(/// Sets [`Config::write_timeout`].
        write_timeout: Duration);
    setter!(/// Sets [`Config::timer_tick`].
        timer_tick: Duration);
    setter!(/// Sets [`Config::accept_batch`].
        accept_batch: usize);
    setter!(/// Sets [`Config::read_batch`].
        read_batch: usize);
    setter!(/// Sets [`Config::park_size`] (0 turns parking off).
        park_size: usize);
    setter!(/// Sets [`Config::park_slots`].
        park_slots: usize);
    setter!(/// Sets [`Config::evict_partial`].
        evict_partial: bool);
    setter!(/// Sets [`Config::linger_timeout`] (zero closes at once).
        linger_timeout: Duration);
    setter!(/// Sets [`Config::linger_bytes`].
        linger_bytes: usize);
    setter!(/// Sets [`Config::accept_backoff`].
        accept_backoff: Duration);
    setter!(/// Sets [`Config::join_reuse_port`] (only for processes of one server that share
        /// a port on purpose).
        join_reuse_port: bool);
    setter!(/// Sets [`Config::tls_handshake_timeout`].
        tls_handshake_timeout: Duration);

    /// Binds, starts the workers and returns their [`Handle`]. `factory` makes one protocol
    /// value per accepted connection, on the worker thread that owns it.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidConfig`], [`Error::NoAddress`], [`Error::Bind`] (address in use, no
    /// permission), [`Error::Io`] (poller, waker or thread creation). Nothing keeps running
    /// after an error.
    pub fn start<F, P>(self, factory: F) -> Result<Handle, Error>
    where
        F: Fn(&ConnInfo) -> P + Send + Sync + 'static,
        P: Protocol + 'static,
    {
        let factory = Arc::new(factory);
        self.start_per_worker(move |_worker| {
            let f = Arc::clone(&factory);
            move |info: &ConnInfo| f(info)
        })
    }

    /// Like [`start`](Reactor::start), but `make` runs once on each worker thread (given its
    /// index) and returns that worker's factory, which may hold per-worker state that is not
    /// `Send` (caches, `Rc`s).
    ///
    /// # Errors
    ///
    /// As for [`start`](Reactor::start).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// # use brisk_reactor::{Action, Context, Output, Protocol, Reactor};
    /// # use std::{cell::Cell, rc::Rc};
    /// struct Counted(Rc<Cell<u64>>);
    /// impl Protocol for Counted {
    ///     fn on_read(&mut self, _: &mut Context<'_>, input: &[u8], _: &mut Output<'_>) -> (usize, Action) {
    ///         self.0.set(self.0.get() + input.len() as u64);
    ///         (input.len(), Action::Keep)
    ///     }
    /// }
    /// # fn main() -> Result<(), brisk_reactor::Error> {
    /// let handle = Reactor::new()
    ///     .bind("127.0.0.1:0".parse().unwrap())
    ///     .start_per_worker(|_worker| {
    ///         let total = Rc::new(Cell::new(0));
    ///         move |_info: &brisk_reactor::ConnInfo| Counted(Rc::clone(&total))
    ///     })?;
    /// # let _ = handle; Ok(()) }
    /// ```
    pub fn start_per_worker<M, A, P>(self, make: M) -> Result<Handle, Error>
    where
        M: Fn(usize) -> A + Send + Sync + 'static,
        A: FnMut(&ConnInfo) -> P + 'static,
        P: Protocol + 'static,
    {
        self.launch(make, false).map(|(handle, _)| handle)
    }

    /// Like [`start_per_worker`](Reactor::start_per_worker), but the calling thread is worker 0
    /// and this returns only after graceful shutdown finished on every worker. `ready` gets the
    /// [`Handle`] once everything is bound and the other workers run, before this thread starts
    /// serving: keep a clone to call [`Handle::shutdown`] from another thread or from a signal
    /// handler.
    ///
    /// With one worker no thread is spawned at all. A single-threaded process is cheaper for
    /// the kernel: every socket call looks its descriptor up without the atomic reference count
    /// a shared descriptor table needs.
    ///
    /// # Errors
    ///
    /// As for [`start`](Reactor::start), and [`Error::WorkerPanicked`] if a worker panicked.
    /// When worker 0 (this thread) panics, the other workers are shut down at once (no grace)
    /// and joined before this returns.
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol, Reactor};
    /// # use std::time::Duration;
    /// # struct Sink;
    /// # impl Protocol for Sink {
    /// #     fn on_read(&mut self, _: &mut Context<'_>, i: &[u8], _: &mut Output<'_>) -> (usize, Action) { (i.len(), Action::Keep) }
    /// # }
    /// # fn main() -> Result<(), brisk_reactor::Error> {
    /// Reactor::new()
    ///     .bind("127.0.0.1:0".parse().unwrap())
    ///     .workers(1)
    ///     .run_per_worker(
    ///         |_worker| |_info: &brisk_reactor::ConnInfo| Sink,
    ///         |handle| handle.shutdown(Duration::ZERO), // stop at once: this is only an example
    ///     )?;
    /// # Ok(()) }
    /// ```
    pub fn run_per_worker<M, A, P, R>(self, make: M, ready: R) -> Result<(), Error>
    where
        M: Fn(usize) -> A + Send + Sync + 'static,
        A: FnMut(&ConnInfo) -> P + 'static,
        P: Protocol + 'static,
        R: FnOnce(&Handle),
    {
        let (handle, local) = self.launch(make, true)?;
        ready(&handle);
        let ran = local.map(|run| std::panic::catch_unwind(std::panic::AssertUnwindSafe(run)));
        if let Some(Err(_)) = ran {
            // Worker 0 is gone with this call; stop the others rather than leave them running
            // without anybody to join them.
            handle.shutdown(Duration::ZERO);
            let _ = handle.join();
            return Err(Error::WorkerPanicked(0));
        }
        handle.join()
    }

    /// Binds every worker's listeners, then spawns the workers; with `local`, worker 0 is
    /// returned as a closure for the calling thread instead of getting a thread.
    #[allow(clippy::type_complexity)]
    fn launch<M, A, P>(
        self,
        make: M,
        local: bool,
    ) -> Result<(Handle, Option<Box<dyn FnOnce() + Send>>), Error>
    where
        M: Fn(usize) -> A + Send + Sync + 'static,
        A: FnMut(&ConnInfo) -> P + 'static,
        P: Protocol + 'static,
    {
        self.check()?;
        let cfg = self.config.clone();
        // Bind everything first, so that an error leaves nothing running.
        let mut bound = self.addrs.clone();
        let unix = bind_shared(&bound, &cfg)?;
        let mut per_worker = Vec::with_capacity(cfg.workers);
        for _ in 0..cfg.workers {
            let mut w = bind_worker(&mut bound, &unix, &cfg)?;
            self.tls_listeners(&mut w.3);
            per_worker.push(w);
        }
        drop(unix);
        let mut shared = Shared::new(cfg.workers, Reporter::new(self.accept_hook));
        shared.turn_end = self.turn_end.map(crate::handle::TurnEnd);
        let shared = Arc::new(shared);
        let make = Arc::new(make);
        let mut mailboxes = Vec::with_capacity(cfg.workers);
        let mut threads = Vec::with_capacity(cfg.workers);
        let mut here = None;
        for (i, (poll, mailbox, inbox, listeners)) in per_worker.into_iter().enumerate() {
            mailboxes.push(Arc::clone(&mailbox));
            let (cfg, shared_w, make) = (cfg.clone(), Arc::clone(&shared), Arc::clone(&make));
            let body = move || {
                let factory = make(i);
                let events = cfg.events_capacity;
                // Registering the listeners can only fail for lack of kernel memory; the
                // worker then exits and its listeners close (the others serve on).
                if let Ok(w) =
                    Worker::new(i, &cfg, poll, listeners, factory, shared_w, mailbox, inbox)
                {
                    w.run(events);
                }
            };
            if local && i == 0 {
                here = Some(Box::new(body) as Box<dyn FnOnce() + Send>);
                continue;
            }
            let t = std::thread::Builder::new()
                .name(format!("brisk-worker-{i}"))
                .spawn(body);
            match t {
                Ok(t) => threads.push((i, t)),
                Err(e) => {
                    let h = Handle::new(shared, mailboxes, threads, bound);
                    h.shutdown(Duration::ZERO);
                    let _ = h.join();
                    return Err(Error::Io(e));
                }
            }
        }
        Ok((Handle::new(shared, mailboxes, threads, bound), here))
    }

    /// Builds one worker (index 0) to be driven by the caller instead of a thread of the
    /// reactor's own: a foreign event loop (asyncio, a GUI loop, a test) owns the thread, waits
    /// until the worker's fd (`AsRawFd` on [`Embedded`]) is readable or the deadline of the last
    /// [`Embedded::turn`] has come, and calls `turn` again. The listeners are bound here, as
    /// for [`start`](Reactor::start) (`SO_REUSEPORT`, so several embedded workers, or threads,
    /// may share a port); [`Config::workers`] is ignored. `factory` runs on the caller's
    /// thread and need not be `Send`.
    ///
    /// # Errors
    ///
    /// As for [`start`](Reactor::start).
    ///
    /// # Examples
    ///
    /// ```
    /// # use brisk_reactor::{Action, Context, Output, Protocol, Reactor};
    /// # use std::time::Duration;
    /// # struct Sink;
    /// # impl Protocol for Sink {
    /// #     fn on_read(&mut self, _: &mut Context<'_>, i: &[u8], _: &mut Output<'_>) -> (usize, Action) { (i.len(), Action::Keep) }
    /// # }
    /// # fn main() -> Result<(), brisk_reactor::Error> {
    /// let mut worker = Reactor::new().bind("127.0.0.1:0".parse().unwrap()).embed(|_| Sink)?;
    /// let turn = worker.turn(Some(Duration::ZERO)); // never blocks
    /// assert!(!turn.finished);
    /// worker.handle().shutdown(Duration::ZERO);
    /// while !worker.turn(Some(Duration::from_millis(10))).finished {}
    /// # Ok(()) }
    /// ```
    pub fn embed<F, P>(self, factory: F) -> Result<Embedded, Error>
    where
        F: FnMut(&ConnInfo) -> P + 'static,
        P: Protocol + 'static,
    {
        self.check()?;
        let cfg = self.config.clone();
        let mut bound = self.addrs.clone();
        let unix = bind_shared(&bound, &cfg)?;
        let (poll, mailbox, inbox, mut listeners) = bind_worker(&mut bound, &unix, &cfg)?;
        self.tls_listeners(&mut listeners);
        drop(unix);
        let mut shared = Shared::new(1, Reporter::new(self.accept_hook));
        shared.turn_end = self.turn_end.map(crate::handle::TurnEnd);
        let shared = Arc::new(shared);
        let handle = Handle::new(
            Arc::clone(&shared),
            vec![Arc::clone(&mailbox)],
            Vec::new(),
            bound,
        );
        let w = Worker::new(0, &cfg, poll, listeners, factory, shared, mailbox, inbox)
            .map_err(Error::Io)?;
        Ok(Embedded::new(Box::new(w), cfg.events_capacity, handle))
    }
}

/// What is bound once for all workers, by listener index: the Unix-domain sockets (after
/// the check that nobody else listens on the TCP addresses, unless joining is asked).
fn bind_shared(addrs: &[ListenAddr], cfg: &Config) -> Result<Vec<Option<UnixShared>>, Error> {
    let mut shared = Vec::with_capacity(addrs.len());
    for a in addrs {
        match a {
            ListenAddr::Tcp(addr) => {
                if !cfg.join_reuse_port {
                    probe(*addr)?;
                }
                shared.push(None);
            }
            ListenAddr::Unix(path) => shared.push(Some(listen_unix(path, cfg)?)),
        }
    }
    Ok(shared)
}

/// One worker's poller, mailbox and listeners (binding `bound`, which learns the actual
/// ports when port 0 was asked).
#[allow(clippy::type_complexity)]
fn bind_worker(
    bound: &mut [ListenAddr],
    unix: &[Option<UnixShared>],
    cfg: &Config,
) -> Result<
    (
        mio::Poll,
        Arc<Mailbox>,
        std::sync::mpsc::Receiver<crate::ConnId>,
        Vec<Listener>,
    ),
    Error,
> {
    let poll = mio::Poll::new().map_err(Error::Io)?;
    let waker = mio::Waker::new(poll.registry(), WAKER).map_err(Error::Io)?;
    let (mailbox, inbox) = Mailbox::new(waker);
    let mut listeners = Vec::with_capacity(bound.len());
    for (addr, unix) in bound.iter_mut().zip(unix) {
        match (addr, unix) {
            (ListenAddr::Tcp(addr), _) => {
                let (l, actual) = listen_tcp(*addr, cfg)?;
                *addr = actual;
                listeners.push(Listener::new(l, actual));
            }
            (ListenAddr::Unix(path), Some(u)) => {
                listeners.push(Listener::new(u.for_worker(path)?, crate::UNIX_ADDR));
            }
            // Not reached: `bind_shared` bound every Unix address.
            (ListenAddr::Unix(_), None) => return Err(Error::NoAddress),
        }
    }
    Ok((poll, mailbox, inbox, listeners))
}
