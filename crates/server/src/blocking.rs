//! Blocking handlers ([`Builder::route_blocking`](crate::Builder::route_blocking)): the
//! request is copied out ([`OwnedRequest`]), the handler runs on a bounded pool of threads,
//! and its answer comes back through a [`Responder`](crate::Responder), the path every
//! deferred answer takes. When the pool's queue is full the request gets 503 at once; the
//! worker threads never wait for the pool. A full queue, a panic and an invalid response are
//! reported to the error hook with the route ([`crate::app_error`]).

use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex, OnceLock};

use crate::app_error::{failure, AppErrorKind};
use crate::defer::Responder;
use crate::request::{Request, Version};
use crate::response::Response;

/// A blocking handler.
pub(crate) type BlockingHandler = dyn Fn(&OwnedRequest, &mut Response) + Send + Sync + 'static;

/// A request copied out of the connection, for a handler on another thread.
///
/// # Examples
///
/// ```
/// use brisk_server::{Method, Server};
///
/// let mut b = Server::builder();
/// b.route_blocking(Method::Get, "/files/{name}", |req, res| {
///     let name = req.param("name").unwrap_or("");
///     res.text(format!("{} {name}", req.method()));
/// });
/// ```
#[derive(Debug, Clone)]
pub struct OwnedRequest {
    method: String,
    target: String,
    path_len: usize,
    version: Version,
    headers: Vec<(String, Vec<u8>)>,
    params: Vec<(String, String)>,
    body: Vec<u8>,
    peer: SocketAddr,
    client: SocketAddr,
}

impl OwnedRequest {
    /// Copies `req`.
    pub(crate) fn new(req: &Request<'_>) -> OwnedRequest {
        let target = match req.query() {
            Some(q) => format!("{}?{q}", req.path()),
            None => req.path().to_string(),
        };
        OwnedRequest {
            method: req.method().to_string(),
            target,
            path_len: req.path().len(),
            version: req.version(),
            headers: req
                .headers()
                .iter()
                .map(|h| {
                    (
                        String::from_utf8_lossy(h.name).to_ascii_lowercase(),
                        h.value.to_vec(),
                    )
                })
                .collect(),
            params: req
                .params()
                .iter()
                .map(|(n, v)| (n.to_string(), v.to_string()))
                .collect(),
            body: req.body().to_vec(),
            peer: req.peer_addr(),
            client: req.client_addr(),
        }
    }

    /// The method (`GET` for a HEAD request routed to a GET handler keeps `HEAD`).
    pub fn method(&self) -> &str {
        &self.method
    }

    /// The path, without the query.
    pub fn path(&self) -> &str {
        &self.target[..self.path_len]
    }

    /// The query, without `?`.
    pub fn query(&self) -> Option<&str> {
        self.target.get(self.path_len + 1..)
    }

    /// The protocol version.
    pub fn version(&self) -> Version {
        self.version
    }

    /// The first header field named `name` (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_slice())
    }

    /// A route parameter by name.
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body.
    pub fn body(&self) -> &[u8] {
        &self.body
    }

    /// The address of the connection's other end ([`Request::peer_addr`]).
    pub fn peer_addr(&self) -> SocketAddr {
        self.peer
    }

    /// The client's address as far as it can be trusted ([`Request::client_addr`]; worked
    /// out when the request was copied).
    pub fn client_addr(&self) -> SocketAddr {
        self.client
    }
}

struct Job {
    req: OwnedRequest,
    responder: Responder,
    handler: Arc<BlockingHandler>,
}

/// The bounded pool: `threads` threads (started on first use) share one queue of at most
/// `queue` jobs.
pub(crate) struct Pool {
    threads: usize,
    queue: usize,
    tx: OnceLock<SyncSender<Job>>,
}

impl std::fmt::Debug for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pool")
            .field("threads", &self.threads)
            .field("queue", &self.queue)
            .finish()
    }
}

/// Default pool size: twice the CPUs.
pub(crate) fn default_threads() -> usize {
    2 * std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Default queue bound.
pub(crate) const DEFAULT_QUEUE: usize = 1024;

impl Pool {
    pub(crate) fn new(threads: usize, queue: usize) -> Pool {
        Pool {
            threads: threads.max(1),
            queue,
            tx: OnceLock::new(),
        }
    }

    fn sender(&self) -> &SyncSender<Job> {
        self.tx.get_or_init(|| {
            let (tx, rx) = sync_channel::<Job>(self.queue);
            let rx = Arc::new(Mutex::new(rx));
            for i in 0..self.threads {
                let rx = Arc::clone(&rx);
                let _ = std::thread::Builder::new()
                    .name(format!("brisk-blocking-{i}"))
                    .spawn(move || run(&rx));
            }
            tx
        })
    }

    /// Runs `handler` for `req` on the pool, or answers 503 now when the queue is full.
    pub(crate) fn submit(
        &self,
        req: &Request<'_>,
        res: &mut Response,
        handler: &Arc<BlockingHandler>,
    ) {
        let job = Job {
            req: OwnedRequest::new(req),
            responder: res.defer(),
            handler: Arc::clone(handler),
        };
        match self.sender().try_send(job) {
            Ok(()) => {}
            Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => {
                job.responder.report(AppErrorKind::PoolFull);
                let mut busy = Response::new();
                busy.set_error(503);
                let _ = job.responder.send(busy);
            }
        }
    }
}

/// A pool thread: takes jobs until the pool is dropped.
fn run(rx: &Mutex<Receiver<Job>>) {
    loop {
        let job = {
            let rx = rx.lock().unwrap_or_else(|e| e.into_inner());
            match rx.recv() {
                Ok(j) => j,
                Err(_) => return,
            }
        };
        let mut res = Response::new();
        let ran = catch_unwind(AssertUnwindSafe(|| (job.handler)(&job.req, &mut res)));
        if let Some(kind) = failure(&ran, &res) {
            job.responder.report(kind);
            res.set_error(500);
        }
        let _ = job.responder.send(res);
    }
}
