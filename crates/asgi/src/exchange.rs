//! One HTTP exchange as the app sees it: the native `receive` and `send` callables.
//!
//! ```text
//!  receive() ── first call ──> {"type": "http.request", "body": <whole body>, "more_body": False}
//!            ── later ───────> {"type": "http.disconnect"} once the response is complete or
//!                              the client has gone, else a future resolved when either happens
//!                              (Responder/BodyWriter::on_close)
//!  send(start) ─────────────> status and headers checked into a brisk Response (kept)
//!  send(body, more=False) ──> first body message: the whole response through Responder::send
//!  send(body, more=True) ───> Responder::start: the head leaves, then each chunk through the
//!                             BodyWriter; when its pipe is full send() returns a future that
//!                             completes once on_writable fired and the chunk went in
//!  app returns or raises ───> not complete: nothing started is a 500, a started response is
//!                             aborted (HTTP/1.1 connection closed, HTTP/2 stream reset)
//! ```
//! A request body that arrives with its head is handed over whole by the first `receive()`;
//! a longer one streams through [`crate::inbound`] (the app starts on the head, and the
//! responder comes from the server when the body is complete or the response needs it).

use std::cell::RefCell;
use std::rc::Rc;

use brisk_server::{BodyWriter, Responder, Response, WriteError};
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyString};

use crate::events::Event;
use crate::inbound::{Inbound, Take};
use crate::message::{bstr, header_bytes, optional, valid_name, valid_value, with_bytes, Ready};
use crate::worker::Core;

/// A body chunk `send()` could not hand over yet (the pipe was full).
struct Blocked {
    data: Vec<u8>,
    more: bool,
    /// What that `send()` returned: resolved once the chunk went in.
    fut: Py<PyAny>,
}

/// The state `receive` and `send` of one exchange share.
pub(crate) struct ExState {
    id: u64,
    /// The right to answer; `None` once the answer left, was started or given up.
    responder: Option<Responder>,
    /// The pushed body of a streaming response, until it is finished (or aborted).
    writer: Option<BodyWriter>,
    /// The request body, until the first `receive()` takes it.
    body: Option<Py<PyBytes>>,
    /// Status and headers, once `http.response.start` came, until the first body message.
    response: Option<Response>,
    /// A `HEAD` request: the server drops the body.
    head_request: bool,
    /// The response has no body (HEAD, 204, 304): the writer's `Closed` is not a disconnect.
    no_body: bool,
    /// The final body message was sent (or the exchange was given up).
    complete: bool,
    /// The client went (a close callback fired).
    gone: bool,
    /// A close callback is registered.
    watched: bool,
    blocked: Option<Blocked>,
    /// `receive()` calls waiting for the end of the response (futures).
    waiters: Vec<Py<PyAny>>,
    /// The app's task while it runs (kept alive here and in the worker's set).
    task: Option<Py<PyAny>>,
    /// The scope, kept for the access log (only when it is on), until the status is logged.
    logged: Option<Py<PyDict>>,
    /// A body streamed as it arrives ([`crate::inbound`]).
    pub(crate) inbound: Option<Inbound>,
    /// The responder is still to come (the body streams to the server's sink, which hands
    /// it over when the body is complete or [`wants_responder`](Self::wants_responder)).
    unattached: bool,
    /// `response` holds the whole response (body included), kept for the responder.
    full: bool,
}

impl ExState {
    /// An exchange answered through `responder` (none yet for a streamed body, which then
    /// has no `body`: it comes through [`Inbound`]).
    pub(crate) fn new(
        id: u64,
        responder: Option<Responder>,
        body: Option<Py<PyBytes>>,
        head_request: bool,
        logged: Option<Py<PyDict>>,
    ) -> Rc<RefCell<ExState>> {
        let streamed = responder.is_none();
        Rc::new(RefCell::new(ExState {
            id,
            responder,
            writer: None,
            body,
            response: None,
            head_request,
            no_body: false,
            complete: false,
            gone: false,
            watched: false,
            blocked: None,
            waiters: Vec::new(),
            task: None,
            logged,
            inbound: streamed.then(Inbound::default),
            unattached: streamed,
            full: false,
        }))
    }

    /// Whether the response cannot go on without the responder (it is complete, or a chunk
    /// waits for it), while the body still streams.
    pub(crate) fn wants_responder(&self) -> bool {
        self.unattached && (self.complete || self.blocked.is_some())
    }

    fn closed(&self) -> bool {
        if self.gone {
            return true;
        }
        if self.unattached {
            return false;
        }
        if let Some(w) = &self.writer {
            return !self.no_body && w.is_closed();
        }
        self.responder.as_ref().is_none_or(Responder::is_closed)
    }

    /// Hands `data` to the pushed body; finishes it when `more` is false.
    fn write(&mut self, data: &[u8], more: bool) -> Wrote {
        let Some(w) = self.writer.as_ref() else {
            return Wrote::Gone;
        };
        match w.try_write(data) {
            Ok(()) => {}
            Err(WriteError::WouldBlock) => return Wrote::Full,
            Err(_) if self.no_body => {}
            Err(_) => return Wrote::Gone,
        }
        if !more {
            self.complete = true;
            if let Some(w) = self.writer.take() {
                if w.finish().is_err() && !self.no_body {
                    return Wrote::Gone;
                }
            }
        }
        Wrote::Done
    }
}

enum Wrote {
    Done,
    Full,
    Gone,
}

fn disconnected() -> PyErr {
    PyOSError::new_err("client disconnected")
}

/// The ASGI `receive` callable of one exchange.
#[pyclass(unsendable, module = "brisk_asgi._brisk_asgi")]
pub(crate) struct Receive {
    pub(crate) ex: Rc<RefCell<ExState>>,
    pub(crate) core: Py<Core>,
}

#[pymethods]
impl Receive {
    fn __call__(&self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        let core = self.core.borrow(py);
        let m = &core.msgs;
        let mut ex = self.ex.borrow_mut();
        if let Some(body) = ex.body.take() {
            drop(ex);
            let d = PyDict::new(py);
            d.set_item(&m.type_, &m.http_request)?;
            d.set_item(&m.body, body)?;
            d.set_item(&m.more_body, false)?;
            return Ok(Py::new(py, Ready::new(Some(d.into_any().unbind())))?.into_any());
        }
        if let Some(inb) = ex.inbound.as_mut() {
            match inb.take(py, &core)? {
                Take::Message(msg) => return Ok(Py::new(py, Ready::new(Some(msg)))?.into_any()),
                Take::Wait(fut) => {
                    drop(ex);
                    watch_close(&self.ex, &core);
                    return Ok(fut);
                }
                Take::Over => {}
            }
        }
        if ex.complete || ex.closed() {
            drop(ex);
            let d = m.disconnect(py)?;
            return Ok(Py::new(py, Ready::new(Some(d.into_any().unbind())))?.into_any());
        }
        // Wait for the end of the response, or for the client to go.
        let fut = core.create_future.call0(py)?;
        ex.waiters.push(fut.clone_ref(py));
        drop(ex);
        watch_close(&self.ex, &core);
        drain(py, &core)?;
        Ok(fut)
    }
}

/// Registers (once) a close callback on the exchange's responder or writer.
fn watch_close(ex: &Rc<RefCell<ExState>>, core: &Core) {
    let mut e = ex.borrow_mut();
    if e.watched || e.complete {
        return;
    }
    e.watched = true;
    core.live.borrow_mut().insert(e.id, Rc::downgrade(ex));
    if e.unattached {
        // Registered on the responder when it comes (`attach`); until then the sink's drop
        // tells of a client that went.
        return;
    }
    let cb = core.events.callback(e.id, Event::Closed);
    // The callback only notes the event (it may run at once, while `e` is borrowed).
    if let Some(w) = &e.writer {
        w.on_close(cb);
    } else if let Some(r) = &e.responder {
        r.on_close(cb);
    }
}

/// The ASGI `send` callable of one exchange.
#[pyclass(unsendable, module = "brisk_asgi._brisk_asgi")]
pub(crate) struct Send {
    pub(crate) ex: Rc<RefCell<ExState>>,
    pub(crate) core: Py<Core>,
}

#[pymethods]
impl Send {
    fn __call__(&self, py: Python<'_>, message: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        let core = self.core.borrow(py);
        let m = &core.msgs;
        let ty = message.get_item(&m.type_)?;
        let ty = ty.cast::<PyString>()?;
        let ty = ty.to_str()?;
        match ty {
            "http.response.start" => self.start(message, &core)?,
            "http.response.body" => return self.body(py, message, &core),
            other => {
                return Err(PyRuntimeError::new_err(format!(
                    "Unexpected ASGI message type '{other}'"
                )))
            }
        }
        Ok(core.done.clone_ref(py).into_any())
    }

    /// Called by the task wrapper when the app returned or raised: a response not completed
    /// becomes a 500 if nothing was sent, else it is aborted. Returns true in both cases.
    fn _finish(&self, py: Python<'_>) -> PyResult<bool> {
        let core = self.core.borrow(py);
        let (task, gave_up, id, log500) = {
            let mut ex = self.ex.borrow_mut();
            let gave_up = !ex.complete;
            let mut log500 = None;
            if gave_up && ex.unattached {
                // The responder is still to come: `attach` answers 500, or aborts a started
                // response, when the server hands it over (woken now).
                ex.complete = true;
                if let Some(b) = ex.blocked.take() {
                    ex.response.get_or_insert_with(Response::default);
                    drop(b);
                }
                if ex.response.is_none() {
                    log500 = ex.logged.take();
                }
                if let Some(inb) = &ex.inbound {
                    inb.wake();
                }
            } else if gave_up {
                ex.complete = true;
                ex.blocked = None;
                if ex.writer.take().is_none() {
                    match (ex.responder.take(), ex.response.take()) {
                        // Started: the head leaves and the body is cut (the writer dropped
                        // unfinished aborts).
                        (Some(r), Some(head)) => drop(r.start(head)),
                        // Dropping the responder answers 500 (unless the client has gone).
                        (r, _) => {
                            log500 = ex.logged.take();
                            drop(r)
                        }
                    }
                }
            }
            (ex.task.take(), gave_up, ex.id, log500)
        };
        if let (Some(scope), Some(access)) = (log500, &core.access) {
            access.call1(py, (scope, 500))?;
        }
        core.live.borrow_mut().remove(&id);
        if let Some(t) = task {
            core.tasks.bind(py).discard(t)?;
        }
        if gave_up {
            core.kick(py)?;
        }
        wake(py, &self.ex, &core)?;
        Ok(gave_up)
    }
}

impl Send {
    pub(crate) fn set_task(&self, task: Py<PyAny>) {
        self.ex.borrow_mut().task = Some(task);
    }

    fn start(&self, message: &Bound<'_, PyAny>, core: &Core) -> PyResult<()> {
        {
            let ex = self.ex.borrow();
            if ex.response.is_some() || ex.writer.is_some() || ex.complete {
                return Err(PyRuntimeError::new_err(
                    "Unexpected ASGI message 'http.response.start' sent, after response already started",
                ));
            }
            if ex.closed() {
                return Err(disconnected());
            }
        }
        let res = head(message, core)?;
        let status = res.status_code();
        let mut ex = self.ex.borrow_mut();
        ex.no_body = ex.head_request || matches!(status, 204 | 304);
        ex.response = Some(res);
        // The access log line, at the response's start as uvicorn writes it.
        let logged = ex.logged.take();
        drop(ex);
        if let (Some(scope), Some(access)) = (logged, &core.access) {
            access.call1(message.py(), (scope, status))?;
        }
        Ok(())
    }

    fn body(&self, py: Python<'_>, message: &Bound<'_, PyAny>, core: &Core) -> PyResult<Py<PyAny>> {
        let m = &core.msgs;
        let chunk = optional(message, &m.body)?;
        let more = match optional(message, &m.more_body)? {
            Some(v) => v.is_truthy()?,
            None => false,
        };
        let mut ex = self.ex.borrow_mut();
        if ex.complete {
            return Err(PyRuntimeError::new_err(
                "Unexpected ASGI message 'http.response.body' sent, after response already completed",
            ));
        }
        if ex.response.is_none() && ex.writer.is_none() {
            return Err(PyRuntimeError::new_err(
                "Expected ASGI message 'http.response.start', but got 'http.response.body'",
            ));
        }
        if ex.blocked.is_some() {
            return Err(PyRuntimeError::new_err(
                "send() called while the previous send() still waits for the client",
            ));
        }
        if ex.closed() {
            return Err(disconnected());
        }
        if ex.writer.is_none() && ex.unattached {
            // The body still streams: what the app sends is kept for the responder.
            if !more {
                let mut res = ex.response.take().unwrap_or_default();
                if let Some(c) = &chunk {
                    with_bytes(c, |b| res.body_mut().extend_from_slice(b))?;
                }
                ex.response = Some(res);
                ex.full = true;
                ex.complete = true;
                if let Some(inb) = &ex.inbound {
                    inb.wake();
                }
                drop(ex);
                wake(py, &self.ex, core)?;
                return Ok(core.done.clone_ref(py).into_any());
            }
            let fut = core.create_future.call0(py)?;
            let data = match &chunk {
                Some(c) => with_bytes(c, |b| b.to_vec())?,
                None => Vec::new(),
            };
            ex.blocked = Some(Blocked {
                data,
                more,
                fut: fut.clone_ref(py),
            });
            if let Some(inb) = &ex.inbound {
                inb.wake();
            }
            drop(ex);
            watch_close(&self.ex, core);
            return Ok(fut);
        }
        if ex.writer.is_none() {
            let mut res = ex.response.take().unwrap_or_default();
            let responder = ex.responder.take();
            if !more {
                // A single-message response: whole, with its length.
                if let Some(c) = &chunk {
                    with_bytes(c, |b| res.body_mut().extend_from_slice(b))?;
                }
                ex.complete = true;
                drop(ex);
                let sent = responder.map(|r| r.send(res));
                core.kick(py)?;
                wake(py, &self.ex, core)?;
                return match sent {
                    Some(Ok(())) => Ok(core.done.clone_ref(py).into_any()),
                    _ => Err(disconnected()),
                };
            }
            // Streaming: the head leaves now. Close callbacks move to the writer (they only
            // note events, so `ex` may stay borrowed).
            match responder.map(|r| r.start(res)) {
                Some(Ok(w)) => ex.writer = Some(w),
                _ => {
                    ex.complete = true;
                    drop(ex);
                    wake(py, &self.ex, core)?;
                    return Err(disconnected());
                }
            }
        }
        let wrote = match &chunk {
            Some(c) => with_bytes(c, |b| match ex.write(b, more) {
                Wrote::Full => (Wrote::Full, Some(b.to_vec())),
                w => (w, None),
            })?,
            None => (ex.write(&[], more), None),
        };
        match wrote {
            (Wrote::Done, _) => {
                let complete = ex.complete;
                drop(ex);
                core.kick(py)?;
                if complete {
                    wake(py, &self.ex, core)?;
                }
                Ok(core.done.clone_ref(py).into_any())
            }
            (Wrote::Full, data) => {
                let fut = core.create_future.call0(py)?;
                ex.blocked = Some(Blocked {
                    data: data.unwrap_or_default(),
                    more,
                    fut: fut.clone_ref(py),
                });
                core.live
                    .borrow_mut()
                    .insert(ex.id, Rc::downgrade(&self.ex));
                if let Some(w) = &ex.writer {
                    w.on_writable(core.events.callback(ex.id, Event::Writable));
                }
                drop(ex);
                watch_close(&self.ex, core);
                core.kick(py)?;
                drain(py, core)?;
                Ok(fut)
            }
            (Wrote::Gone, _) => {
                ex.complete = true;
                ex.writer = None;
                drop(ex);
                wake(py, &self.ex, core)?;
                Err(disconnected())
            }
        }
    }
}

/// The status and headers of an `http.response.start` message, checked.
fn head(message: &Bound<'_, PyAny>, core: &Core) -> PyResult<Response> {
    let m = &core.msgs;
    let status: u16 = message.get_item(&m.status)?.extract()?;
    if !(100..=999).contains(&status) {
        return Err(PyValueError::new_err(format!(
            "invalid status code {status}"
        )));
    }
    let mut res = Response::new();
    res.status(status);
    if let Some(headers) = optional(message, &m.headers)? {
        for pair in headers.try_iter()? {
            let pair = pair?;
            let name = header_bytes(&pair.get_item(0)?)?;
            let value = header_bytes(&pair.get_item(1)?)?;
            let name = valid_name(&name).ok_or_else(|| {
                PyValueError::new_err(format!("invalid header name {:?}", bstr(&name)))
            })?;
            if !valid_value(&value) {
                return Err(PyValueError::new_err(format!(
                    "invalid value for header {name:?}: {:?}",
                    bstr(&value)
                )));
            }
            res.header(name, &value);
        }
    }
    Ok(res)
}

/// Resolves the `receive()` calls of `ex` waiting for the end of the response (or the client
/// to go) with `http.disconnect`.
fn wake(py: Python<'_>, ex: &Rc<RefCell<ExState>>, core: &Core) -> PyResult<()> {
    let waiters = std::mem::take(&mut ex.borrow_mut().waiters);
    for w in waiters {
        let w = w.bind(py);
        if !w.call_method0("done")?.is_truthy()? {
            w.call_method1("set_result", (core.msgs.disconnect(py)?,))?;
        }
    }
    Ok(())
}

/// Acts on the events the server's callbacks noted (see [`crate::events`]): a blocked chunk
/// goes in when its pipe has room (its `send()` completes), a client that went wakes the
/// waiting `receive()` calls and fails a blocked `send()` with `OSError`.
pub(crate) fn drain(py: Python<'_>, core: &Core) -> PyResult<()> {
    loop {
        let events = core.events.take();
        if events.is_empty() {
            return Ok(());
        }
        for (id, ev) in events {
            let Some(ex) = core.live.borrow().get(&id).and_then(std::rc::Weak::upgrade) else {
                continue;
            };
            match ev {
                Event::Writable => writable(py, &ex, core)?,
                Event::Closed => {
                    let headless = {
                        let e = ex.borrow();
                        e.no_body && e.writer.is_some()
                    };
                    if headless {
                        // A body nobody wants (HEAD, 204, 304): the pipe closes at once, and
                        // the app's chunks are taken and dropped.
                        writable(py, &ex, core)?;
                        continue;
                    }
                    client_gone(py, &ex, core)?;
                }
            }
        }
    }
}

/// The pipe of `ex` has room again (or its client went): the blocked chunk goes in.
fn writable(py: Python<'_>, ex: &Rc<RefCell<ExState>>, core: &Core) -> PyResult<()> {
    let mut e = ex.borrow_mut();
    let Some(b) = e.blocked.take() else {
        return Ok(());
    };
    if b.fut.bind(py).call_method0("done")?.is_truthy()? {
        // Its send() was cancelled: the chunk is not sent.
        return Ok(());
    }
    match e.write(&b.data, b.more) {
        Wrote::Done => {
            let complete = e.complete;
            drop(e);
            core.kick(py)?;
            b.fut.call_method1(py, "set_result", (py.None(),))?;
            if complete {
                wake(py, ex, core)?;
            }
        }
        Wrote::Full => {
            let cb = core.events.callback(e.id, Event::Writable);
            if let Some(w) = &e.writer {
                w.on_writable(cb);
            }
            e.blocked = Some(b);
        }
        Wrote::Gone => {
            e.gone = true;
            drop(e);
            fail(py, &b.fut)?;
            wake(py, ex, core)?;
        }
    }
    Ok(())
}

/// Fails a blocked `send()`'s future with `OSError` (the client went).
fn fail(py: Python<'_>, fut: &Py<PyAny>) -> PyResult<()> {
    let f = fut.bind(py);
    if !f.call_method0("done")?.is_truthy()? {
        f.call_method1("set_exception", (disconnected().value(py),))?;
    }
    Ok(())
}

/// The client went: a blocked `send()` fails with `OSError`, waiting `receive()` calls get
/// `http.disconnect`.
pub(crate) fn client_gone(py: Python<'_>, ex: &Rc<RefCell<ExState>>, core: &Core) -> PyResult<()> {
    let blocked = {
        let mut e = ex.borrow_mut();
        e.gone = true;
        e.blocked.take()
    };
    if let Some(b) = blocked {
        fail(py, &b.fut)?;
    }
    wake(py, ex, core)
}

/// A `receive()` that waited for body bytes that will not come now waits for the end of the
/// response (or gets `http.disconnect` at once if it is over).
pub(crate) fn park_receive(
    py: Python<'_>,
    ex: &Rc<RefCell<ExState>>,
    core: &Core,
    waiter: Option<Py<PyAny>>,
) -> PyResult<()> {
    let Some(w) = waiter else {
        return Ok(());
    };
    ex.borrow_mut().waiters.push(w);
    let over = {
        let e = ex.borrow();
        e.complete || e.closed()
    };
    if over {
        wake(py, ex, core)?;
    }
    Ok(())
}

/// The server handed over the responder of a streamed-body exchange (the body is complete,
/// or the response needs it): what the app sent so far goes out (a whole response, or the
/// head and the chunk it waits on), an app that failed gets its 500 (or its started
/// response aborted), and an app still running answers through it from now on.
pub(crate) fn attach(
    py: Python<'_>,
    ex: &Rc<RefCell<ExState>>,
    core: &Core,
    r: Responder,
) -> PyResult<()> {
    let mut e = ex.borrow_mut();
    e.unattached = false;
    if e.full {
        e.full = false;
        let res = e.response.take().unwrap_or_default();
        drop(e);
        let _ = r.send(res);
        core.kick(py)?;
        return wake(py, ex, core);
    }
    if let Some(b) = e.blocked.take() {
        let head = e.response.take().unwrap_or_default();
        match r.start(head) {
            Ok(w) => {
                e.writer = Some(w);
                e.blocked = Some(b);
                let watched = std::mem::take(&mut e.watched);
                drop(e);
                if watched {
                    watch_close(ex, core);
                }
                return writable(py, ex, core);
            }
            Err(_) => {
                drop(e);
                fail(py, &b.fut)?;
                return client_gone(py, ex, core);
            }
        }
    }
    if e.complete {
        // The app returned or raised without a whole response.
        match e.response.take() {
            Some(head) => drop(r.start(head)),
            None => drop(r),
        }
        drop(e);
        core.kick(py)?;
        return wake(py, ex, core);
    }
    e.responder = Some(r);
    let watched = std::mem::take(&mut e.watched);
    drop(e);
    if watched {
        watch_close(ex, core);
    }
    Ok(())
}
