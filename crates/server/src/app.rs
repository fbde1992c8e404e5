//! The application: routes, handlers and the dispatch policy (404, 405 + Allow, HEAD as GET,
//! 501 for unknown methods, panics caught as 500).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use brisk_router::{MatchError, Method, Router};

use crate::config::Config;
use crate::counters::WorkerCounters;
use crate::request::Request;
use crate::response::Response;
use crate::upload::{ActiveSink, UploadStart};

/// A request handler: runs on the worker thread, fills the response.
pub(crate) type Handler = dyn Fn(&mut Request<'_>, &mut Response) + Send + Sync + 'static;

/// Everything a worker needs to answer requests; shared read-only by all workers.
pub(crate) struct App {
    pub(crate) router: Router<usize>,
    pub(crate) handlers: Vec<Arc<Handler>>,
    /// For each handler, the start of its streaming body if it is an upload route.
    pub(crate) uploads: Vec<Option<Arc<UploadStart>>>,
    pub(crate) fallback: Option<Arc<Handler>>,
    pub(crate) config: Config,
}

impl std::fmt::Debug for App {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("App")
            .field("handlers", &self.handlers.len())
            .field("fallback", &self.fallback.is_some())
            .field("config", &self.config)
            .finish()
    }
}

/// What the dispatcher decided before running a handler.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Route {
    /// Run handler `i` (or the fallback when `usize::MAX`).
    Handler(usize),
    /// Answer with this error status without running anything.
    Error(u16),
    /// 405 with an Allow list computed at answer time.
    NotAllowed,
    /// 308 to the path with its final `/` toggled.
    TrailingSlash,
}

pub(crate) const FALLBACK: usize = usize::MAX;

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

fn is_standard(m: Method<'_>) -> bool {
    !matches!(m, Method::Extension(_))
}

impl App {
    /// Decides how a request is answered, from its method and path only (so it can be called
    /// before the body arrives: 100-continue is sent only when a handler will run).
    pub(crate) fn route(&self, method: &[u8], path: &str) -> Route {
        let Ok(m) = Method::from_bytes(method) else {
            return Route::Error(400);
        };
        match self.router.at(m, path) {
            Ok(hit) => Route::Handler(*hit.value()),
            Err(MatchError::MethodNotAllowed { allowed }) => {
                if m == Method::Head && allowed.contains(Method::Get) {
                    if let Ok(hit) = self.router.at(Method::Get, path) {
                        return Route::Handler(*hit.value());
                    }
                }
                if !is_standard(m) && self.fallback.is_none() {
                    return Route::Error(501);
                }
                match &self.fallback {
                    Some(_) => Route::Handler(FALLBACK),
                    None => Route::NotAllowed,
                }
            }
            Err(MatchError::NotFound { trailing_slash }) => {
                if self.fallback.is_some() {
                    Route::Handler(FALLBACK)
                } else if !is_standard(m) {
                    Route::Error(501)
                } else if trailing_slash && (m == Method::Get || m == Method::Head) {
                    Route::TrailingSlash
                } else {
                    Route::Error(404)
                }
            }
            Err(_) => Route::Error(414),
        }
    }

    /// Answers a complete request: routes it, runs the handler (catching a panic as 500) or
    /// writes the error answer into `res` (which must have been reset).
    pub(crate) fn handle<'a>(
        &'a self,
        req: &mut Request<'a>,
        res: &mut Response,
        stats: &WorkerCounters,
    ) {
        let Some(m) = router_method(req.method) else {
            res.set_error(400);
            return;
        };
        let path = req.path;
        let hit = match self.router.at(m, path) {
            Ok(hit) => Some(hit),
            Err(MatchError::MethodNotAllowed { allowed })
                if m == Method::Head && allowed.contains(Method::Get) =>
            {
                self.router.at(Method::Get, path).ok()
            }
            Err(_) => None,
        };
        if let Some(hit) = hit {
            for (name, value) in hit.params().iter() {
                req.params.push(name, value);
            }
            let handler = &self.handlers[*hit.value()];
            run(&**handler, req, res, stats);
            return;
        }
        self.miss(req, res, stats);
    }

    /// The handler index of the upload route (see [`crate::Builder::upload`]) that takes this
    /// method and path, if one does.
    pub(crate) fn upload_route(&self, method: &[u8], path: &str) -> Option<usize> {
        match self.route(method, path) {
            Route::Handler(i) => self.uploads.get(i)?.as_ref().map(|_| i),
            _ => None,
        }
    }

    /// Fills the route params of `req` and returns its handler index.
    fn params<'a>(&'a self, req: &mut Request<'a>) -> Option<usize> {
        let m = router_method(req.method)?;
        let hit = match self.router.at(m, req.path) {
            Ok(hit) => hit,
            Err(MatchError::MethodNotAllowed { allowed })
                if m == Method::Head && allowed.contains(Method::Get) =>
            {
                self.router.at(Method::Get, req.path).ok()?
            }
            Err(_) => return None,
        };
        for (name, value) in hit.params().iter() {
            req.params.push(name, value);
        }
        Some(*hit.value())
    }

    /// Starts the streaming body of a request for an upload route: its sink, or the status
    /// to answer with.
    pub(crate) fn start_upload<'a>(
        &'a self,
        req: &mut Request<'a>,
        stats: &WorkerCounters,
    ) -> Result<ActiveSink, u16> {
        let start = self
            .params(req)
            .and_then(|i| self.uploads.get(i)?.as_ref())
            .ok_or(500u16)?;
        crate::upload::start(&**start, req, stats)
    }

    /// Lets an upload's sink answer the request once the body is complete.
    pub(crate) fn finish_upload<'a>(
        &'a self,
        sink: ActiveSink,
        req: &mut Request<'a>,
        res: &mut Response,
        stats: &WorkerCounters,
    ) {
        let _ = self.params(req);
        sink.finish(req, res, stats);
    }

    /// [`App::handle`] for a request no route takes: the fallback, or the error answer (405
    /// with `Allow`, a 308 to the trailing-slash twin, ...). Out of line: the hit path stays small.
    #[cold]
    #[inline(never)]
    fn miss<'a>(&'a self, req: &mut Request<'a>, res: &mut Response, stats: &WorkerCounters) {
        let path = req.path;
        match self.route(req.method.as_bytes(), path) {
            Route::Handler(_) => match &self.fallback {
                Some(f) => run(&**f, req, res, stats),
                None => res.set_error(500),
            },
            Route::Error(code) => res.set_error(code),
            Route::NotAllowed => {
                res.set_error(405);
                if let Ok(m) = Method::from_bytes(req.method.as_bytes()) {
                    if let Err(MatchError::MethodNotAllowed { allowed }) =
                        self.router.at(m, req.path)
                    {
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
                }
            }
            Route::TrailingSlash => {
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
}

fn run(handler: &Handler, req: &mut Request<'_>, res: &mut Response, stats: &WorkerCounters) {
    let ran = catch_unwind(AssertUnwindSafe(|| handler(req, res)));
    if ran.is_err() {
        stats.panic();
        res.set_error(500);
    } else if res.is_invalid() {
        res.set_error(500);
    }
}
