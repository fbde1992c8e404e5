//! The worker: an embedded brisk server turned by the asyncio loop that owns the thread.
//!
//! ```text
//!  asyncio loop ── add_reader(fd) / call_at(deadline) / call_soon (answers sent) ──> Worker.turn
//!  Worker.turn ──> EmbeddedServer::turn ──> fallback handler (Core::handle):
//!        scope, defer the response, Task(run(app, scope, receive, send), eager_start=True)
//!  app task ──> send(final body) ──> Responder::send ──> the next turn writes it
//!        (inside the turn when the task finished eagerly: the same write)
//! ```

use std::cell::{Cell, OnceCell, RefCell};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::rc::Weak;
use std::time::{Duration, Instant};

use brisk_server::{BodySink, EmbeddedServer, Request, Response, Server};
use pyo3::exceptions::{PyOSError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PySet, PyString};

use crate::events::Events;
use crate::exchange::{ExState, Receive, Send};
use crate::inbound::AsgiSink;
use crate::limits::Limits;
use crate::message::Ready;
use crate::scope::ScopeParts;

/// Interned strings of the messages.
pub(crate) struct Messages {
    pub(crate) type_: Py<PyString>,
    pub(crate) http_request: Py<PyString>,
    pub(crate) http_disconnect: Py<PyString>,
    pub(crate) body: Py<PyString>,
    pub(crate) more_body: Py<PyString>,
    pub(crate) status: Py<PyString>,
    pub(crate) headers: Py<PyString>,
}

impl Messages {
    fn new(py: Python<'_>) -> Messages {
        let s = |v: &str| PyString::intern(py, v).unbind();
        Messages {
            type_: s("type"),
            http_request: s("http.request"),
            http_disconnect: s("http.disconnect"),
            body: s("body"),
            more_body: s("more_body"),
            status: s("status"),
            headers: s("headers"),
        }
    }

    pub(crate) fn disconnect<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let d = PyDict::new(py);
        d.set_item(&self.type_, &self.http_disconnect)?;
        Ok(d)
    }
}

/// What the request handler and the exchanges share; only ever borrowed shared (its
/// mutable parts are cells), so the handler, `send` and `receive` can all hold it at once.
#[pyclass(unsendable, module = "brisk_asgi._brisk_asgi")]
pub(crate) struct Core {
    call_soon: Py<PyAny>,
    pub(crate) create_future: Py<PyAny>,
    /// `Worker.turn`, bound (set by `Worker.start`).
    turn_cb: OnceCell<Py<PyAny>>,
    /// `start(coro) -> task`: an eager `asyncio.Task` on 3.12+, `loop.create_task` before.
    start: Py<PyAny>,
    /// `async def run(app, scope, receive, send)`: awaits the app, then `send._finish()`.
    run: Py<PyAny>,
    app: Py<PyAny>,
    log_error: Py<PyAny>,
    log_warning: Option<Py<PyAny>>,
    /// `access(scope, status)`: logs one access-log line (`None`: the access log is off).
    pub(crate) access: Option<Py<PyAny>>,
    limits: Limits,
    /// The running app tasks (asyncio keeps only weak references).
    pub(crate) tasks: Py<PySet>,
    scope: ScopeParts,
    state: Option<Py<PyDict>>,
    pub(crate) msgs: Messages,
    /// What `send()` returns.
    pub(crate) done: Py<Ready>,
    in_turn: Cell<bool>,
    kicked: Cell<bool>,
    /// What the server's callbacks noted for the exchanges (see [`crate::events`]).
    pub(crate) events: Events,
    /// The exchanges that registered a callback, by id.
    pub(crate) live: RefCell<HashMap<u64, Weak<RefCell<ExState>>>>,
    next_id: Cell<u64>,
}

impl Core {
    /// After an answer was sent (or given up) outside a turn: one turn soon delivers it (one
    /// `call_soon` per batch).
    pub(crate) fn kick(&self, py: Python<'_>) -> PyResult<()> {
        if self.in_turn.get() || self.kicked.get() {
            return Ok(());
        }
        if let Some(cb) = self.turn_cb.get() {
            self.kicked.set(true);
            self.call_soon.call1(py, (cb,))?;
        }
        Ok(())
    }

    /// The fallback handler: every request becomes an ASGI exchange run by a task.
    fn handle(
        me: &Py<Core>,
        py: Python<'_>,
        req: &Request<'_>,
        res: &mut Response,
    ) -> PyResult<()> {
        let core = me.borrow(py);
        core.limits.count();
        if let Some(warn) = core.limits.overloaded(|| core.tasks.bind(py).len()) {
            res.status(503).text("Service Unavailable");
            if let (Some(n), Some(log)) = (warn, &core.log_warning) {
                log.call1(py, ("Exceeded concurrency limit (%d requests refused).", n))?;
            }
            if let Some(access) = &core.access {
                let scope = core.scope.build(py, req, core.state.as_ref())?;
                access.call1(py, (scope, 503))?;
            }
            return Ok(());
        }
        let body = PyBytes::new(py, req.body()).unbind();
        Core::begin(me, py, req, Some(res.defer()), Some(body))?;
        Ok(())
    }

    /// The fallback's sink start: a request whose body does not arrive with its head starts
    /// the app now, its body streamed to it ([`crate::inbound`]); 503 past the concurrency
    /// limit (the body is then not read).
    fn start_upload(
        me: &Py<Core>,
        py: Python<'_>,
        req: &Request<'_>,
    ) -> PyResult<Result<Box<dyn BodySink>, u16>> {
        let core = me.borrow(py);
        core.limits.count();
        if let Some(warn) = core.limits.overloaded(|| core.tasks.bind(py).len()) {
            if let (Some(n), Some(log)) = (warn, &core.log_warning) {
                log.call1(py, ("Exceeded concurrency limit (%d requests refused).", n))?;
            }
            if let Some(access) = &core.access {
                let scope = core.scope.build(py, req, core.state.as_ref())?;
                access.call1(py, (scope, 503))?;
            }
            return Ok(Err(503));
        }
        drop(core);
        let ex = Core::begin(me, py, req, None, None)?;
        Ok(Ok(Box::new(AsgiSink::new(ex, me.clone_ref(py)))))
    }

    /// Builds the scope and the exchange and starts the app's task (eagerly on 3.12+).
    fn begin(
        me: &Py<Core>,
        py: Python<'_>,
        req: &Request<'_>,
        responder: Option<brisk_server::Responder>,
        body: Option<Py<PyBytes>>,
    ) -> PyResult<std::rc::Rc<std::cell::RefCell<ExState>>> {
        let core = me.borrow(py);
        let scope = core.scope.build(py, req, core.state.as_ref())?;
        let id = core.next_id.get();
        core.next_id.set(id.wrapping_add(1));
        let logged = core.access.as_ref().map(|_| scope.clone().unbind());
        let ex = ExState::new(id, responder, body, req.method() == "HEAD", logged);
        let receive = Py::new(
            py,
            Receive {
                ex: ex.clone(),
                core: me.clone_ref(py),
            },
        )?;
        let send = Py::new(
            py,
            Send {
                ex: ex.clone(),
                core: me.clone_ref(py),
            },
        )?;
        let coro = core.run.call1(
            py,
            (core.app.clone_ref(py), scope, receive, send.clone_ref(py)),
        )?;
        let task = core.start.bind(py).call1((coro,))?;
        if !task.call_method0("done")?.is_truthy()? {
            core.tasks.bind(py).add(&task)?;
            send.borrow(py).set_task(task.unbind());
        }
        Ok(ex)
    }
}

/// One brisk worker serving an ASGI app on the running asyncio loop of this thread.
#[pyclass(unsendable, module = "brisk_asgi._brisk_asgi")]
pub(crate) struct Worker {
    server: EmbeddedServer,
    core: Py<Core>,
    event_loop: Py<PyAny>,
    /// The pending `call_later` for the server's next deadline.
    timer: Option<(Instant, Py<PyAny>)>,
    on_finished: Option<Py<PyAny>>,
    reading: bool,
}

fn secs(v: f64, what: &str) -> PyResult<Duration> {
    Duration::try_from_secs_f64(v)
        .ok()
        .filter(|d| !d.is_zero())
        .ok_or_else(|| {
            PyValueError::new_err(format!("{what} must be a positive number of seconds"))
        })
}

#[pymethods]
impl Worker {
    /// Binds `host:port` (with SO_REUSEPORT; `join_reuse_port`: sharing the port with the
    /// other worker processes of a supervisor, else a port in use is an error), or the Unix
    /// socket `uds` instead, and prepares the worker; `start()` registers it with the loop.
    #[new]
    #[pyo3(signature = (
        app, event_loop, run, start, log_error, host, port, *, uds = None,
        ssl_certfile = None, ssl_keyfile = None, join_reuse_port = false, root_path = "", state = None,
        max_body_size = None,
        timeout_keep_alive = 5.0, timeout_graceful_shutdown = 30.0, on_finished = None,
        log_warning = None, access = None, limit_max_requests = None, limit_concurrency = None
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        app: Py<PyAny>,
        event_loop: Py<PyAny>,
        run: Py<PyAny>,
        start: Py<PyAny>,
        log_error: Py<PyAny>,
        host: &str,
        port: u16,
        uds: Option<std::path::PathBuf>,
        ssl_certfile: Option<std::path::PathBuf>,
        ssl_keyfile: Option<std::path::PathBuf>,
        join_reuse_port: bool,
        root_path: &str,
        state: Option<Py<PyDict>>,
        max_body_size: Option<usize>,
        timeout_keep_alive: f64,
        timeout_graceful_shutdown: f64,
        on_finished: Option<Py<PyAny>>,
        log_warning: Option<Py<PyAny>>,
        access: Option<Py<PyAny>>,
        limit_max_requests: Option<u64>,
        limit_concurrency: Option<usize>,
    ) -> PyResult<Worker> {
        if limit_max_requests == Some(0) || limit_concurrency == Some(0) {
            return Err(PyValueError::new_err(
                "limit_max_requests and limit_concurrency must be at least 1",
            ));
        }
        let ip: std::net::IpAddr = if host == "localhost" {
            std::net::IpAddr::from([127, 0, 0, 1])
        } else {
            host.parse()
                .map_err(|_| PyValueError::new_err(format!("host must be an IP address: {host}")))?
        };
        let addr = SocketAddr::new(ip, port);
        let lp = event_loop.bind(py);
        let mut b = Server::builder();
        let tls = crate::tls::config(ssl_certfile, ssl_keyfile)?;
        match (&uds, &tls) {
            (Some(path), None) => b.bind_unix(path),
            (None, None) => b.bind(addr),
            (Some(_), Some(_)) => {
                return Err(PyValueError::new_err(
                    "--ssl-certfile with --uds: TLS on a Unix socket is not supported",
                ))
            }
            (None, Some(c)) => b.bind_tls(addr, c.clone()),
        };
        b.join_reuse_port(join_reuse_port)
            .idle_timeout(secs(timeout_keep_alive, "timeout_keep_alive")?)
            .shutdown_timeout(secs(
                timeout_graceful_shutdown,
                "timeout_graceful_shutdown",
            )?);
        if let Some(n) = max_body_size {
            b.max_body_size(n);
        }
        // The scope's `server` needs the bound port: bind first with a placeholder handler,
        // so build the core after `embed` from the actual address.
        let slot: std::sync::Arc<std::sync::OnceLock<Py<Core>>> = Default::default();
        let handler_slot = std::sync::Arc::clone(&slot);
        let upload_slot = std::sync::Arc::clone(&slot);
        b.upload_fallback(move |req| {
            Python::attach(|py| {
                let Some(core) = upload_slot.get() else {
                    return Err(503);
                };
                Core::start_upload(core, py, req).unwrap_or_else(|e| {
                    let c = core.borrow(py);
                    let _ = c.log_error.call1(
                        py,
                        (
                            "brisk-asgi: could not start the app for a request: %s",
                            e.value(py),
                        ),
                    );
                    Err(500)
                })
            })
        });
        b.fallback(move |req, res| {
            Python::attach(|py| {
                let Some(core) = handler_slot.get() else {
                    res.status(503);
                    return;
                };
                if let Err(e) = Core::handle(core, py, req, res) {
                    let c = core.borrow(py);
                    let _ = c.log_error.call1(
                        py,
                        (
                            "brisk-asgi: could not start the app for a request: %s",
                            e.value(py),
                        ),
                    );
                    res.status(500).text("Internal Server Error");
                }
            })
        });
        let server = b.embed().map_err(|e| PyOSError::new_err(e.to_string()))?;
        // No `server` (nor `client`) in the scope on a Unix socket, as uvicorn.
        let bound = uds.is_none().then(|| server.handle().local_addr());
        let core = Py::new(
            py,
            Core {
                call_soon: lp.getattr("call_soon")?.unbind(),
                create_future: lp.getattr("create_future")?.unbind(),
                turn_cb: OnceCell::new(),
                start,
                run,
                app,
                log_error,
                log_warning,
                access,
                limits: Limits::new(limit_max_requests, limit_concurrency),
                tasks: PySet::empty(py)?.unbind(),
                scope: ScopeParts::new(py, bound, root_path, tls.is_some())?,
                state,
                msgs: Messages::new(py),
                done: Py::new(py, Ready::new(None))?,
                in_turn: Cell::new(false),
                kicked: Cell::new(false),
                events: Events::default(),
                live: RefCell::new(HashMap::new()),
                next_id: Cell::new(0),
            },
        )?;
        let _ = slot.set(core.clone_ref(py));
        Ok(Worker {
            server,
            core,
            event_loop,
            timer: None,
            on_finished,
            reading: false,
        })
    }

    /// The bound `(host, port)`.
    #[getter]
    fn address(&self) -> (String, u16) {
        let a = self.server.handle().local_addr();
        (a.ip().to_string(), a.port())
    }

    /// Registers the worker with the loop (its fd with `add_reader`) and runs a first turn.
    fn start(slf: &Bound<'_, Self>, py: Python<'_>) -> PyResult<()> {
        let cb = slf.getattr("turn")?.unbind();
        let mut w = slf.borrow_mut();
        let fd = w.server.as_raw_fd();
        w.event_loop
            .call_method1(py, "add_reader", (fd, cb.clone_ref(py)))?;
        w.reading = true;
        let core = w.core.borrow(py);
        let _ = core.turn_cb.set(cb);
        core.kick(py)
    }

    /// One turn of the server; schedules the next one (`call_soon` when work is pending,
    /// `call_later` for its next deadline).
    fn turn(&mut self, py: Python<'_>) -> PyResult<()> {
        let core = self.core.borrow(py);
        core.kicked.set(false);
        core.in_turn.set(true);
        let t = self.server.turn(Some(Duration::ZERO));
        core.in_turn.set(false);
        crate::exchange::drain(py, &core)?;
        if let Some(n) = core.limits.take_exit() {
            // --limit-max-requests: a graceful exit (in-flight requests finish), as uvicorn.
            if let Some(log) = &core.log_warning {
                log.call1(
                    py,
                    (
                        "Maximum request limit of %d exceeded. Terminating process.",
                        n,
                    ),
                )?;
            }
            self.server.shutdown();
            core.kick(py)?;
        }
        let now = Instant::now();
        if self.timer.as_ref().is_some_and(|(at, _)| *at <= now) {
            self.timer = None;
        }
        if t.finished {
            drop(core);
            return self.finish(py);
        }
        match t.deadline {
            Some(d) if d <= now || self.server.pending() => core.kick(py)?,
            Some(d) if self.timer.as_ref().is_none_or(|(at, _)| d < *at) => {
                if let Some((_, h)) = self.timer.take() {
                    h.call_method0(py, "cancel")?;
                }
                if let Some(cb) = core.turn_cb.get().map(|c| c.clone_ref(py)) {
                    let delay = d.saturating_duration_since(now).as_secs_f64();
                    let h = self
                        .event_loop
                        .call_method1(py, "call_later", (delay, cb))?;
                    self.timer = Some((d, h));
                }
            }
            // A call_later for an earlier deadline is pending: it turns and reschedules.
            Some(_) => {}
            None if self.server.pending() => core.kick(py)?,
            None => {}
        }
        Ok(())
    }

    /// Starts a graceful shutdown: no new connections, in-flight requests finish (up to
    /// `timeout_graceful_shutdown`); `on_finished` is called when it is complete.
    fn shutdown(&self, py: Python<'_>) -> PyResult<()> {
        self.server.shutdown();
        self.core.borrow(py).kick(py)
    }

    /// Whether graceful shutdown finished.
    #[getter]
    fn finished(&self) -> bool {
        self.server.is_finished()
    }

    /// App tasks still running.
    #[getter]
    fn running(&self, py: Python<'_>) -> usize {
        self.core.borrow(py).tasks.bind(py).len()
    }

    /// Requests served so far.
    #[getter]
    fn requests(&self) -> u64 {
        self.server.handle().counters().requests
    }
}

impl Worker {
    fn finish(&mut self, py: Python<'_>) -> PyResult<()> {
        if let Some((_, h)) = self.timer.take() {
            h.call_method0(py, "cancel")?;
        }
        if self.reading {
            self.reading = false;
            let fd = self.server.as_raw_fd();
            self.event_loop.call_method1(py, "remove_reader", (fd,))?;
        }
        if let Some(cb) = self.on_finished.take() {
            cb.call0(py)?;
        }
        Ok(())
    }
}
