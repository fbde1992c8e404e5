//! One request and its answer, whatever the protocol: the request is built here (one
//! [`Head::request`]), routed once (HEAD falls back to GET here and only here), and answered
//! by its handler, the custom fallback or the error policy (404, 405 with `Allow`, 308 to the
//! trailing-slash twin, 501 for unknown methods, 414 for paths the router refuses), with a
//! panic in any application code (handler, upload start, sink) caught as 500 in [`guard`].
//! Errors in application code are reported here, with the route, to the application's
//! error hook ([`crate::app_error`]); a good request pays one store (its route in the ticket).
//!
//! HTTP/1.1, HTTP/2 and upload starts all come through here; the protocol modules only move
//! bytes. The HEAD->GET rule is in the route table itself (see `head_routes` in
//! [`crate::server`]), so a HEAD request is one lookup like any other.
//!
//! A request whose body arrives later is routed when its head is in ([`route`]): the decision
//! is a [`Routed`] (a route and its params as spans of the path, or the miss answer), which
//! the protocol keeps with the body ([`BodyTo`]) and answers from ([`answer_routed`]), or an
//! upload's sink keeps ([`ActiveSink`]); nothing is routed again when the body is complete.

use std::any::Any;
use std::net::SocketAddr;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use brisk_http1::Header;
use brisk_router::{Match, MatchError, Method, MethodSet};

use crate::app::{App, Handler};
use crate::app_error::{failure, panic_message, AppErrorKind, ErrorLog, RouteId};
use crate::counters::{Proto, WorkerCounters};
use crate::request::{Headers, Params, Request, Version};
use crate::response::Response;
use crate::upload::{BodySink, BodyWaker, Flow, UploadStart};
use brisk_router::MAX_PARAMS;

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
    /// Trusted proxies, for [`Request::client_addr`].
    pub(crate) client: &'a crate::client_addr::ClientRules,
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
            client: self.client,
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
    NotAllowed(MethodSet),
    /// 308 to the path with its final `/` toggled.
    TrailingSlash,
}

/// What routing decided for a request, kept without borrowing the request or the router: a
/// protocol carries it while the body arrives and [`answer_routed`] answers from it.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Routed {
    /// The route `index` (a handler), with its params.
    Hit { index: usize, params: ParamSpans },
    /// No route takes it; the custom fallback does.
    Fallback,
    /// An error answer without running anything.
    Error(u16),
    /// 405: routes match the path for these methods only ([`brisk_router::MethodSet::bits`]).
    NotAllowed(u64),
    /// 308 to the path with its final `/` toggled.
    TrailingSlash,
}

/// A route's param values as spans (offset, length) of the request's path, in the order of
/// the route's params: the path is there again when the request is answered, so the params
/// are made again from it without routing.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ParamSpans {
    len: u8,
    spans: [(u32, u32); MAX_PARAMS],
}

impl ParamSpans {
    /// No params (the fallback's).
    const NONE: ParamSpans = ParamSpans {
        len: 0,
        spans: [(0, 0); MAX_PARAMS],
    };

    /// The spans of `hit`'s params in `path` (the path it matched).
    fn of(hit: &Match<'_, '_, usize>, path: &str) -> ParamSpans {
        let base = path.as_ptr() as usize;
        let mut p = ParamSpans {
            len: 0,
            spans: [(0, 0); MAX_PARAMS],
        };
        for (slot, (_, v)) in p.spans.iter_mut().zip(hit.params().iter()) {
            let at = (v.as_ptr() as usize).wrapping_sub(base);
            *slot = (at as u32, v.len() as u32);
            p.len += 1;
        }
        p
    }

    /// Puts the params of route `index` into `req` (whose path is the one they were found in).
    fn fill<'a>(&self, app: &'a App, index: usize, req: &mut Request<'a>) {
        let Some(names) = app.param_names.get(index) else {
            return;
        };
        let spans = self.spans[..usize::from(self.len)]
            .iter()
            .map(|&(at, len)| at as usize..(at + len) as usize);
        if let Some(p) = Params::from_spans(names, req.path, spans) {
            req.params = p;
        }
    }
}

/// Where the body of a request routed on its head goes, and what answers it once complete.
#[derive(Debug)]
pub(crate) enum BodyTo {
    /// An upload route's sink (it answers, with the route and params it kept).
    Sink(ActiveSink),
    /// The protocol's buffer; then [`answer_routed`] with this decision.
    Buffer(Routed),
}

impl BodyTo {
    /// The upload's sink, if the body goes to one.
    #[inline]
    pub(crate) fn sink(&mut self) -> Option<&mut ActiveSink> {
        match self {
            BodyTo::Sink(s) => Some(s),
            BodyTo::Buffer(_) => None,
        }
    }
}

/// How a request whose body has not arrived yet is to be answered (HTTP/1.1 decides this on
/// the head alone, so `100 Continue` is sent only when something will read the body).
#[derive(Debug)]
pub(crate) enum Start {
    /// Read the body (into an upload's sink or the buffer).
    Read(BodyTo),
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
        _ => Method::from_token(token.as_bytes()).ok(),
    }
}

/// Routes `m path` (the one place that does; counted in debug builds). (HEAD finds the GET
/// routes through the HEAD entries the builder added for them.)
#[inline(always)]
fn decide<'r, 'p>(
    app: &'r App,
    m: Method<'_>,
    path: &'p str,
    stats: &WorkerCounters,
) -> Decision<'r, 'p> {
    stats.routing();
    match app.router.at(m, path) {
        Ok(hit) => Decision::Hit(hit),
        Err(e) => miss(app, m, e),
    }
}

/// [`decide`] for a path no route takes for the method. Out of line: the hit path stays small.
///
/// The custom fallback answers only what would otherwise be 404: a path no route takes for
/// any method (whatever the request's method, so an extension method reaches it too, and also
/// where the path's trailing-slash twin has a route: no 308 then). A path that routes take
/// for other methods gets 405 with `Allow` (501 for an extension method), fallback or not.
#[cold]
#[inline(never)]
fn miss<'r, 'p>(app: &'r App, m: Method<'_>, e: MatchError) -> Decision<'r, 'p> {
    let standard = !matches!(m, Method::Other(_));
    match e {
        MatchError::MethodNotAllowed { allowed } if standard => Decision::NotAllowed(allowed),
        MatchError::MethodNotAllowed { .. } => Decision::Error(501),
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

/// Answers a complete request into `res` (which must have been reset, its ticket installed):
/// routes it once and runs its handler, the fallback or the error answer.
#[inline]
pub(crate) fn answer<'a>(
    app: &'a App,
    req: &mut Request<'a>,
    res: &mut Response,
    stats: &WorkerCounters,
) {
    answer_ends(app, req, res, stats);
}

/// [`answer`], returning true when the answer is an error the server found in the request
/// itself (400 for a method the router cannot take, 414, 501), after which an HTTP/1.1
/// connection closes. A status a handler or the fallback chose never is one (nor 404, 405,
/// 308): the status alone does not tell.
#[inline]
pub(crate) fn answer_ends<'a>(
    app: &'a App,
    req: &mut Request<'a>,
    res: &mut Response,
    stats: &WorkerCounters,
) -> bool {
    let Some(m) = router_method(req.method) else {
        res.set_error(400);
        return true;
    };
    match decide(app, m, req.path, stats) {
        Decision::Hit(hit) => {
            let index = *hit.value();
            push_params(req, &hit);
            let route = RouteId::handler(index, req.method);
            run_handler(app, &*app.handlers[index], route, req, res, stats);
            false
        }
        other => {
            let ends = matches!(other, Decision::Error(code) if code != 404);
            answer_miss(app, other, req, res, stats);
            ends
        }
    }
}

/// Routes a request once, on its head (its body is still to come): the decision to keep and
/// answer from with [`answer_routed`].
#[cold]
#[inline(never)]
pub(crate) fn route(app: &App, req: &Request<'_>, stats: &WorkerCounters) -> Routed {
    let Some(m) = router_method(req.method) else {
        return Routed::Error(400);
    };
    match decide(app, m, req.path, stats) {
        Decision::Hit(hit) => Routed::Hit {
            index: *hit.value(),
            params: ParamSpans::of(&hit, req.path),
        },
        Decision::Fallback => Routed::Fallback,
        Decision::Error(code) => Routed::Error(code),
        Decision::NotAllowed(allowed) => Routed::NotAllowed(allowed.bits()),
        Decision::TrailingSlash => Routed::TrailingSlash,
    }
}

/// [`answer`] for a request [`route`] routed already (`req` has the same path): runs its
/// handler with the params made again from their spans, the fallback or the error answer.
#[cold]
#[inline(never)]
pub(crate) fn answer_routed<'a>(
    app: &'a App,
    routed: Routed,
    req: &mut Request<'a>,
    res: &mut Response,
    stats: &WorkerCounters,
) {
    let d = match routed {
        Routed::Hit { index, params } => {
            params.fill(app, index, req);
            let route = RouteId::handler(index, req.method);
            return run_handler(app, &*app.handlers[index], route, req, res, stats);
        }
        Routed::Fallback => Decision::Fallback,
        Routed::Error(code) => Decision::Error(code),
        Routed::NotAllowed(bits) => Decision::NotAllowed(app.router.methods(bits)),
        Routed::TrailingSlash => Decision::TrailingSlash,
    };
    answer_miss(app, d, req, res, stats);
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
        Decision::Hit(_) => unreachable!("answered by `answer`"),
        Decision::Fallback => match &app.fallback {
            Some(f) => run_handler(app, &**f, RouteId::fallback(req.method), req, res, stats),
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
    req.params = hit.params().clone();
}

/// Runs a handler (the one place that does).
#[inline(always)]
fn run_handler(
    app: &App,
    handler: &Handler,
    route: RouteId,
    req: &mut Request<'_>,
    res: &mut Response,
    stats: &WorkerCounters,
) {
    run_app(app, route, req, res, stats, |req, res| handler(req, res));
}

/// Runs application code that answers into `res` (a handler, an upload's finish): its route
/// goes into the response first, so a [`Responder`](crate::Responder) taken out of it can
/// name the route; a panic or an invalid response is reported and becomes a 500.
#[inline(always)]
fn run_app<'a>(
    app: &App,
    route: RouteId,
    req: &mut Request<'a>,
    res: &mut Response,
    stats: &WorkerCounters,
    f: impl FnOnce(&mut Request<'a>, &mut Response),
) {
    res.set_route(route);
    let ran = guard(stats, || f(req, res));
    if let Some(kind) = failure(&ran, res) {
        failed(&app.errors, kind, req.method, route, res);
    }
}

/// Reports a failure of application code; the answer becomes a 500.
#[cold]
#[inline(never)]
fn failed(
    log: &ErrorLog,
    kind: AppErrorKind<'_>,
    method: &str,
    route: RouteId,
    res: &mut Response,
) {
    log.report(kind, method, route);
    res.set_error(500);
}

/// Runs application code, catching a panic (counted; its payload is the error). The one panic
/// guard.
#[inline]
pub(crate) fn guard<R>(
    stats: &WorkerCounters,
    f: impl FnOnce() -> R,
) -> Result<R, Box<dyn Any + Send>> {
    catch_unwind(AssertUnwindSafe(f)).inspect_err(|_| stats.panic())
}

/// A request whose body has not all arrived, routed `routed` on its head: decides whether the
/// body is read (and by an upload's sink), or the request is answered now into `res`.
#[cold]
#[inline(never)]
pub(crate) fn start<'a>(
    app: &'a App,
    routed: Routed,
    req: &mut Request<'a>,
    res: &mut Response,
    stats: &WorkerCounters,
) -> Start {
    match routed {
        Routed::Error(code) => Start::Error(code),
        Routed::NotAllowed(_) | Routed::TrailingSlash => {
            res.reset();
            answer_routed(app, routed, req, res, stats);
            Start::Answered
        }
        Routed::Hit { .. } | Routed::Fallback => match body_to(app, routed, req, stats) {
            Ok(to) => Start::Read(to),
            Err(code) => {
                res.reset();
                res.set_error(code);
                Start::Answered
            }
        },
    }
}

/// Where the body of a request routed `routed` goes: to an upload route's sink (its start
/// runs now, with the params in `req`), else to the protocol's buffer. `Err` with the status
/// an upload route refused the request with.
#[cold]
#[inline(never)]
pub(crate) fn body_to<'a>(
    app: &'a App,
    routed: Routed,
    req: &mut Request<'a>,
    stats: &WorkerCounters,
) -> Result<BodyTo, u16> {
    match routed {
        Routed::Hit { index, params } => {
            if let Some(up) = upload_of(app, index) {
                params.fill(app, index, req);
                let route = RouteId::handler(index, req.method);
                return start_sink(app, up, route, params, req, stats).map(BodyTo::Sink);
            }
        }
        Routed::Fallback => {
            if let Some(up) = app.fallback_upload.as_deref() {
                let route = RouteId::fallback(req.method);
                return start_sink(app, up, route, ParamSpans::NONE, req, stats).map(BodyTo::Sink);
            }
        }
        _ => {}
    }
    Ok(BodyTo::Buffer(routed))
}

/// The upload start of route `index`, if it is an upload route.
fn upload_of(app: &App, index: usize) -> Option<&UploadStart> {
    app.uploads.get(index)?.as_deref()
}

/// Whether an upload route takes a request routed `routed` with a declared body of `n` bytes
/// (past the buffered limit, within the upload limit).
#[cold]
#[inline(never)]
pub(crate) fn upload_takes(app: &App, routed: &Routed, n: u64) -> bool {
    n <= app.config.limits.max_upload_size
        && match *routed {
            Routed::Hit { index, .. } => upload_of(app, index).is_some(),
            Routed::Fallback => app.fallback_upload.is_some(),
            _ => false,
        }
}

/// A sink held by a connection while the body arrives, with what finishing it needs: its
/// route and params (as spans of the path, which the finishing request has again), and the
/// error log for a panic in its calls.
pub(crate) struct ActiveSink {
    sink: Box<dyn BodySink>,
    route: RouteId,
    params: ParamSpans,
    log: Arc<ErrorLog>,
}

impl std::fmt::Debug for ActiveSink {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ActiveSink")
            .field("route", &self.route)
            .finish()
    }
}

/// Runs the start of an upload (route `route`, its `params` in `req` already), a panic
/// being a 500.
fn start_sink(
    app: &App,
    start: &UploadStart,
    route: RouteId,
    params: ParamSpans,
    req: &mut Request<'_>,
    stats: &WorkerCounters,
) -> Result<ActiveSink, u16> {
    match guard(stats, || start(req)) {
        Ok(Ok(sink)) => Ok(ActiveSink {
            sink,
            route,
            params,
            log: Arc::clone(&app.errors),
        }),
        Ok(Err(code)) => Err(code),
        Err(p) => {
            app.errors
                .report(AppErrorKind::Panic(panic_message(&*p)), req.method, route);
            Err(500)
        }
    }
}

/// Lets an upload's sink answer the request once the body is complete (its route's params
/// filled in from the start, not routed again).
#[cold]
#[inline(never)]
pub(crate) fn finish_upload<'a>(
    app: &'a App,
    mut sink: ActiveSink,
    req: &mut Request<'a>,
    res: &mut Response,
    stats: &WorkerCounters,
) {
    let route = sink.route;
    sink.params.fill(app, route.index(), req);
    run_app(app, route, req, res, stats, |req, res| {
        sink.sink.finish(req, res)
    });
}

impl ActiveSink {
    /// Asks the sink what the connection does next; a panic in the sink answers now (the
    /// answer is then a 500, its `finish` having panicked likewise or not).
    pub(crate) fn flow(&mut self, stats: &WorkerCounters) -> Flow {
        match guard(stats, || self.sink.flow()) {
            Ok(f) => f,
            Err(p) => {
                let kind = AppErrorKind::Panic(panic_message(&*p));
                self.log.report_id(kind, self.route);
                Flow::Answer
            }
        }
    }

    /// Gives the sink its connection's waker.
    pub(crate) fn set_waker(&mut self, waker: BodyWaker, stats: &WorkerCounters) {
        if let Err(p) = guard(stats, || self.sink.set_waker(waker)) {
            let kind = AppErrorKind::Panic(panic_message(&*p));
            self.log.report_id(kind, self.route);
        }
    }

    /// Passes a piece of the body on; a panic in the sink is a 500.
    pub(crate) fn data(&mut self, piece: &[u8], stats: &WorkerCounters) -> Result<(), u16> {
        if piece.is_empty() {
            return Ok(());
        }
        match guard(stats, || self.sink.data(piece)) {
            Ok(r) => r,
            Err(p) => {
                let kind = AppErrorKind::Panic(panic_message(&*p));
                self.log.report_id(kind, self.route);
                Err(500)
            }
        }
    }
}

/// The status a protocol sends for `res` on `proto`, counted: informational answers are the
/// server's business (100-continue, 101), so a handler's is a 500.
#[inline(always)]
pub(crate) fn status(res: &mut Response, stats: &WorkerCounters, proto: Proto) -> u16 {
    let status = res.status_code();
    if status < 200 || res.by_server() || res.started().is_some() {
        return status_special(res, stats, proto);
    }
    stats.response(proto, status);
    status
}

/// [`status`] for an informational status, an answer the server made or a deferred one.
#[cold]
#[inline(never)]
fn status_special(res: &mut Response, stats: &WorkerCounters, proto: Proto) -> u16 {
    let mut status = res.status_code();
    if status < 200 {
        res.set_error(500);
        status = 500;
    }
    let took = res.started().map(|t| t.elapsed());
    stats.response_special(proto, status, took, res.by_server());
    status
}
