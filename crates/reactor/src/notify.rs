//! Notifications: [`ConnId`] names a connection, a [`Notifier`] asks its worker to call
//! [`Protocol::on_notify`](crate::Protocol::on_notify) on it, from any thread.
//!
//! Each worker has a *mailbox*: a lock-free MPSC queue (`std::sync::mpsc`) of ids, a "wake
//! pending" flag and the worker's `mio::Waker`. A notifier pushes its id, then sets the flag;
//! only the notifier that turns it from false to true writes to the waker. The worker clears
//! the flag before it drains the queue, so a burst of notifications between two of its turns
//! costs one wake. On the worker thread itself [`Context::notify_local`](crate::Context::notify_local)
//! pushes onto a plain `Vec` instead: no atomic, no wake.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender};
use std::sync::Arc;

/// The identity of one connection: its worker, its slot in that worker and the slot's
/// generation. `Copy`, `Send`, 12 bytes; it holds no borrow and keeps nothing alive.
///
/// The generation changes whenever the connection closes, so the id of a closed connection
/// never matches the connection that later reuses its slot: a notification for it is dropped
/// (and counted in [`WorkerStats::notify_stale`](crate::WorkerStats::notify_stale)).
///
/// # Examples
///
/// ```
/// # use brisk_reactor::{Action, ConnId, Context, Output, Protocol};
/// struct Remember(Option<ConnId>);
/// impl Protocol for Remember {
///     fn on_read(&mut self, cx: &mut Context<'_>, input: &[u8], _: &mut Output<'_>) -> (usize, Action) {
///         let id = cx.conn_id();
///         assert_eq!(id.worker(), cx.worker());
///         self.0 = Some(id); // hand it to another thread to answer later
///         (input.len(), Action::Keep)
///     }
/// }
/// # let _: &dyn Protocol = &Remember(None);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ConnId {
    pub(crate) worker: u32,
    pub(crate) key: u32,
    pub(crate) gen: u32,
}

impl ConnId {
    /// Index of the worker that owns the connection (the one to notify).
    ///
    /// # Examples
    ///
    /// ```
    /// # #[allow(dead_code)]
    /// # fn f(id: brisk_reactor::ConnId, handle: &brisk_reactor::Handle) {
    /// handle.notifier(id.worker()).notify(id);
    /// # }
    /// ```
    pub fn worker(&self) -> usize {
        self.worker as usize
    }

    /// The connection's slot in its worker. Slots are reused after a close (with a new
    /// generation, so the ids differ); useful in logs.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[allow(dead_code)]
    /// # fn f(id: brisk_reactor::ConnId) {
    /// let label = format!("conn {}/{}", id.worker(), id.slot());
    /// # let _ = label;
    /// # }
    /// ```
    pub fn slot(&self) -> usize {
        self.key as usize
    }
}

/// One worker's mailbox, shared by its notifiers.
#[derive(Debug)]
pub(crate) struct Mailbox {
    pub(crate) waker: mio::Waker,
    /// A wake was sent and the worker has not yet started draining.
    pending: AtomicBool,
    /// Wakes notifiers sent (one read-modify-write per wake, not per notification).
    wakes: AtomicU64,
    tx: Sender<ConnId>,
}

impl Mailbox {
    pub(crate) fn new(waker: mio::Waker) -> (Arc<Mailbox>, Receiver<ConnId>) {
        let (tx, rx) = std::sync::mpsc::channel();
        let m = Mailbox {
            waker,
            pending: AtomicBool::new(false),
            wakes: AtomicU64::new(0),
            tx,
        };
        (Arc::new(m), rx)
    }

    /// Worker side: was a notification wake pending? Clears the flag (before the worker
    /// drains, so that a notifier pushing after the drain wakes it again).
    pub(crate) fn take_pending(&self) -> bool {
        self.pending.swap(false, Ordering::AcqRel)
    }

    /// Wakes sent by notifiers so far.
    pub(crate) fn wakes(&self) -> u64 {
        self.wakes.load(Ordering::Relaxed)
    }
}

/// Sends notifications to one worker from any thread: [`notify`](Notifier::notify) queues a
/// [`ConnId`] and wakes the worker at most once per batch; the worker then calls
/// [`Protocol::on_notify`](crate::Protocol::on_notify) on that connection in one of its next
/// turns (if it is still open). `Send + Sync`, cheap to clone (one `Arc`).
///
/// Get one from [`Handle::notifier`](crate::Handle::notifier) or, on the worker thread, from
/// [`Context::notifier`](crate::Context::notifier). On the worker thread itself,
/// [`Context::notify_local`](crate::Context::notify_local) is cheaper.
///
/// # Costs
///
/// A notification is one push onto a lock-free queue (std's channel; it allocates one block
/// per 31 messages and frees it once drained) and one atomic swap; only the notifier that
/// finds no wake pending writes to the worker's eventfd. The worker drains the queue once per
/// turn.
///
/// # Examples
///
/// ```no_run
/// # use brisk_reactor::{Action, ConnId, Context, Output, Protocol, Reactor};
/// # use std::sync::mpsc;
/// // Answer later, from another thread.
/// struct Later(mpsc::Sender<ConnId>);
/// impl Protocol for Later {
///     fn on_read(&mut self, cx: &mut Context<'_>, input: &[u8], _: &mut Output<'_>) -> (usize, Action) {
///         self.0.send(cx.conn_id()).unwrap(); // "please compute the answer"
///         (input.len(), Action::Keep)
///     }
///     fn on_notify(&mut self, _: &mut Context<'_>, out: &mut Output<'_>) -> Action {
///         // The result is ready (a real protocol checks its own state: may be spurious).
///         let _ = out.extend_from_slice(b"done\n");
///         Action::Keep
///     }
/// }
/// # fn main() -> Result<(), brisk_reactor::Error> {
/// let (tx, rx) = mpsc::channel();
/// let handle = Reactor::new()
///     .bind("127.0.0.1:0".parse().unwrap())
///     .start(move |_| Later(tx.clone()))?;
/// let h = handle.clone();
/// std::thread::spawn(move || {
///     for id in rx {
///         h.notifier(id.worker()).notify(id);
///     }
/// });
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Notifier {
    mailbox: Arc<Mailbox>,
}

impl Notifier {
    pub(crate) fn new(mailbox: Arc<Mailbox>) -> Notifier {
        Notifier { mailbox }
    }

    /// Queues `id` for its worker and wakes the worker unless a wake is already pending.
    /// An id of another worker, or of a connection that has closed, is dropped by the worker.
    /// After the worker stopped, this does nothing.
    ///
    /// # Examples
    ///
    /// ```
    /// # #[allow(dead_code)]
    /// # fn f(id: brisk_reactor::ConnId, n: &brisk_reactor::Notifier) {
    /// n.notify(id);
    /// n.notify(id); // may coalesce into one `on_notify`
    /// # }
    /// ```
    pub fn notify(&self, id: ConnId) {
        let m = &*self.mailbox;
        if m.tx.send(id).is_err() {
            return;
        }
        // Release: the push above is visible to the worker that clears the flag.
        if !m.pending.swap(true, Ordering::AcqRel) {
            m.wakes.fetch_add(1, Ordering::Relaxed);
            // A failed wake means the worker is gone: nothing to do.
            let _ = m.waker.wake();
        }
    }
}
