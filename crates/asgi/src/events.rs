//! What the server's pushed-body callbacks tell the exchanges, queued: a callback only notes
//! `(exchange id, event)` and the worker acts on the notes after each turn (and right after
//! registering a callback that may have run at once).
//!
//! ```text
//!  BodyWriter::on_writable / on_close, Responder::on_close ──> Events::callback ──> queue
//!  Worker.turn (after EmbeddedServer::turn), send(), receive() ──> exchange::drain ──> the
//!        exchange: write its blocked chunk and resolve send()'s future, or resolve
//!        receive() with http.disconnect and fail a blocked send() with OSError
//! ```
//!
//! The callbacks must be `Send` and may run inside a turn, while the exchange's state is
//! borrowed elsewhere on the stack: noting instead of acting keeps them free of both problems
//! (the state is an `Rc<RefCell<..>>` of the loop thread).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

/// What happened to an exchange's output.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Event {
    /// Its pushed body's pipe has room again (or the client went).
    Writable,
    /// The client went (closed connection, reset stream) before the response was complete.
    Closed,
}

/// The queue of events, shared by the worker and the callbacks it registers.
#[derive(Clone, Default)]
pub(crate) struct Events {
    inner: Arc<Inner>,
}

#[derive(Default)]
struct Inner {
    /// Whether `queue` may hold something (checked without the lock after every turn).
    any: AtomicBool,
    queue: Mutex<Vec<(u64, Event)>>,
}

impl Events {
    /// A callback that notes `event` for exchange `id`.
    pub(crate) fn callback(&self, id: u64, event: Event) -> impl FnOnce() + Send + 'static {
        let inner = Arc::clone(&self.inner);
        move || {
            inner
                .queue
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push((id, event));
            inner.any.store(true, Ordering::Release);
        }
    }

    /// The events noted so far (empty, without locking, when there are none).
    pub(crate) fn take(&self) -> Vec<(u64, Event)> {
        if !self.inner.any.swap(false, Ordering::Acquire) {
            return Vec::new();
        }
        std::mem::take(&mut *self.inner.queue.lock().unwrap_or_else(|e| e.into_inner()))
    }
}
