//! One request and its answer, whatever the protocol: the request is built here (one
//! [`Head::request`]), routed once (HEAD falls back to GET here and only here), and answered
//! by its handler, the custom fallback or the error policy (404, 405 with `Allow`, 308 to the
//! trailing-slash twin, 501 for unknown methods, 414 for paths the router refuses), with a
//! panic in any application code (handler, upload start, sink) caught as 500 in [`guard`].
//!
//! HTTP/1.1, HTTP/2 and upload starts all come through here; the protocol modules only move
//! bytes. This is also the one place where a deferred answer will be taken out of an exchange
//! (see [`run_handler`], the seam for the `Responder`).

use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};

use brisk_http1::Header;
use brisk_router::{Match, MatchError, Method, MethodSet};

use crate::app::{App, Handler};
use crate::counters::WorkerCounters;
use crate::request::{Headers, Params, Request, Version};
use crate::response::Response;
use crate::upload::{ActiveSink, UploadStart};

/// Header slots per request (the parser fails with 431 beyond them).
pub(crate) const MAX_HEADER_SLOTS: usize = 128;

/// A request's head as a protocol read it: everything a [`Request`] holds but its body.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Head<'a> {
    pub(crate) method: &'a str,
    pub(crate) target: &'a str,
    pub(crate) path: &'a str,
    pub(crate) query: Option<&'a str>,
    pub(crate) version: Version,
    pub(crate) headers: &'a [Header<'a>],
    pub(crate) peer: SocketAddr,
}

impl<'a> Head<'a> {
    /// The request a handler sees, with `body` (empty while it has not arrived, or when it
    /// goes to an upload's sink).
    #[inline(always)]
    pub(crate) fn request(&self, body: &'a [u8]) -> Request<'a> {
        Request {
            method: self.method,
            target: self.target,
            path: self.path,
            query: self.query,
            version: self.version,
            headers: Headers::new(self.headers),
            params: Params::new(),
            body,
            peer: self.peer,
        }
    }
}

/// What routing decided for a request, before anything ran.
enum Decision<'r, 'p> {
    /// A route's handler, with its params.
    Hit(Match<'r, 'p, usize>),
    /// No route takes it; the custom fallback does.
    Fallback,
    /// An error answer without running anything.
    Error(u16),
    /// 405: routes match the path for these methods only.
    NotAllowed(MethodSet<'r>),
    /// 308 to the path with its final `/` toggled.
    TrailingSlash,
}

/// How a request whose body has not arrived yet is to be answered (HTTP/1.1 decides this on
/// the head alone, so `100 Continue` is sent only when something will read the body).
#[derive(Debug)]
pub(crate) enum Start {
    /// Read the body; with a sink for an upload route.
    Read(Option<ActiveSink>),
    /// A server error answer with this status (the connection cannot go on).
    Error(u16),
    /// Answered already (405, 308, an upload refused): the response is in `res`, the body
    /// stays unread.
    Answered,
}

/// The router's method for a request's method token: the common ones by a direct match (the
/// general parser is not inlined here, and this runs once per request).
#[inline(always)]
fn router_method(token: &str) -> Option<Method<'_>> {
    match token {
        "GET" => Some(Method::Get),
        "HEAD" => Some(Method::Head),
        "POST" => Some(Method::Post),
        _ => Method::from_bytes(token.as_bytes()).ok(),
    }
}

/// Routes `method path` once. The one HEAD->GET rule: a HEAD request to a path with a GET route
/// and no HEAD route runs the GET handler (the protocol then leaves the body out).
#[inline(always)]
fn decide<'r, 'p>(app: &'r App, method: &str, path: &'p str) -> Decision<'r, 'p> {
    let Some(m) = router_method(method) else {
        return Decision::Error(400);
    };
    match app.router.at(m, path) {
        Ok(hit) => Decision::Hit(hit),
        Err(e) => miss(app, m, path, e),
    }
}

/// [`decide`] for a path no route takes for the method. Out of line: the hit path stays small.
#[cold]
#[inline(never)]
fn miss<'r, 'p>(app: &'r App, m: Method<'_>, path: &'p str, e: MatchError<'r>) -> Decision<'r, 'p> {
    let standard = !matches!(m, Method::Extension(_));
    match e {
        MatchError::MethodNotAllowed { allowed } => {
            if m == Method::Head && allowed.contains(Method::Get) {
                if let Ok(hit) = app.router.at(Method::Get, path) {
                    return Decision::Hit(hit);
                }
            }
            if !standard && app.fallback.is_none() {
                return Decision::Error(501);
            }
            match &app.fallback {
                Some(_) => Decision::Fallback,
                None => Decision::NotAllowed(allowed),
            }
        }
        MatchError::NotFound { trailing_slash } => {
            if app.fallback.is_some() {
                Decision::Fallback
            } else if !standard {
                Decision::Error(501)
            } else if trailing_slash && (m == Method::Get || m == Method::Head) {
                Decision::TrailingSlash
            } else {
                Decision::Error(404)
            }
        }
        _ => Decision::Error(414),
    }
}

/// Answers a complete request into `res` (which must have been reset): routes it once and
/// runs its handler, the fallback or the error answer.
#[inline]
pub(crate) fn answer<'a>(
    app: &'a App,
    req: &mut Request<'a>,
    res: &mut Response,
    stats: &WorkerCounters,
) {
    match decide(app, req.method, req.path) {
        Decision::Hit(hit) => {
            push_params(req, &hit);
            run_handler(&*app.handlers[*hit.value()], req, res, stats);
        }
        other => answer_miss(app, other, req, res, stats),
    }
}

/// [`answer`] for every decision but a hit.
#[cold]
#[inline(never)]
fn answer_miss<'a>(
    app: &'a App,
    d: Decision<'a, 'a>,
    req: &mut Request<'a>,
    res: &mut Response,
    stats: &WorkerCounters,
) {
    match d {
        Decision::Hit(hit) => {
            push_params(req, &hit);
            run_handler(&*app.handlers[*hit.value()], req, res, stats);
        }
        Decision::Fallback => match &app.fallback {
            Some(f) => run_handler(&**f, req, res, stats),
            None => res.set_error(500),
        },
        Decision::Error(code) => res.set_error(code),
        Decision::NotAllowed(allowed) => {
            res.set_error(405);
            let mut list = String::new();
            for a in allowed.iter() {
                if !list.is_empty() {
                    list.push_str(", ");
                }
                list.push_str(a.as_str());
                if a == Method::Get && !allowed.contains(Method::Head) {
                    list.push_str(", HEAD");
                }
            }
            res.header("allow", list);
        }
        Decision::TrailingSlash => {
            let mut loc = String::with_capacity(req.target.len() + 1);
            match req.path.strip_suffix('/') {
                Some(p) => loc.push_str(p),
                None => {
                    loc.push_str(req.path);
                    loc.push('/');
                }
            }
            if let Some(q) = req.query {
                loc.push('?');
                loc.push_str(q);
            }
            res.redirect(308, &loc);
        }
    }
}

#[inline(always)]
fn push_params<'a>(req: &mut Request<'a>, hit: &Match<'a, 'a, usize>) {
    for (name, value) in hit.params().iter() {
        req.params.push(name, value);
    }
}

/// Runs a handler. The seam for deferred answers: this is where the exchange will hand a
/// `Responder` to the handler instead of answering from `res` when it returns; nothing else in
/// the crate runs handlers.
#[inline]
fn run_handler(
    handler: &Handler,
    req: &mut Request<'_>,
    res: &mut Response,
    stats: &WorkerCounters,
) {
    if guard(stats, || handler(req, res)).is_none() || res.is_invalid() {
        res.set_error(500);
    }
}

/// Runs application code, catching a panic (counted; `None`). The one panic guard.
#[inline]
pub(crate) fn guard<R>(stats: &WorkerCounters, f: impl FnOnce() -> R) -> Option<R> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => Some(r),
        Err(_) => {
            stats.panic();
            None
        }
    }
}

/// A request whose body has not all arrived: routes it once and decides whether the body is
/// read (and by an upload's sink), or the request is answered now into `res`.
#[cold]
#[inline(never)]
pub(crate) fn start<'a>(
    app: &'a App,
    req: &mut Request<'a>,
    res: &mut Response,
    stats: &WorkerCounters,
) -> Start {
    let index = match decide(app, req.method, req.path) {
        Decision::Hit(hit) => {
            push_params(req, &hit);
            *hit.value()
        }
        Decision::Fallback => return Start::Read(None),
        Decision::Error(code) => return Start::Error(code),
        d @ (Decision::NotAllowed(_) | Decision::TrailingSlash) => {
            res.reset();
            answer_miss(app, d, req, res, stats);
            return Start::Answered;
        }
    };
    match app.uploads.get(index) {
        Some(Some(up)) => match start_sink(&**up, req, stats) {
            Ok(sink) => Start::Read(Some(sink)),
            Err(code) => {
                res.reset();
                res.set_error(code);
                Start::Answered
            }
        },
        _ => Start::Read(None),
    }
}

/// For a request to an upload route: its sink, or the status the route refused it with.
/// `None` when no upload route takes the request.
#[cold]
#[inline(never)]
pub(crate) fn start_upload<'a>(
    app: &'a App,
    req: &mut Request<'a>,
    stats: &WorkerCounters,
) -> Option<Result<ActiveSink, u16>> {
    let Decision::Hit(hit) = decide(app, req.method, req.path) else {
        return None;
    };
    let up = app.uploads.get(*hit.value())?.as_ref()?;
    push_params(req, &hit);
    Some(start_sink(&**up, req, stats))
}

/// Whether an upload route takes a request with a declared body of `n` bytes (past the
/// buffered limit, within the upload limit).
#[cold]
#[inline(never)]
pub(crate) fn upload_takes(app: &App, method: &str, path: &str, n: u64) -> bool {
    n <= app.config.limits.max_upload_size
        && matches!(decide(app, method, path),
            Decision::Hit(hit) if app.uploads.get(*hit.value()).is_some_and(Option::is_some))
}

/// Runs an upload route's start, a panic being a 500.
fn start_sink(
    start: &UploadStart,
    req: &mut Request<'_>,
    stats: &WorkerCounters,
) -> Result<ActiveSink, u16> {
    match guard(stats, || start(req)) {
        Some(Ok(sink)) => Ok(ActiveSink(sink)),
        Some(Err(code)) => Err(code),
        None => Err(500),
    }
}

/// Lets an upload's sink answer the request once the body is complete (its route's params
/// filled in first).
#[cold]
#[inline(never)]
pub(crate) fn finish_upload<'a>(
    app: &'a App,
    mut sink: ActiveSink,
    req: &mut Request<'a>,
    res: &mut Response,
    stats: &WorkerCounters,
) {
    if let Decision::Hit(hit) = decide(app, req.method, req.path) {
        push_params(req, &hit);
    }
    if guard(stats, || sink.0.finish(req, res)).is_none() || res.is_invalid() {
        res.set_error(500);
    }
}

impl ActiveSink {
    /// Passes a piece of the body on; a panic in the sink is a 500.
    pub(crate) fn data(&mut self, piece: &[u8], stats: &WorkerCounters) -> Result<(), u16> {
        if piece.is_empty() {
            return Ok(());
        }
        guard(stats, || self.0.data(piece)).unwrap_or(Err(500))
    }
}

/// The status a protocol sends for `res`, counted: informational answers are the server's
/// business (100-continue, 101), so a handler's is a 500.
#[inline]
pub(crate) fn status(res: &mut Response, stats: &WorkerCounters) -> u16 {
    let mut status = res.status_code();
    if status < 200 {
        res.set_error(500);
        status = 500;
    }
    stats.response(status);
    status
}
