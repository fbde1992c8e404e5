//! Request bodies that do not arrive with their head: streamed to the app as they come, with
//! backpressure, through the server's fallback sink (`Builder::upload_fallback`).
//!
//! ```text
//!  head in ──> Core::start_upload: scope, the app's task starts at once; no Responder yet
//!  body piece ──> BodySink::data ──> Inbound.queue, or straight to a waiting receive()
//!  BodySink::flow ──> Pause until the first receive() (so `100 Continue` waits for it) and
//!        while QUEUE_HIGH bytes wait; Answer once the app's response needs the Responder
//!  receive() ──> takes the queue; wakes the connection (BodyWaker) when it was paused
//!  body complete (or answered early) ──> BodySink::finish: res.defer() ──> ExState::attach
//!        (the kept response is sent, a streaming one starts, a failed app gets 500/abort)
//!  sink dropped unfinished (client gone, body too large) ──> http.disconnect, OSError
//! ```
//!
//! HTTP/1.1 stops reading the socket while paused, HTTP/2 withholds the stream's credit (the
//! queue may then grow by up to one stream window).

use std::cell::RefCell;
use std::rc::Rc;

use brisk_server::{BodySink, BodyWaker, Flow, Request, Response};
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict};

use crate::exchange::{self, ExState};
use crate::worker::Core;

/// Bytes of body waiting for the app past which reading pauses.
pub(crate) const QUEUE_HIGH: usize = 64 * 1024;

/// The body of a request, between the server and the app's `receive()`.
#[derive(Default)]
pub(crate) struct Inbound {
    queue: Vec<u8>,
    /// The app called `receive()` (before that, nothing is read and `100 Continue` waits).
    asked: bool,
    /// The last `flow` said pause: the next `receive()` that takes bytes wakes the connection.
    paused: bool,
    /// The whole body arrived.
    done: bool,
    /// The last `http.request` (more_body false) was handed over.
    delivered: bool,
    /// No more body will come (the client went, or the response went early).
    cut: bool,
    /// A `receive()` waiting for body bytes.
    waiter: Option<Py<PyAny>>,
    waker: Option<BodyWaker>,
}

/// What `receive()` gets from the body.
pub(crate) enum Take {
    /// An `http.request` message now.
    Message(Py<PyAny>),
    /// A future resolved when bytes come.
    Wait(Py<PyAny>),
    /// The body is over (delivered or cut): go on as for a buffered body.
    Over,
}

impl Inbound {
    /// `receive()` on a streamed body.
    pub(crate) fn take(&mut self, py: Python<'_>, core: &Core) -> PyResult<Take> {
        if self.delivered {
            return Ok(Take::Over);
        }
        let mut wake = !self.asked;
        self.asked = true;
        let took = if !self.queue.is_empty() || self.done {
            let more = !self.done;
            self.delivered = !more;
            wake |= self.paused;
            Take::Message(self.message(py, core, more)?)
        } else if self.cut {
            Take::Over
        } else {
            let fut = core.create_future.call0(py)?;
            self.waiter = Some(fut.clone_ref(py));
            wake |= self.paused;
            Take::Wait(fut)
        };
        if wake {
            if let Some(w) = &self.waker {
                w.wake();
            }
        }
        Ok(took)
    }

    /// The queued bytes as an `http.request` message.
    fn message(&mut self, py: Python<'_>, core: &Core, more: bool) -> PyResult<Py<PyAny>> {
        let m = &core.msgs;
        let d = PyDict::new(py);
        d.set_item(&m.type_, &m.http_request)?;
        d.set_item(&m.body, PyBytes::new(py, &self.queue))?;
        d.set_item(&m.more_body, more)?;
        self.queue.clear();
        Ok(d.into_any().unbind())
    }

    /// Hands what is queued to a waiting `receive()`, if there is one (and it was not
    /// cancelled).
    fn feed_waiter(&mut self, py: Python<'_>, core: &Core) -> PyResult<()> {
        let Some(w) = self.waiter.take() else {
            return Ok(());
        };
        if w.bind(py).call_method0("done")?.is_truthy()? {
            return Ok(());
        }
        let more = !self.done;
        self.delivered = !more;
        let msg = self.message(py, core, more)?;
        w.call_method1(py, "set_result", (msg,))?;
        Ok(())
    }

    /// No more body will come: a waiting `receive()` is handed back to wait for the end of
    /// the response (or gets what is queued).
    pub(crate) fn cut(&mut self, py: Python<'_>, core: &Core) -> PyResult<Option<Py<PyAny>>> {
        self.cut = true;
        if !self.queue.is_empty() {
            self.feed_waiter(py, core)?;
        }
        Ok(self.waiter.take())
    }

    /// Wakes the connection (the response needs the responder).
    pub(crate) fn wake(&self) {
        if let Some(w) = &self.waker {
            w.wake();
        }
    }
}

/// The server's sink for one streamed body: it feeds the exchange's [`Inbound`].
pub(crate) struct AsgiSink {
    ex: Rc<RefCell<ExState>>,
    core: Py<Core>,
    /// `flow` said answer: `finish` comes before the body is complete.
    early: bool,
    finished: bool,
}

// SAFETY: the sink holds `Rc`s and Python handles of the loop thread. brisk-asgi embeds ONE
// server worker on that same thread (`Server::builder().embed()`, turned only from the
// loop), so the connection that owns this sink, and with it the sink (its calls and its
// drop), never leaves that thread; `Send` is required only because `BodySink` must also
// suit multi-threaded servers.
unsafe impl Send for AsgiSink {}

impl AsgiSink {
    pub(crate) fn new(ex: Rc<RefCell<ExState>>, core: Py<Core>) -> AsgiSink {
        AsgiSink {
            ex,
            core,
            early: false,
            finished: false,
        }
    }
}

impl BodySink for AsgiSink {
    fn data(&mut self, piece: &[u8]) -> Result<(), u16> {
        Python::attach(|py| {
            let core = self.core.borrow(py);
            let mut e = self.ex.borrow_mut();
            let Some(inb) = e.inbound.as_mut() else {
                return Ok(());
            };
            inb.queue.extend_from_slice(piece);
            inb.feed_waiter(py, &core)
        })
        .map_err(|_| 500)
    }

    fn flow(&mut self) -> Flow {
        let mut e = self.ex.borrow_mut();
        let answer = e.wants_responder();
        let Some(inb) = e.inbound.as_mut() else {
            return Flow::Answer;
        };
        let f = if answer {
            Flow::Answer
        } else if !inb.asked || inb.queue.len() >= QUEUE_HIGH {
            Flow::Pause
        } else {
            Flow::Read
        };
        inb.paused = f == Flow::Pause;
        self.early = f == Flow::Answer;
        f
    }

    fn set_waker(&mut self, waker: BodyWaker) {
        if let Some(inb) = self.ex.borrow_mut().inbound.as_mut() {
            inb.waker = Some(waker);
        }
    }

    fn finish(&mut self, _req: &mut Request<'_>, res: &mut Response) {
        self.finished = true;
        let responder = res.defer();
        Python::attach(|py| {
            let core = self.core.borrow(py);
            let r = (|| {
                let waiter = {
                    let mut e = self.ex.borrow_mut();
                    match e.inbound.as_mut() {
                        Some(inb) if self.early => inb.cut(py, &core)?,
                        Some(inb) => {
                            inb.done = true;
                            inb.feed_waiter(py, &core)?;
                            None
                        }
                        None => None,
                    }
                };
                exchange::park_receive(py, &self.ex, &core, waiter)?;
                exchange::attach(py, &self.ex, &core, responder)
            })();
            if let Err(e) = r {
                e.print(py);
            }
        });
    }
}

impl Drop for AsgiSink {
    fn drop(&mut self) {
        if self.finished {
            return;
        }
        // The body never completed: the client went (or sent too much): the app sees a
        // disconnect.
        Python::attach(|py| {
            let core = self.core.borrow(py);
            let r = (|| {
                let waiter = {
                    let mut e = self.ex.borrow_mut();
                    e.inbound.as_mut().map(|i| i.cut(py, &core)).transpose()?
                };
                exchange::park_receive(py, &self.ex, &core, waiter.flatten())?;
                exchange::client_gone(py, &self.ex, &core)
            })();
            if let Err(e) = r {
                e.print(py);
            }
        });
    }
}
