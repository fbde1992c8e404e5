//! One HTTP exchange as the app sees it: the native `receive` and `send` callables, and the
//! awaitable they return when nothing needs to wait.
//!
//! ```text
//!  receive() ── first call ──> {"type": "http.request", "body": <whole body>, "more_body": False}
//!            ── later ───────> {"type": "http.disconnect"} once the response is complete,
//!                              else an asyncio Future resolved when it completes
//!  send(start) ─> status and headers checked into a brisk Response
//!  send(body)  ─> chunks buffered (up to the worker's bound); the final one sends the
//!                 response through the exchange's Responder
//! ```
//! The body arrives whole (the server buffers it up to its limit) and the response leaves
//! whole: streaming both ways waits for the server's pushed bodies.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use brisk_server::{Responder, Response};
use pyo3::exceptions::{PyOSError, PyRuntimeError, PyStopIteration, PyValueError};
use pyo3::prelude::*;
use pyo3::types::{PyByteArray, PyBytes, PyDict, PyString};

use crate::worker::Core;

/// The state `receive` and `send` of one exchange share.
pub(crate) struct ExState {
    /// The right to answer; `None` once the answer left (or was given up: a 500).
    responder: Option<Responder>,
    /// The request body, until the first `receive()` takes it.
    body: Option<Py<PyBytes>>,
    /// Status and headers, once `http.response.start` came.
    response: Option<Response>,
    /// Body chunks sent with `more_body=True` so far.
    buffered: Vec<u8>,
    /// The final body message was sent (or the exchange was given up).
    complete: bool,
    /// `receive()` calls waiting for the end of the response (futures).
    waiters: Vec<Py<PyAny>>,
    /// The app's task while it runs (kept alive here and in the worker's set).
    task: Option<Py<PyAny>>,
}

impl ExState {
    pub(crate) fn new(responder: Responder, body: Py<PyBytes>) -> Rc<RefCell<ExState>> {
        Rc::new(RefCell::new(ExState {
            responder: Some(responder),
            body: Some(body),
            response: None,
            buffered: Vec::new(),
            complete: false,
            waiters: Vec::new(),
            task: None,
        }))
    }

    fn closed(&self) -> bool {
        self.responder.as_ref().is_none_or(Responder::is_closed)
    }
}

/// An awaitable that completes at once with its value (`None` when it has none): what
/// `send()` and a `receive()` with a message ready return. It also speaks the coroutine
/// protocol (`send`, `throw`, `close`), so `asyncio.ensure_future(receive())` works.
#[pyclass(module = "brisk_asgi._brisk_asgi")]
pub(crate) struct Ready {
    value: Option<Py<PyAny>>,
}

impl Ready {
    pub(crate) fn new(value: Option<Py<PyAny>>) -> Ready {
        Ready { value }
    }

    fn stop(&mut self, py: Python<'_>) -> PyErr {
        let v = self.value.take().unwrap_or_else(|| py.None());
        PyStopIteration::new_err((v,))
    }
}

#[pymethods]
impl Ready {
    fn __await__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __iter__(slf: PyRef<'_, Self>) -> PyRef<'_, Self> {
        slf
    }

    fn __next__(&mut self, py: Python<'_>) -> PyResult<Py<PyAny>> {
        Err(self.stop(py))
    }

    fn send(&mut self, py: Python<'_>, _value: &Bound<'_, PyAny>) -> PyResult<Py<PyAny>> {
        Err(self.stop(py))
    }

    #[pyo3(signature = (typ, val=None, _tb=None))]
    fn throw(
        &mut self,
        typ: &Bound<'_, PyAny>,
        val: Option<&Bound<'_, PyAny>>,
        _tb: Option<&Bound<'_, PyAny>>,
    ) -> PyResult<Py<PyAny>> {
        let exc = match val {
            Some(v) if !v.is_none() => v.clone(),
            _ => typ.clone(),
        };
        Err(PyErr::from_value(exc))
    }

    fn close(&mut self) {
        self.value = None;
    }
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
        if ex.complete || ex.closed() {
            drop(ex);
            let d = m.disconnect(py)?;
            return Ok(Py::new(py, Ready::new(Some(d.into_any().unbind())))?.into_any());
        }
        // Wait for the end of the response, or for the client to go (the worker checks its
        // waiting exchanges after each turn).
        let fut = core.create_future.call0(py)?;
        if ex.waiters.is_empty() {
            core.waiting.borrow_mut().push(Rc::downgrade(&self.ex));
        }
        ex.waiters.push(fut.clone_ref(py));
        Ok(fut)
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
            "http.response.body" => self.body(py, message, &core)?,
            other => {
                return Err(PyRuntimeError::new_err(format!(
                    "Unexpected ASGI message type '{other}'"
                )))
            }
        }
        Ok(core.done.clone_ref(py).into_any())
    }

    /// Called by the task wrapper when the app returned or raised: a response not completed
    /// becomes a 500. Returns true in that case.
    fn _finish(&self, py: Python<'_>) -> PyResult<bool> {
        let core = self.core.borrow(py);
        let (task, gave_up) = {
            let mut ex = self.ex.borrow_mut();
            let gave_up = !ex.complete;
            if gave_up {
                ex.complete = true;
                // Dropping the responder answers 500 (unless the client has gone).
                ex.responder = None;
                ex.response = None;
            }
            (ex.task.take(), gave_up)
        };
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
        let m = &core.msgs;
        {
            let ex = self.ex.borrow();
            if ex.response.is_some() || ex.complete {
                return Err(PyRuntimeError::new_err(
                    "Unexpected ASGI message 'http.response.start' sent, after response already started",
                ));
            }
            if ex.closed() {
                return Err(PyOSError::new_err("client disconnected"));
            }
        }
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
                let name = pair.get_item(0)?;
                let value = pair.get_item(1)?;
                let name = header_bytes(&name)?;
                let value = header_bytes(&value)?;
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
        self.ex.borrow_mut().response = Some(res);
        Ok(())
    }

    fn body(&self, py: Python<'_>, message: &Bound<'_, PyAny>, core: &Core) -> PyResult<()> {
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
        if ex.response.is_none() {
            return Err(PyRuntimeError::new_err(
                "Expected ASGI message 'http.response.start', but got 'http.response.body'",
            ));
        }
        if ex.closed() {
            return Err(PyOSError::new_err("client disconnected"));
        }
        if let Some(c) = chunk {
            let added = with_bytes(&c, |b| {
                if ex.buffered.len() + b.len() > core.max_buffer {
                    return false;
                }
                ex.buffered.extend_from_slice(b);
                true
            })?;
            if !added {
                // Given up: the responder answers 500.
                ex.complete = true;
                ex.responder = None;
                drop(ex);
                core.kick(py)?;
                wake(py, &self.ex, core)?;
                return Err(PyRuntimeError::new_err(format!(
                    "response body larger than the buffer bound ({} bytes) of this \
                     brisk-asgi version",
                    core.max_buffer
                )));
            }
        }
        if more {
            return Ok(());
        }
        ex.complete = true;
        let mut res = ex.response.take().unwrap_or_default();
        let body = std::mem::take(&mut ex.buffered);
        if !body.is_empty() {
            res.body(body);
        }
        let sent = ex.responder.take().map(|r| r.send(res));
        drop(ex);
        core.kick(py)?;
        wake(py, &self.ex, core)?;
        match sent {
            Some(Ok(())) => Ok(()),
            _ => Err(PyOSError::new_err("client disconnected")),
        }
    }
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

/// After a turn: the exchanges with a `receive()` waiting whose client has gone (closed its
/// connection, reset its stream) get `http.disconnect`; finished ones leave the list.
pub(crate) fn resolve_gone(
    py: Python<'_>,
    waiting: &RefCell<Vec<Weak<RefCell<ExState>>>>,
    core: &Core,
) -> PyResult<()> {
    if waiting.borrow().is_empty() {
        return Ok(());
    }
    let list = std::mem::take(&mut *waiting.borrow_mut());
    let mut keep = Vec::with_capacity(list.len());
    for w in list {
        let Some(ex) = w.upgrade() else { continue };
        let (done, gone) = {
            let e = ex.borrow();
            (e.complete || e.waiters.is_empty(), e.closed())
        };
        if done {
            continue;
        }
        if gone {
            wake(py, &ex, core)?;
            continue;
        }
        keep.push(w);
    }
    waiting.borrow_mut().extend(keep);
    Ok(())
}

/// `message[key]` if present.
fn optional<'py>(
    message: &Bound<'py, PyAny>,
    key: &Py<PyString>,
) -> PyResult<Option<Bound<'py, PyAny>>> {
    if let Ok(d) = message.cast::<PyDict>() {
        return Ok(d.get_item(key)?.filter(|v| !v.is_none()));
    }
    match message.get_item(key) {
        Ok(v) => Ok(Some(v).filter(|v| !v.is_none())),
        Err(_) => Ok(None),
    }
}

/// Runs `f` on the bytes of a `bytes`, `bytearray` or `memoryview` body chunk.
fn with_bytes<R>(v: &Bound<'_, PyAny>, f: impl FnOnce(&[u8]) -> R) -> PyResult<R> {
    if let Ok(b) = v.cast::<PyBytes>() {
        return Ok(f(b.as_bytes()));
    }
    if let Ok(b) = v.cast::<PyByteArray>() {
        return Ok(f(&b.to_vec()));
    }
    let b = PyBytes::new(v.py(), &[]).get_type().call1((v,))?;
    let b = b.cast::<PyBytes>()?;
    Ok(f(b.as_bytes()))
}

/// A header name or value: bytes (str is accepted as latin-1 free ASCII, as uvicorn does).
fn header_bytes(v: &Bound<'_, PyAny>) -> PyResult<Vec<u8>> {
    if let Ok(s) = v.cast::<PyString>() {
        return Ok(s.to_str()?.as_bytes().to_vec());
    }
    with_bytes(v, <[u8]>::to_vec)
}

/// The name as `&str` if it is an RFC 9110 token.
fn valid_name(name: &[u8]) -> Option<&str> {
    const EXTRA: &[u8] = b"!#$%&'*+-.^_`|~";
    let ok = !name.is_empty()
        && name
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || EXTRA.contains(b));
    if ok {
        std::str::from_utf8(name).ok()
    } else {
        None
    }
}

/// No control character but HTAB (so no CR, LF or NUL) in a field value.
fn valid_value(v: &[u8]) -> bool {
    v.iter().all(|&b| b == b'\t' || (b >= 0x20 && b != 0x7f))
}

fn bstr(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}
