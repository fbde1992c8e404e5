//! `Server::builder()`, the running server's [`Handle`], and the glue to the reactor.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use brisk_router::{RouteMethod, Router};

use crate::app::{App, Handler};
use crate::app_error::{ErrorLog, Hook};
use crate::config::{Config, Limits, Timeouts};
use crate::conn::Conn;
use crate::counters::WorkerCounters;
use crate::error::Error;
use crate::handle::Handle;
use crate::request::Request;
use crate::response::Response;
use brisk_http2::Config as Http2Config;

/// The Brisk server. Build one with [`Server::builder`].
///
/// # Examples
///
/// ```no_run
/// use brisk_server::{Method, Server};
///
/// # fn main() -> Result<(), brisk_server::Error> {
/// Server::builder()
///     .bind("127.0.0.1:8080".parse().unwrap())
///     .route(Method::Get, "/plaintext", |_req, res| {
///         res.text("Hello, World!");
///     })
///     .route(Method::Get, "/users/{id}", |req, res| {
///         let id = req.param("id").unwrap_or("");
///         res.body_mut().extend_from_slice(id.as_bytes());
///     })
///     .run()
/// # }
/// ```
#[derive(Debug)]
pub struct Server;

impl Server {
    /// A builder with the defaults: `127.0.0.1:8080`, one worker per CPU, the default
    /// [`Limits`], [`Timeouts`] and [`Http2Config`], no routes.
    ///
    /// # Examples
    ///
    /// ```
    /// let b = brisk_server::Server::builder();
    /// # let _ = b;
    /// ```
    pub fn builder() -> Builder {
        Builder {
            addrs: Vec::new(),
            listen: crate::listen::Listen::default(),
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            config: Config::default(),
            router: Router::new(),
            handlers: Vec::new(),
            uploads: Vec::new(),
            fallback: None,
            fallback_upload: None,
            route_names: Vec::new(),
            app_error: Arc::new(crate::app_error::default_hook),
            error: None,
            blocking: None,
            blocking_threads: crate::blocking::default_threads(),
            blocking_queue: crate::blocking::DEFAULT_QUEUE,
            ops: crate::metrics::Ops::default(),
            access_log: None,
            #[cfg(feature = "tls")]
            tls: Default::default(),
        }
    }
}

/// Configures and starts a [`Server`]. Setters take and return `&mut Self`, so they chain.
///
/// # Examples
///
/// ```
/// use std::time::Duration;
/// use brisk_server::{Method, Server};
///
/// # fn main() -> Result<(), brisk_server::Error> {
/// let handle = Server::builder()
///     .bind("127.0.0.1:0".parse().unwrap())
///     .workers(1)
///     .max_body_size(64 * 1024)
///     .header_timeout(Duration::from_secs(5))
///     .route(Method::Get, "/", |_, res| { res.text("hi"); })
///     .start()?;
/// assert_ne!(handle.local_addr().port(), 0);
/// handle.shutdown();
/// handle.join();
/// # Ok(())
/// # }
/// ```
pub struct Builder {
    /// Where to listen (see also `listen.rs`).
    pub(crate) addrs: Vec<brisk_reactor::ListenAddr>,
    pub(crate) listen: crate::listen::Listen,
    workers: usize,
    pub(crate) config: Config,
    router: Router<usize>,
    handlers: Vec<Arc<Handler>>,
    uploads: Vec<Option<Arc<crate::upload::UploadStart>>>,
    fallback: Option<Arc<Handler>>,
    fallback_upload: Option<Arc<crate::upload::UploadStart>>,
    /// Each handler's route, for error reports.
    route_names: Vec<(Option<Box<str>>, Box<str>)>,
    app_error: Arc<Hook>,
    pub(crate) error: Option<Error>,
    /// The pool of [`route_blocking`](Self::route_blocking), made with its first route.
    blocking: Option<Arc<crate::blocking::Pool>>,
    blocking_threads: usize,
    blocking_queue: usize,
    /// Metrics and health routes, the metrics listener.
    pub(crate) ops: crate::metrics::Ops,
    /// See `access_log/builder.rs`.
    pub(crate) access_log: Option<crate::AccessLog>,
    /// TLS listeners (see `tls_listen.rs`).
    #[cfg(feature = "tls")]
    pub(crate) tls: crate::tls_listen::TlsListeners,
}

impl std::fmt::Debug for Builder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Builder")
            .field("addrs", &self.addrs)
            .field("workers", &self.workers)
            .field("config", &self.config)
            .field("routes", &self.handlers.len())
            .finish()
    }
}

impl Builder {
    /// Adds an address to listen on (port 0 picks a free port; see [`Handle::local_addrs`]).
    /// Without any, the server listens on `127.0.0.1:8080`.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.bind("127.0.0.1:0".parse().unwrap());
    /// ```
    pub fn bind(&mut self, addr: SocketAddr) -> &mut Self {
        self.addrs.push(brisk_reactor::ListenAddr::Tcp(addr));
        self
    }

    /// Worker threads, each with its own `SO_REUSEPORT` listener and event loop.
    /// Default: the number of CPUs.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.workers(2);
    /// ```
    pub fn workers(&mut self, n: usize) -> &mut Self {
        self.workers = n;
        self
    }

    /// All size limits at once.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.limits(brisk_server::Limits::default());
    /// ```
    pub fn limits(&mut self, limits: Limits) -> &mut Self {
        self.config.limits = limits;
        self
    }

    /// Largest request body ([`Limits::max_body_size`]).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.max_body_size(64 * 1024);
    /// ```
    pub fn max_body_size(&mut self, bytes: usize) -> &mut Self {
        self.config.limits.max_body_size = bytes;
        self
    }

    /// All timeouts at once.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.timeouts(brisk_server::Timeouts::default());
    /// ```
    pub fn timeouts(&mut self, timeouts: Timeouts) -> &mut Self {
        self.config.timeouts = timeouts;
        self
    }

    /// [`Timeouts::header_read`] (408 and close when a head is not complete in time).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.header_timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn header_timeout(&mut self, d: Duration) -> &mut Self {
        self.config.timeouts.header_read = d;
        self
    }

    /// [`Timeouts::idle`] (idle keep-alive connections are closed after it).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.idle_timeout(std::time::Duration::from_secs(30));
    /// ```
    pub fn idle_timeout(&mut self, d: Duration) -> &mut Self {
        self.config.timeouts.idle = d;
        self
    }

    /// [`Timeouts::handler`]: a deferred answer that takes longer is answered 503.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.handler_timeout(std::time::Duration::from_secs(5));
    /// ```
    pub fn handler_timeout(&mut self, d: Duration) -> &mut Self {
        self.config.timeouts.handler = Some(d);
        self
    }

    /// [`Timeouts::body_read`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.body_timeout(std::time::Duration::from_secs(20));
    /// ```
    pub fn body_timeout(&mut self, d: Duration) -> &mut Self {
        self.config.timeouts.body_read = d;
        self
    }

    /// [`Timeouts::write_stall`].
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.write_timeout(std::time::Duration::from_secs(20));
    /// ```
    pub fn write_timeout(&mut self, d: Duration) -> &mut Self {
        self.config.timeouts.write_stall = d;
        self
    }

    /// [`Timeouts::shutdown`]: the deadline for in-flight requests on shutdown.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.shutdown_timeout(std::time::Duration::from_secs(3));
    /// ```
    pub fn shutdown_timeout(&mut self, d: Duration) -> &mut Self {
        self.config.timeouts.shutdown = d;
        self
    }

    /// HTTP/2 settings and attack limits.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// let mut h2 = brisk_server::Http2Config::default();
    /// h2.max_concurrent_streams = 64;
    /// b.http2(h2);
    /// ```
    pub fn http2(&mut self, h2: Http2Config) -> &mut Self {
        self.config.h2 = h2;
        self
    }

    /// Adds a route: `method` (or [`RouteMethod::Any`]) and a pattern such as `/users/{id}`,
    /// `/files/{*path}` or `/{name}.json` (see brisk-router for the rules). A conflicting or
    /// invalid pattern makes [`start`](Self::start) fail with [`Error::Route`].
    ///
    /// A `GET` route also answers `HEAD` (without the body) unless a `HEAD` or any-method
    /// route has the same pattern: a HEAD request goes where a GET request to the same path
    /// would go.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.route(brisk_server::Method::Get, "/users/{id}", |req, res| {
    ///     res.text(format!("user {}", req.param("id").unwrap_or("")));
    /// });
    /// ```
    pub fn route<'m, F>(
        &mut self,
        method: impl Into<RouteMethod<'m>>,
        pattern: &str,
        handler: F,
    ) -> &mut Self
    where
        F: Fn(&mut Request<'_>, &mut Response) + Send + Sync + 'static,
    {
        self.add(method.into(), pattern, Arc::new(handler), None)
    }

    /// Adds a route whose handler may block (a database call, a file read): it runs on a
    /// bounded pool of threads with the request copied out ([`OwnedRequest`](crate::OwnedRequest)),
    /// and its response goes back to the connection's worker as a deferred answer does. When
    /// the pool's queue is full the request gets 503 at once; the workers never wait. A panic
    /// is a 500. The pool is sized by [`blocking_pool`](Self::blocking_pool) (call it first).
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_server::{Method, Server};
    ///
    /// let mut b = Server::builder();
    /// b.route_blocking(Method::Get, "/slow", |_req, res| {
    ///     std::thread::sleep(std::time::Duration::from_millis(10)); // fine here
    ///     res.text("done");
    /// });
    /// ```
    pub fn route_blocking<'m, F>(
        &mut self,
        method: impl Into<RouteMethod<'m>>,
        pattern: &str,
        handler: F,
    ) -> &mut Self
    where
        F: Fn(&crate::OwnedRequest, &mut Response) + Send + Sync + 'static,
    {
        let (threads, queue) = (self.blocking_threads, self.blocking_queue);
        let pool = Arc::clone(
            self.blocking
                .get_or_insert_with(|| Arc::new(crate::blocking::Pool::new(threads, queue))),
        );
        let handler: Arc<crate::blocking::BlockingHandler> = Arc::new(handler);
        self.route(method, pattern, move |req, res| {
            pool.submit(req, res, &handler)
        })
    }

    /// Sizes the pool of [`route_blocking`](Self::route_blocking) routes added after this
    /// call: `threads` threads (at least 1; default twice the CPUs) and a queue of `queue`
    /// waiting requests (beyond it, 503; default 1024; 0 means a request is taken only when
    /// a thread is free).
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.blocking_pool(4, 64);
    /// ```
    pub fn blocking_pool(&mut self, threads: usize, queue: usize) -> &mut Self {
        self.blocking_threads = threads.max(1);
        self.blocking_queue = queue;
        self.blocking = None;
        self
    }

    /// Adds a route whose request body streams to a [`BodySink`](crate::BodySink) as it
    /// arrives instead of being buffered, so it may be larger than
    /// [`Limits::max_body_size`] (up to [`Limits::max_upload_size`]). `start` runs when the
    /// request head is complete, before any of the body is read (before `100 Continue` is
    /// sent): it returns the sink, or a status to answer with instead (for a missing
    /// credential, say), and then the body is not read. When the body arrives with the head
    /// (a small one), the same happens at once: start, one piece, finish.
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_server::{BodySink, Method, Request, Response};
    ///
    /// struct Count(u64);
    /// impl BodySink for Count {
    ///     fn data(&mut self, piece: &[u8]) -> Result<(), u16> {
    ///         self.0 += piece.len() as u64;
    ///         Ok(())
    ///     }
    ///     fn finish(&mut self, _: &mut Request<'_>, res: &mut Response) {
    ///         res.text(format!("{} bytes\n", self.0));
    ///     }
    /// }
    ///
    /// let mut b = brisk_server::Server::builder();
    /// b.upload(Method::Put, "/files/{name}", |req| {
    ///     if req.header("x-token").is_none() {
    ///         return Err(403);
    ///     }
    ///     Ok(Box::new(Count(0)))
    /// });
    /// ```
    pub fn upload<'m, F>(
        &mut self,
        method: impl Into<RouteMethod<'m>>,
        pattern: &str,
        start: F,
    ) -> &mut Self
    where
        F: Fn(&mut Request<'_>) -> Result<Box<dyn crate::BodySink>, u16> + Send + Sync + 'static,
    {
        let start: Arc<crate::upload::UploadStart> = Arc::new(start);
        let handler = crate::app::buffered(Arc::clone(&start));
        self.add(method.into(), pattern, handler, Some(start))
    }

    fn add(
        &mut self,
        method: RouteMethod<'_>,
        pattern: &str,
        handler: Arc<Handler>,
        upload: Option<Arc<crate::upload::UploadStart>>,
    ) -> &mut Self {
        let index = self.handlers.len();
        match self.router.insert(method, pattern, index) {
            Ok(()) => {
                self.handlers.push(handler);
                self.uploads.push(upload);
                self.route_names
                    .push(crate::app_error::route_name(method, pattern));
            }
            Err(source) => {
                if self.error.is_none() {
                    self.error = Some(Error::Route {
                        route: format!("{method} {pattern}"),
                        source,
                    });
                }
            }
        }
        self
    }

    /// The handler for requests whose path no route takes, for any method: what would
    /// otherwise be 404 (also an unknown method's 501, and the 308 to a route's trailing-slash
    /// twin, on such a path). A path that routes take for other methods still gets 405 with
    /// `Allow` (501 for an unknown method): `DELETE /users/1` with only `GET /users/{id}`
    /// routed is a 405, not the fallback's. With no routes at all, the fallback answers
    /// every request.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut b = brisk_server::Server::builder();
    /// b.fallback(|req, res| {
    ///     res.status(404).text(format!("nothing at {}", req.path()));
    /// });
    /// ```
    pub fn fallback<F>(&mut self, handler: F) -> &mut Self
    where
        F: Fn(&mut Request<'_>, &mut Response) + Send + Sync + 'static,
    {
        self.fallback = Some(Arc::new(handler));
        self
    }

    /// With a [`fallback`](Self::fallback): requests it takes whose body does not arrive
    /// whole with the head stream their body to a [`BodySink`](crate::BodySink) made by
    /// `start` (when the head is in), as an [`upload`](Self::upload) route's do, up to
    /// [`Limits::max_upload_size`]. A body that arrives with its head still goes to the
    /// fallback handler whole. For servers that hand every request to another layer (an
    /// application server): the sink can answer before the body is complete
    /// ([`Flow::Answer`](crate::Flow::Answer)) and pace it ([`Flow::Pause`](crate::Flow::Pause)).
    ///
    /// # Examples
    ///
    /// ```
    /// use brisk_server::{BodySink, Request, Response};
    ///
    /// struct Discard;
    /// impl BodySink for Discard {
    ///     fn data(&mut self, _: &[u8]) -> Result<(), u16> { Ok(()) }
    ///     fn finish(&mut self, _: &mut Request<'_>, res: &mut Response) { res.text("ok\n"); }
    /// }
    ///
    /// let mut b = brisk_server::Server::builder();
    /// b.fallback(|_, res| { res.text("ok\n"); })
    ///     .upload_fallback(|_| Ok(Box::new(Discard)));
    /// ```
    pub fn upload_fallback<F>(&mut self, start: F) -> &mut Self
    where
        F: Fn(&mut Request<'_>) -> Result<Box<dyn crate::BodySink>, u16> + Send + Sync + 'static,
    {
        self.fallback_upload = Some(Arc::new(start));
        self
    }

    /// The hook that hears of every error in application code, with the request's method and
    /// route ([`AppError`](crate::AppError)): a handler panic (with its message), a
    /// [`Responder`](crate::Responder) dropped without an answer, a deferred answer past the
    /// handler timeout, a full blocking pool, an invalid response. The client gets 500 or 503
    /// either way; the hook runs once per such error, on the thread where it was noticed (a
    /// worker, a blocking-pool thread, or the thread that dropped the responder), never for a
    /// request answered normally. Keep it short: on a worker it holds up the connections.
    ///
    /// Default: an error line in the error log ([`crate::log`], stderr; so a panic shows std's
    /// message and then this one, which names the route), e.g.
    /// `2026-12-06T08:10:00Z error: GET /users/{id}: handler panicked: boom (answered 500)`.
    /// `on_app_error(|_| {})` silences it.
    ///
    /// # Examples
    ///
    /// ```
    /// use std::sync::{Arc, Mutex};
    ///
    /// let seen = Arc::new(Mutex::new(Vec::new()));
    /// let log = Arc::clone(&seen);
    /// let mut b = brisk_server::Server::builder();
    /// b.on_app_error(move |e| log.lock().unwrap().push(e.to_string()));
    /// ```
    pub fn on_app_error<F>(&mut self, hook: F) -> &mut Self
    where
        F: Fn(&crate::AppError<'_>) + Send + Sync + 'static,
    {
        self.app_error = Arc::new(hook);
        self
    }

    /// Starts the workers and returns at once with a [`Handle`].
    ///
    /// # Errors
    ///
    /// [`Error::Route`] for the first route that could not be added, [`Error::Config`] for an
    /// out-of-range value, [`Error::Reactor`] when binding or spawning fails.
    ///
    /// # Examples
    ///
    /// ```
    /// let h = brisk_server::Server::builder().bind("127.0.0.1:0".parse().unwrap()).start()?;
    /// h.shutdown();
    /// h.join();
    /// # Ok::<(), brisk_server::Error>(())
    /// ```
    pub fn start(&mut self) -> Result<Handle, Error> {
        let (reactor, app, counters) = self.prepare()?;
        let shared = crate::defer::register(self.workers, self.config.limits.push_buffer);
        crate::app_error::register(shared.id(), &app.errors);
        let logs = app.logs.clone();
        let reactor = reactor
            .start_per_worker(per_worker(app, Arc::clone(&counters), shared))
            .map_err(|e| {
                stop_logs(logs.as_deref());
                Error::Reactor(e)
            })?;
        let handle = Handle {
            reactor,
            counters,
            shutdown: self.config.timeouts.shutdown,
            metrics_at: self.ops.index,
            logs,
        };
        self.ops.ready(&handle);
        Ok(handle)
    }

    /// Starts the server and blocks until it has stopped, serving on the calling thread as worker
    /// 0 (see [`run_with`](Self::run_with), which also hands out the [`Handle`] to stop it).
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start).
    ///
    /// # Examples
    ///
    /// ```no_run
    /// brisk_server::Server::builder().bind("127.0.0.1:8080".parse().unwrap()).run()?;
    /// # Ok::<(), brisk_server::Error>(())
    /// ```
    pub fn run(&mut self) -> Result<(), Error> {
        self.run_with(|_| {})
    }

    /// Starts the server, calls `ready` with its [`Handle`] once every address is bound, then
    /// serves on the calling thread as worker 0 and returns after graceful shutdown finished on
    /// every worker. Keep a clone of the handle to stop the server from another thread or from
    /// a signal handler ([`Handle::shutdown`] takes no lock and allocates nothing).
    ///
    /// With one worker the server spawns no thread at all, which saves the kernel work that a
    /// shared descriptor table costs on every socket call.
    ///
    /// # Errors
    ///
    /// As [`start`](Self::start); [`Error::Reactor`] also when a spawned worker panicked.
    ///
    /// # Examples
    ///
    /// ```
    /// let mut seen = None;
    /// brisk_server::Server::builder()
    ///     .bind("127.0.0.1:0".parse().unwrap())
    ///     .workers(1)
    ///     .run_with(|h| {
    ///         seen = Some(h.local_addr());
    ///         h.shutdown(); // a real caller keeps the handle for later
    ///     })?;
    /// assert!(seen.is_some());
    /// # Ok::<(), brisk_server::Error>(())
    /// ```
    pub fn run_with<R>(&mut self, ready: R) -> Result<(), Error>
    where
        R: FnOnce(&Handle),
    {
        let (reactor, app, counters) = self.prepare()?;
        let shutdown = self.config.timeouts.shutdown;
        let shared = crate::defer::register(self.workers, self.config.limits.push_buffer);
        crate::app_error::register(shared.id(), &app.errors);
        let ops = &self.ops;
        let logs = app.logs.clone();
        let h_logs = logs.clone();
        let ran = reactor
            .run_per_worker(per_worker(app, Arc::clone(&counters), shared), |r| {
                let handle = Handle {
                    reactor: r.clone(),
                    counters,
                    shutdown,
                    metrics_at: ops.index,
                    logs: h_logs,
                };
                ops.ready(&handle);
                ready(&handle)
            })
            .map_err(Error::Reactor);
        stop_logs(logs.as_deref());
        ran
    }

    /// Checks the settings and builds the application and the reactor (not yet started).
    pub(crate) fn prepare(
        &mut self,
    ) -> Result<(brisk_reactor::Reactor, Arc<App>, SharedCounters), Error> {
        crate::metrics::add_routes(self);
        if let Some(e) = self.error.take() {
            return Err(e);
        }
        if self.workers == 0 {
            return Err(Error::Config("workers must be at least 1"));
        }
        let t = &self.config.timeouts;
        if [t.header_read, t.idle, t.body_read, t.write_stall]
            .iter()
            .any(Duration::is_zero)
        {
            return Err(Error::Config("timeouts must be above zero"));
        }
        let mut router = std::mem::take(&mut self.router);
        head_routes(&mut router);
        let mut param_names = vec![Box::default(); self.handlers.len()];
        for r in router.routes() {
            if let Some(names) = param_names.get_mut(*r.value()) {
                *names = r.param_names().map(Box::from).collect();
            }
        }
        let errors = ErrorLog::new(
            Arc::clone(&self.app_error),
            std::mem::take(&mut self.route_names),
        );
        let logs = match self.access_log.as_mut() {
            Some(l) => Some(Arc::new(
                l.start(self.config.client.rules.clone())
                    .map_err(Error::AccessLog)?,
            )),
            None => None,
        };
        let app = Arc::new(App {
            router,
            handlers: std::mem::take(&mut self.handlers),
            uploads: std::mem::take(&mut self.uploads),
            fallback: self.fallback.take(),
            fallback_upload: self.fallback_upload.take(),
            param_names,
            errors: Arc::new(errors),
            config: self.config.clone(),
            ops: None,
            logs,
        });
        let counters: Arc<Vec<Arc<WorkerCounters>>> = Arc::new(
            (0..self.workers)
                .map(|_| Arc::new(WorkerCounters::default()))
                .collect(),
        );
        let addrs = if self.addrs.is_empty() {
            vec![SocketAddr::from(([127, 0, 0, 1], 8080)).into()]
        } else {
            self.addrs.clone()
        };
        let mut rc = brisk_reactor::Config::default();
        rc.workers = self.workers;
        rc.max_connections = self.config.limits.max_connections_per_worker;
        rc.start_timeout = t.header_read;
        rc.idle_timeout = t.idle;
        rc.input_timeout = t.body_read;
        rc.write_timeout = t.write_stall;
        // The head must fit in the reactor's input; bodies larger than it are collected.
        rc.max_input = rc
            .max_input
            .max(self.config.limits.max_head_size.next_power_of_two());
        rc.pool_size = rc
            .pool_size
            .max(rc.max_input.div_ceil(rc.buffer_size) * 2 + 256);
        let mut reactor = self.listen.apply(brisk_reactor::Reactor::with_config(rc));
        let bound = addrs.len();
        if app.logs.is_some() {
            reactor = reactor.on_turn_end(|_| crate::access_log::end_turn());
        }
        #[cfg(feature = "tls")]
        {
            reactor = self.tls.listen(reactor, addrs);
        }
        #[cfg(not(feature = "tls"))]
        for a in addrs {
            reactor = reactor.listen(a);
        }
        let (reactor, app) = crate::metrics::bind_listener(self, reactor, app, bound);
        Ok((reactor, app, counters))
    }
}

/// The HEAD->GET rule, in the route table: every GET route also gets a HEAD entry for its
/// handler, unless a HEAD or any-method route has the same pattern (or an equivalent one: the
/// router refuses the entry then, and that route answers HEAD). So a HEAD request goes where
/// a GET request to the same path goes, in one lookup.
pub(crate) fn head_routes(router: &mut Router<usize>) {
    let mut own = std::collections::HashSet::new();
    let mut get = Vec::new();
    for r in router.routes() {
        match r.method() {
            RouteMethod::Only(brisk_router::Method::Get) => {
                get.push((r.pattern().to_string(), *r.value()));
            }
            RouteMethod::Only(brisk_router::Method::Head) | RouteMethod::Any => {
                own.insert(r.pattern().to_string());
            }
            RouteMethod::Only(_) => {}
        }
    }
    for (pattern, index) in get {
        if !own.contains(&pattern) {
            let _ = router.insert(brisk_router::Method::Head, &pattern, index);
        }
    }
}

/// Per-worker counters, shared by the workers and the handles.
pub(crate) type SharedCounters = Arc<Vec<Arc<WorkerCounters>>>;

/// What each worker runs first: it registers the worker's counters and returns the factory of
/// its connections.
pub(crate) fn per_worker(
    app: Arc<App>,
    counters: SharedCounters,
    shared: Arc<crate::defer::Shared>,
) -> impl Fn(usize) -> Box<dyn FnMut(&brisk_reactor::ConnInfo) -> Conn> + Send + Sync + 'static {
    move |worker| {
        let stats = Arc::clone(&counters[worker]);
        let app = Arc::clone(&app);
        crate::worker::init(&stats, app.logs.as_ref().map(|l| &l.sink));
        crate::defer::init(&shared, worker);
        // Boxed because a closure type cannot be named in the return type; one indirect call
        // per accepted connection.
        Box::new(move |info: &brisk_reactor::ConnInfo| {
            // The metrics listener's connections get its application (one comparison).
            let app = match &app.ops {
                Some((at, ops)) if info.listener == *at => ops,
                _ => &app,
            };
            Conn::new(Arc::clone(app), &stats, info)
        })
    }
}

/// Stops the access log's thread (after a last write), if there is one.
fn stop_logs(logs: Option<&crate::access_log::Writer>) {
    if let Some(l) = logs {
        l.stop();
    }
}
