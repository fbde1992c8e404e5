//! Deferred answers: the [`Responder`] a handler takes out of its exchange, and the way its
//! completion travels back to the worker that owns the connection.
//!
//! ```text
//!  other thread ──Responder::send──> worker's Mailbox (Mutex<Vec>) ──Notifier (one wake per batch)──┐
//!  worker thread ──Responder::send──> thread-local inbox by conn slot + Context::notify_local ─────────┤
//!                                                                                                    v
//!                 Protocol::on_notify: take this connection's completions -> exchange -> Output
//! ```
//!
//! A [`Responder`] holds only ids (server, [`ConnId`], exchange id): the HTTP/1.1 request's
//! sequence number on its connection, or the HTTP/2 stream id. On the worker thread a
//! completion is pushed to a thread-local list indexed by the connection's slot (no atomic
//! read-modify-write, no wake, no allocation once the lists have grown). From another thread it
//! goes to the worker's mailbox, found through a process-wide registry by the server's index,
//! and the worker is woken by the reactor's [`Notifier`]. A completion for a connection that
//! has closed (or whose slot now holds another connection) is dropped: the reactor drops
//! notifications for stale ids, and the inbox checks the generation.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};

use brisk_reactor::{ConnId, Context, Notifier};

use crate::response::Response;

/// Where an exchange's answer goes: installed in the [`Response`] before the handler runs.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ticket {
    pub(crate) conn: ConnId,
    pub(crate) xid: u64,
    /// The route the exchange was dispatched to (set by the exchange once it has routed).
    pub(crate) route: crate::app_error::RouteId,
}

/// A completed answer on its way to the owning worker, or (`res` is `None`) a wake for the
/// exchange's pushed body: its producer wrote into a pipe the connection waits on.
pub(crate) struct Completion {
    pub(crate) conn: ConnId,
    pub(crate) xid: u64,
    pub(crate) res: Option<Response>,
}

/// A callback run on the worker thread when an exchange's client goes.
pub(crate) type Callback = Box<dyn FnOnce() + Send + 'static>;

/// Runs an application callback on the worker thread: a panic in it is contained (like a
/// handler's), so the worker and its other connections go on.
pub(crate) fn run_callback(f: Callback) {
    let _ = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
}

/// Exchanges whose client has gone while their `Responder` is out, and the close callbacks
/// of exchanges still waiting ([`Responder::on_close`]).
#[derive(Default)]
struct Book {
    gone: HashSet<(ConnId, u64)>,
    watch: HashMap<(ConnId, u64), Vec<Callback>>,
}

/// One worker's inbox for completions from other threads, and its exchanges whose client
/// has gone while their `Responder` is still out.
#[derive(Default)]
struct Mailbox {
    queue: Mutex<Vec<Completion>>,
    notifier: OnceLock<Notifier>,
    /// (connection, exchange) pairs whose client has gone (closed socket, RST_STREAM): an
    /// entry lives until its `Responder` sends (which then fails) or drops. Beside them, the
    /// close callbacks of waiting exchanges.
    book: Mutex<Book>,
    /// `book.gone.len() + book.watch.len()`, read without the lock (a plain load) so a live
    /// exchange without callbacks pays no lock.
    gone_len: AtomicUsize,
}

impl Mailbox {
    /// Whether the exchange's client has gone; with `claim`, also forgets it (the responder
    /// is being used up).
    #[inline]
    fn is_gone(&self, t: &Ticket, claim: bool) -> bool {
        if self.gone_len.load(Ordering::Acquire) == 0 {
            return false;
        }
        self.is_gone_slow(t, claim)
    }

    #[cold]
    #[inline(never)]
    fn is_gone_slow(&self, t: &Ticket, claim: bool) -> bool {
        let mut g = self.book();
        let key = (t.conn, t.xid);
        if !claim {
            return g.gone.contains(&key);
        }
        let was = g.gone.remove(&key);
        g.watch.remove(&key);
        self.gone_len.store(g.len(), Ordering::Release);
        was
    }

    fn book(&self) -> std::sync::MutexGuard<'_, Book> {
        self.book.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl Book {
    fn len(&self) -> usize {
        self.gone.len() + self.watch.len()
    }
}

/// One running server's mailboxes, one per worker.
pub(crate) struct Shared {
    id: u32,
    workers: Vec<Mailbox>,
    /// [`crate::Limits::push_buffer`].
    push_buffer: usize,
}

impl Shared {
    /// The server's index (also its index in [`crate::app_error`]'s registry).
    pub(crate) fn id(&self) -> u32 {
        self.id
    }
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("id", &self.id)
            .field("workers", &self.workers.len())
            .finish()
    }
}

/// Every server started in this process, by index (a few words each; never removed, so an
/// index held by a late [`Responder`] stays valid).
static REGISTRY: RwLock<Vec<Arc<Shared>>> = RwLock::new(Vec::new());

/// Registers a server with `workers` workers and pushed bodies of `push_buffer` bytes.
pub(crate) fn register(workers: usize, push_buffer: usize) -> Arc<Shared> {
    let mut reg = REGISTRY.write().unwrap_or_else(|e| e.into_inner());
    let shared = Arc::new(Shared {
        id: reg.len() as u32,
        workers: (0..workers).map(|_| Mailbox::default()).collect(),
        push_buffer,
    });
    reg.push(Arc::clone(&shared));
    shared
}

/// The worker thread's side.
struct Local {
    /// (server, worker) this thread serves, if it is a worker.
    home: Cell<Option<(u32, u32)>>,
    shared: RefCell<Option<Arc<Shared>>>,
    /// Something to do after the current callback: connections to notify, or a deferral whose
    /// worker may still need its notifier recorded.
    pending: Cell<bool>,
    notes: RefCell<Vec<ConnId>>,
    /// Completions by connection slot.
    inbox: RefCell<Vec<Vec<Completion>>>,
}

thread_local! {
    static LOCAL: Local = const {
        Local {
            home: Cell::new(None),
            shared: RefCell::new(None),
            pending: Cell::new(false),
            notes: RefCell::new(Vec::new()),
            inbox: RefCell::new(Vec::new()),
        }
    };
}

/// Marks this thread as worker `worker` of `shared`'s server.
pub(crate) fn init(shared: &Arc<Shared>, worker: usize) {
    LOCAL.with(|l| {
        l.home.set(Some((shared.id, worker as u32)));
        *l.shared.borrow_mut() = Some(Arc::clone(shared));
        l.notes.borrow_mut().clear();
        l.inbox.borrow_mut().clear();
    });
}

/// Records this worker's [`Notifier`] for other threads' completions: called on each
/// connection's first read, so it is there before any handler on the worker can defer.
#[cold]
#[inline(never)]
pub(crate) fn ensure_notifier(cx: &Context<'_>) {
    LOCAL.with(|l| {
        if let Some(m) = l
            .shared
            .borrow()
            .as_ref()
            .and_then(|s| s.workers.get(cx.worker()))
        {
            if m.notifier.get().is_none() {
                let _ = m.notifier.set(cx.notifier());
            }
        }
    });
}

/// After a protocol callback: hands completions made on this thread to the reactor
/// ([`Context::notify_local`]) and records the worker's notifier once it deferred anything.
/// One thread-local flag check when there is nothing to do.
#[inline(always)]
pub(crate) fn after_callback(cx: &mut Context<'_>) {
    LOCAL.with(|l| {
        if l.pending.get() {
            after_slow(l, cx);
        }
    });
}

#[cold]
#[inline(never)]
fn after_slow(l: &Local, cx: &mut Context<'_>) {
    l.pending.set(false);
    if let Some(s) = l.shared.borrow().as_ref() {
        if let Some(m) = s.workers.get(cx.worker()) {
            if m.notifier.get().is_none() {
                let _ = m.notifier.set(cx.notifier());
            }
        }
    }
    let mut notes = l.notes.borrow_mut();
    for id in notes.drain(..) {
        cx.notify_local(id);
    }
}

/// Between turns of an embedded worker: hands `f` the connections whose answers were sent on
/// this thread outside any reactor callback (by a task of the foreign loop), which no
/// [`after_callback`] will flush. Returns whether there were any.
pub(crate) fn drain_stranded(mut f: impl FnMut(ConnId)) -> bool {
    LOCAL.with(|l| {
        if !l.pending.replace(false) {
            return false;
        }
        let mut notes = l.notes.borrow_mut();
        let any = !notes.is_empty();
        for id in notes.drain(..) {
            f(id);
        }
        any
    })
}

/// Whether answers sent on this thread between turns wait for [`drain_stranded`].
pub(crate) fn has_stranded() -> bool {
    LOCAL.with(|l| l.pending.get() && !l.notes.borrow().is_empty())
}

/// Takes the next completion for connection `me` (a stale one for an earlier connection in
/// the same slot is dropped). Moves the worker's cross-thread mailbox into the inbox first.
pub(crate) fn take(me: ConnId) -> Option<Completion> {
    LOCAL.with(|l| {
        collect_mailbox(l);
        loop {
            let c = {
                let mut inbox = l.inbox.borrow_mut();
                inbox.get_mut(me.slot()).and_then(Vec::pop)?
            };
            if c.conn == me {
                return Some(c);
            }
            // Stale: dropped here, outside the borrow.
            drop(c);
        }
    })
}

/// Moves what other threads sent to this worker into the inbox.
fn collect_mailbox(l: &Local) {
    let Some((_, worker)) = l.home.get() else {
        return;
    };
    let shared = l.shared.borrow();
    let Some(m) = shared.as_ref().and_then(|s| s.workers.get(worker as usize)) else {
        return;
    };
    let mut q = m.queue.lock().unwrap_or_else(|e| e.into_inner());
    if q.is_empty() {
        return;
    }
    let mut inbox = l.inbox.borrow_mut();
    for c in q.drain(..) {
        push_inbox(&mut inbox, c);
    }
}

fn push_inbox(inbox: &mut Vec<Vec<Completion>>, c: Completion) {
    let slot = c.conn.slot();
    if inbox.len() <= slot {
        inbox.resize_with(slot + 1, Vec::new);
    }
    inbox[slot].push(c);
}

/// Runs `f` with the mailbox of the worker owning `conn` in server `server`, if any.
fn with_mailbox<R>(server: u32, conn: ConnId, f: impl FnOnce(&Mailbox) -> R) -> Option<R> {
    let local = LOCAL.with(|l| {
        if l.home.get().map(|(s, _)| s) != Some(server) {
            return None;
        }
        l.shared.borrow().as_ref().map(Arc::clone)
    });
    let shared = match local {
        Some(s) => s,
        None => {
            let reg = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
            Arc::clone(reg.get(server as usize)?)
        }
    };
    shared.workers.get(conn.worker()).map(f)
}

/// On the worker thread, when a connection closes or a stream is reset: the exchanges `xids`
/// of connection `me` whose answer is still to come. Their responders learn it
/// ([`Responder::is_closed`]), and their sends fail; completions already on their way are
/// dropped here.
pub(crate) fn forget(me: ConnId, xids: &mut dyn Iterator<Item = u64>) {
    LOCAL.with(|l| {
        collect_mailbox(l);
        // Completions that arrived but were not taken: their responders are used up.
        // (Entries of earlier connections in this slot are stale: all go.)
        let dropped: Vec<Completion> = l
            .inbox
            .borrow_mut()
            .get_mut(me.slot())
            .map(std::mem::take)
            .unwrap_or_default();
        let arrived: Vec<u64> = dropped
            .iter()
            .filter(|c| c.conn == me && c.res.is_some())
            .map(|c| c.xid)
            .collect();
        // (A dropped pushed body closes its pipe, which runs its close callbacks.)
        drop(dropped);
        let shared = l.shared.borrow().as_ref().map(Arc::clone);
        let Some(m) = shared.as_ref().and_then(|s| s.workers.get(me.worker())) else {
            return;
        };
        let mut fire: Vec<Callback> = Vec::new();
        {
            let mut g = m.book();
            for xid in xids {
                if !arrived.contains(&xid) {
                    g.gone.insert((me, xid));
                    if let Some(cbs) = g.watch.remove(&(me, xid)) {
                        fire.extend(cbs);
                    }
                }
            }
            m.gone_len.store(g.len(), Ordering::Release);
        }
        // Outside the lock: a callback may use its responder.
        for f in fire {
            run_callback(f);
        }
    });
}

/// The shared state of server `server`, on its worker threads without the registry's lock.
fn shared_of(server: u32) -> Option<Arc<Shared>> {
    let local = LOCAL.with(|l| {
        if l.home.get().map(|(s, _)| s) != Some(server) {
            return None;
        }
        l.shared.borrow().as_ref().map(Arc::clone)
    });
    local.or_else(|| {
        let reg = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
        reg.get(server as usize).map(Arc::clone)
    })
}

/// [`crate::Limits::push_buffer`] of server `server` (the default for a detached one).
pub(crate) fn push_buffer(server: u32) -> usize {
    shared_of(server).map_or(64 * 1024, |s| s.push_buffer.max(1))
}

/// Uses up `t` for a pushed body: `Err(Closed)` if its client has gone, else the close
/// callbacks registered on its responder, which move to the body's pipe.
pub(crate) fn claim_for_push(server: u32, t: &Ticket) -> Result<Vec<Callback>, SendError> {
    let got = with_mailbox(server, t.conn, |m| {
        let mut g = m.book();
        let key = (t.conn, t.xid);
        let r = if g.gone.remove(&key) {
            g.watch.remove(&key);
            Err(SendError::Closed)
        } else {
            Ok(g.watch.remove(&key).unwrap_or_default())
        };
        m.gone_len.store(g.len(), Ordering::Release);
        r
    });
    got.unwrap_or(Err(SendError::Detached))
}

/// After a pushed body's head was delivered: true if the client went in the meantime (the
/// mark is used up; the caller closes the pipe).
pub(crate) fn went_since(server: u32, t: &Ticket) -> bool {
    with_mailbox(server, t.conn, |m| m.is_gone(t, true)) == Some(true)
}

/// Registers `f` to run when `t`'s client goes; runs it now (on this thread) if it has.
pub(crate) fn watch(server: u32, t: &Ticket, f: Callback) {
    let now = with_mailbox(server, t.conn, |m| {
        let mut g = m.book();
        let key = (t.conn, t.xid);
        if g.gone.contains(&key) {
            return Some(f);
        }
        g.watch.entry(key).or_default().push(f);
        m.gone_len.store(g.len(), Ordering::Release);
        None
    });
    match now {
        Some(None) => {}
        Some(Some(f)) => f(),
        // No such server: detached, so closed.
        None => {}
    }
}

/// Delivers `res` as the answer to exchange `t` (a pushed body's head).
pub(crate) fn deliver_answer(server: u32, t: &Ticket, res: Response) {
    deliver(
        server,
        Completion {
            conn: t.conn,
            xid: t.xid,
            res: Some(res),
        },
    );
}

/// True on a worker thread of server `server` (where blocking would stall the connections).
pub(crate) fn on_worker(server: u32) -> bool {
    LOCAL.with(|l| l.home.get().is_some_and(|(s, _)| s == server))
}

/// Wakes connection `conn` for its exchange `xid`'s pushed body (the producer wrote into a
/// pipe the connection waits on): on its worker thread a thread-local note, from another
/// thread the worker's mailbox and one reactor wake.
pub(crate) fn wake(server: u32, conn: ConnId, xid: u64) {
    deliver(
        server,
        Completion {
            conn,
            xid,
            res: None,
        },
    );
}

/// Delivers a completion to the worker owning its connection.
fn deliver(server: u32, c: Completion) {
    let here = LOCAL.with(|l| {
        if l.home.get() != Some((server, c.conn.worker() as u32)) {
            return Some(c);
        }
        let id = c.conn;
        push_inbox(&mut l.inbox.borrow_mut(), c);
        l.notes.borrow_mut().push(id);
        l.pending.set(true);
        None
    });
    let Some(c) = here else {
        return;
    };
    let shared = {
        let reg = REGISTRY.read().unwrap_or_else(|e| e.into_inner());
        match reg.get(server as usize) {
            Some(s) => Arc::clone(s),
            None => return,
        }
    };
    let Some(m) = shared.workers.get(c.conn.worker()) else {
        return;
    };
    let id = c.conn;
    m.queue.lock().unwrap_or_else(|e| e.into_inner()).push(c);
    if let Some(n) = m.notifier.get() {
        n.notify(id);
    }
}

/// Why [`Responder::send`] did not deliver an answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SendError {
    /// The client has gone (closed its connection, reset the stream) or the handler timeout
    /// answered 503 first: nothing was sent.
    Closed,
    /// The responder was not taken from a live exchange (a second
    /// [`Response::defer`] of the same exchange, or a response made outside a server).
    Detached,
}

impl fmt::Display for SendError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SendError::Closed => f.write_str("the client has gone or the exchange timed out"),
            SendError::Detached => f.write_str("responder is not attached to an exchange"),
        }
    }
}

impl std::error::Error for SendError {}

/// The right to answer one request later, from any thread: taken out of the exchange with
/// [`Response::defer`], finished with [`Responder::send`]. `Send + 'static`; holds only ids.
/// Dropped without an answer, it answers 500. A completion for a connection that has closed
/// in the meantime is dropped.
///
/// HTTP/1.1 answers leave in request order (a later answer waits behind an earlier deferred
/// one); HTTP/2 streams complete in any order.
///
/// Instead of a whole answer, [`Responder::start`] sends the head now and returns a
/// [`BodyWriter`](crate::BodyWriter) the body is pushed through; [`Responder::on_close`] learns
/// of a client that goes while the answer is still to come.
///
/// # Examples
///
/// ```
/// use brisk_server::{Method, Response, Server};
///
/// let mut b = Server::builder();
/// b.route(Method::Get, "/later", |_req, res| {
///     let r = res.defer();
///     std::thread::spawn(move || {
///         let mut answer = Response::new();
///         answer.text("done");
///         let _ = r.send(answer);
///     });
/// });
/// ```
pub struct Responder {
    pub(crate) server: u32,
    pub(crate) ticket: Option<Ticket>,
    /// When the handler deferred (for the request duration histogram).
    started: std::time::Instant,
}

impl fmt::Debug for Responder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Responder")
            .field("attached", &self.ticket.is_some())
            .finish()
    }
}

impl Responder {
    /// A responder for `ticket`, on a worker thread.
    pub(crate) fn new(ticket: Option<Ticket>) -> Responder {
        let server = LOCAL.with(|l| {
            l.pending.set(true);
            l.home.get().map_or(u32::MAX, |(s, _)| s)
        });
        Responder {
            server,
            ticket,
            started: std::time::Instant::now(),
        }
    }

    /// Finishes the response: status, headers and body as set on `res` (an invalid one, as
    /// a handler's, is a 500, reported to [`Builder::on_app_error`](crate::Builder::on_app_error)).
    ///
    /// # Errors
    ///
    /// [`SendError::Detached`] if this responder belongs to no exchange.
    ///
    /// # Examples
    ///
    /// ```
    /// # let r = brisk_server::Response::new().defer();
    /// let mut res = brisk_server::Response::new();
    /// res.status(201).text("created");
    /// match r.send(res) {
    ///     Ok(()) => {}
    ///     // This one was made outside a server.
    ///     Err(e) => assert_eq!(e, brisk_server::SendError::Detached),
    /// }
    /// ```
    pub fn send(mut self, mut res: Response) -> Result<(), SendError> {
        let t = self.ticket.take().ok_or(SendError::Detached)?;
        if with_mailbox(self.server, t.conn, |m| m.is_gone(&t, true)) == Some(true) {
            return Err(SendError::Closed);
        }
        if let Some(kind) = crate::app_error::failure(&Ok(()), &res) {
            crate::app_error::report_from(self.server, t.route, kind);
            res.set_error(500);
        }
        res.set_started(self.started);
        deliver(
            self.server,
            Completion {
                conn: t.conn,
                xid: t.xid,
                res: Some(res),
            },
        );
        Ok(())
    }
}

impl Responder {
    /// True once the client is gone: its connection closed, it reset the stream (HTTP/2), or
    /// the handler timeout answered 503 already. A send would fail with
    /// [`SendError::Closed`]. A detached responder is closed.
    ///
    /// # Examples
    ///
    /// ```
    /// # let r = brisk_server::Response::new().defer();
    /// if r.is_closed() {
    ///     return; // stop the work: nobody waits for it
    /// }
    /// ```
    pub fn is_closed(&self) -> bool {
        match &self.ticket {
            Some(t) => with_mailbox(self.server, t.conn, |m| m.is_gone(t, false)).unwrap_or(true),
            None => true,
        }
    }
}

impl Responder {
    /// Reports an application error of this responder's exchange (before answering it).
    pub(crate) fn report(&self, kind: crate::AppErrorKind<'_>) {
        if let Some(t) = &self.ticket {
            crate::app_error::report_from(self.server, t.route, kind);
        }
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        if let Some(t) = self.ticket.take() {
            if with_mailbox(self.server, t.conn, |m| m.is_gone(&t, true)) == Some(true) {
                return;
            }
            crate::app_error::report_from(self.server, t.route, crate::AppErrorKind::Dropped);
            let mut res = Response::new();
            res.set_error(500);
            deliver(
                self.server,
                Completion {
                    conn: t.conn,
                    xid: t.xid,
                    res: Some(res),
                },
            );
        }
    }
}
