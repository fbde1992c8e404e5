//! Errors in application code, reported with the route they happened on
//! ([`Builder::on_app_error`](crate::Builder::on_app_error)): a handler panic, a
//! [`Responder`](crate::Responder) dropped without an answer, a handler timeout, a full
//! blocking pool, an invalid response. Each is answered by the server (500 or 503) and
//! reported here once; a request answered normally never comes here.
//!
//! The route travels as a [`RouteId`] (two words, no borrow): in the exchange's
//! [`Ticket`](crate::defer::Ticket), so a `Responder` dropped on any thread can still say
//! which route it belonged to. The hook of a running server is found through a process-wide
//! registry by the server's index (the one [`crate::defer`] uses), held weakly: once the
//! server's application is gone, late reports are dropped.

use std::any::Any;
use std::fmt;
use std::sync::{Arc, RwLock, Weak};

use brisk_router::RouteMethod;

/// What went wrong, and what the server answered instead.
///
/// # Examples
///
/// ```
/// use brisk_server::AppErrorKind;
///
/// assert_eq!(AppErrorKind::Panic(Some("boom")).status(), 500);
/// assert_eq!(AppErrorKind::PoolFull.status(), 503);
/// assert_eq!(AppErrorKind::Dropped.to_string(), "responder dropped without an answer");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AppErrorKind<'a> {
    /// The handler (or an upload route's start or sink, or a blocking handler) panicked,
    /// with the panic's message when it was a `&str` or a `String`. Answered 500.
    Panic(Option<&'a str>),
    /// A [`Responder`](crate::Responder) was dropped without sending an answer (and the client
    /// was still there). Answered 500.
    Dropped,
    /// A deferred answer did not come within [`Timeouts::handler`](crate::Timeouts::handler).
    /// Answered 503.
    Timeout,
    /// The queue of the blocking pool ([`Builder::route_blocking`](crate::Builder::route_blocking))
    /// was full. Answered 503.
    PoolFull,
    /// The handler's response was invalid (a header name that is not a token or a value with
    /// CR, LF or NUL, an informational status). Answered 500.
    InvalidResponse,
}

impl AppErrorKind<'_> {
    /// The status the client was answered with.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(brisk_server::AppErrorKind::Timeout.status(), 503);
    /// ```
    pub fn status(&self) -> u16 {
        match self {
            AppErrorKind::Timeout | AppErrorKind::PoolFull => 503,
            _ => 500,
        }
    }
}

impl fmt::Display for AppErrorKind<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppErrorKind::Panic(Some(m)) => write!(f, "handler panicked: {m}"),
            AppErrorKind::Panic(None) => f.write_str("handler panicked"),
            AppErrorKind::Dropped => f.write_str("responder dropped without an answer"),
            AppErrorKind::Timeout => f.write_str("handler timeout"),
            AppErrorKind::PoolFull => f.write_str("blocking pool full"),
            AppErrorKind::InvalidResponse => f.write_str("invalid response"),
        }
    }
}

/// The route a request was dispatched to.
///
/// # Examples
///
/// ```
/// use brisk_server::AppRoute;
///
/// assert_eq!(AppRoute::Pattern("/users/{id}").to_string(), "/users/{id}");
/// assert_eq!(AppRoute::Fallback.to_string(), "(fallback)");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum AppRoute<'a> {
    /// A route, by its pattern as given to [`Builder::route`](crate::Builder::route).
    Pattern(&'a str),
    /// The [`Builder::fallback`](crate::Builder::fallback) handler.
    Fallback,
    /// Not known (a responder made outside a route's handler).
    Unknown,
}

impl fmt::Display for AppRoute<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            AppRoute::Pattern(p) => f.write_str(p),
            AppRoute::Fallback => f.write_str("(fallback)"),
            AppRoute::Unknown => f.write_str("(no route)"),
        }
    }
}

/// An error in application code, as given to the hook of
/// [`Builder::on_app_error`](crate::Builder::on_app_error). Displayed as one line:
/// `GET /users/{id}: handler panicked: boom (answered 500)`.
///
/// # Examples
///
/// ```
/// use brisk_server::{AppErrorKind, AppRoute};
///
/// let mut b = brisk_server::Server::builder();
/// b.on_app_error(|e| {
///     // Panics of one route are expected here; everything else goes to stderr.
///     let expected = matches!(e.kind, AppErrorKind::Panic(_))
///         && e.route == AppRoute::Pattern("/flaky");
///     if !expected {
///         eprintln!("app error: {e}");
///     }
/// });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct AppError<'a> {
    /// What went wrong.
    pub kind: AppErrorKind<'a>,
    /// The request's method. `"*"` when it was an extension method longer than 8 bytes that
    /// the route does not name, and the error came after the handler returned (a dropped
    /// responder, a timeout, a full pool).
    pub method: &'a str,
    /// The route the request was dispatched to.
    pub route: AppRoute<'a>,
}

impl fmt::Display for AppError<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {}: {} (answered {})",
            self.method,
            self.route,
            self.kind,
            self.kind.status()
        )
    }
}

/// The hook's type.
pub(crate) type Hook = dyn Fn(&AppError<'_>) + Send + Sync + 'static;

/// The default hook: an error line in the error log ([`crate::log`], stderr).
pub(crate) fn default_hook(e: &AppError<'_>) {
    crate::log::error(format_args!("{e}"));
}

/// A route, as a request was dispatched to it: the handler's index (or the fallback) and the
/// request's method, inline (tokens up to 8 bytes: every standard one). Copy, no borrow: it
/// rides in the exchange's ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RouteId {
    index: u32,
    /// The method token, zero-padded; all zero when it is longer.
    method: [u8; 8],
}

const FALLBACK: u32 = u32::MAX - 1;
const UNKNOWN: u32 = u32::MAX;

impl Default for RouteId {
    fn default() -> Self {
        RouteId::UNKNOWN
    }
}

impl RouteId {
    /// No route known.
    pub(crate) const UNKNOWN: RouteId = RouteId {
        index: UNKNOWN,
        method: [0; 8],
    };

    /// Handler `index`, for a request with method `method`.
    #[inline(always)]
    pub(crate) fn handler(index: usize, method: &str) -> RouteId {
        RouteId {
            index: u32::try_from(index).unwrap_or(UNKNOWN),
            method: inline_method(method),
        }
    }

    /// The fallback handler.
    pub(crate) fn fallback(method: &str) -> RouteId {
        RouteId {
            index: FALLBACK,
            method: inline_method(method),
        }
    }

    /// The handler's index (past every handler's for the fallback or no route).
    pub(crate) fn index(self) -> usize {
        self.index as usize
    }

    /// The method, unless it was longer than 8 bytes.
    fn method(&self) -> Option<&str> {
        let len = self.method.iter().position(|&b| b == 0).unwrap_or(8);
        std::str::from_utf8(&self.method[..len])
            .ok()
            .filter(|m| !m.is_empty())
    }
}

#[inline(always)]
fn inline_method(m: &str) -> [u8; 8] {
    // The common methods as constants: no copy of a slice of unknown length (a `memcpy` call)
    // on every request.
    match m {
        "GET" => return *b"GET\0\0\0\0\0",
        "HEAD" => return *b"HEAD\0\0\0\0",
        "POST" => return *b"POST\0\0\0\0",
        _ => {}
    }
    let mut b = [0; 8];
    if let Some(to) = b.get_mut(..m.len()) {
        to.copy_from_slice(m.as_bytes());
    }
    b
}

/// One server's hook and the names of its routes, by handler index.
pub(crate) struct ErrorLog {
    hook: Arc<Hook>,
    /// `(method as registered, or None for any method; pattern)` of each handler.
    routes: Vec<(Option<Box<str>>, Box<str>)>,
}

impl fmt::Debug for ErrorLog {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ErrorLog")
            .field("routes", &self.routes.len())
            .finish()
    }
}

impl ErrorLog {
    /// A log with `hook`, for the routes by handler index (see [`route_name`]).
    pub(crate) fn new(hook: Arc<Hook>, routes: Vec<(Option<Box<str>>, Box<str>)>) -> ErrorLog {
        ErrorLog { hook, routes }
    }

    /// Reports an error for a request whose method is known (on the worker, as it happens).
    #[cold]
    #[inline(never)]
    pub(crate) fn report(&self, kind: AppErrorKind<'_>, method: &str, route: RouteId) {
        let e = AppError {
            kind,
            method,
            route: self.route(route),
        };
        (self.hook)(&e);
    }

    /// Reports an error known only by its [`RouteId`] (after the request is gone).
    #[cold]
    #[inline(never)]
    pub(crate) fn report_id(&self, kind: AppErrorKind<'_>, route: RouteId) {
        let method = match route.method() {
            Some(m) => m,
            // A long extension method: the route names it if it is the route's own.
            None => match self.routes.get(route.index()) {
                Some((Some(m), _)) => m,
                _ => "*",
            },
        };
        self.report(kind, method, route)
    }

    fn route(&self, r: RouteId) -> AppRoute<'_> {
        match r.index {
            FALLBACK => AppRoute::Fallback,
            i => match self.routes.get(i as usize) {
                Some((_, p)) => AppRoute::Pattern(p),
                None => AppRoute::Unknown,
            },
        }
    }
}

/// How [`ErrorLog`] keeps a route's name: its own method (`None` for any method) and pattern.
pub(crate) fn route_name(m: RouteMethod<'_>, pattern: &str) -> (Option<Box<str>>, Box<str>) {
    let m = match m {
        RouteMethod::Only(m) => Some(m.as_str().into()),
        RouteMethod::Any => None,
    };
    (m, pattern.into())
}

/// What went wrong when application code that answered into `res` returned `ran`: a panic,
/// an invalid response, or nothing.
#[inline(always)]
pub(crate) fn failure<'p>(
    ran: &'p Result<(), Box<dyn Any + Send>>,
    res: &crate::Response,
) -> Option<AppErrorKind<'p>> {
    match ran {
        Err(p) => Some(AppErrorKind::Panic(panic_message(&**p))),
        Ok(()) if res.is_invalid() || res.status_code() < 200 => {
            Some(AppErrorKind::InvalidResponse)
        }
        Ok(()) => None,
    }
}

/// The panic message of a payload, when it is a `&str` or a `String`.
pub(crate) fn panic_message(payload: &(dyn Any + Send)) -> Option<&str> {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
}

/// Every running server's log, by the server's index in [`crate::defer`]'s registry.
static LOGS: RwLock<Vec<Weak<ErrorLog>>> = RwLock::new(Vec::new());

/// Makes `log` the one of server `server` (for reports from any thread).
pub(crate) fn register(server: u32, log: &Arc<ErrorLog>) {
    let mut logs = LOGS.write().unwrap_or_else(|e| e.into_inner());
    let i = server as usize;
    if logs.len() <= i {
        logs.resize_with(i + 1, Weak::new);
    }
    logs[i] = Arc::downgrade(log);
}

/// Reports an error of server `server`'s route `route`, from any thread (a dropped or
/// refused [`Responder`](crate::Responder)). Nothing when the server is gone.
#[cold]
#[inline(never)]
pub(crate) fn report_from(server: u32, route: RouteId, kind: AppErrorKind<'_>) {
    let log = {
        let logs = LOGS.read().unwrap_or_else(|e| e.into_inner());
        logs.get(server as usize).and_then(Weak::upgrade)
    };
    if let Some(log) = log {
        log.report_id(kind, route);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use brisk_router::Method;
    use std::sync::Mutex;

    #[test]
    fn a_report_names_the_method_and_the_route() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let s = Arc::clone(&seen);
        let log = ErrorLog::new(
            Arc::new(move |e: &AppError<'_>| s.lock().unwrap().push(e.to_string())),
            vec![
                route_name(RouteMethod::Only(Method::Get), "/users/{id}"),
                route_name(RouteMethod::Only(Method::Other(b"PURGE")), "/c"),
                route_name(RouteMethod::Any, "/any"),
            ],
        );
        log.report_id(AppErrorKind::Dropped, RouteId::handler(0, "GET"));
        log.report_id(AppErrorKind::Timeout, RouteId::handler(1, "PURGE"));
        log.report_id(AppErrorKind::PoolFull, RouteId::handler(2, "LONGERTHAN8"));
        log.report_id(AppErrorKind::Dropped, RouteId::fallback("POST"));
        log.report_id(AppErrorKind::Dropped, RouteId::UNKNOWN);
        log.report(
            AppErrorKind::Panic(None),
            "PURGE",
            RouteId::handler(2, "GET"),
        );
        log.report_id(AppErrorKind::Timeout, RouteId::handler(1, "PROPPATCHX"));
        assert_eq!(
            *seen.lock().unwrap(),
            [
                "GET /users/{id}: responder dropped without an answer (answered 500)",
                "PURGE /c: handler timeout (answered 503)",
                "* /any: blocking pool full (answered 503)",
                "POST (fallback): responder dropped without an answer (answered 500)",
                "* (no route): responder dropped without an answer (answered 500)",
                "PURGE /any: handler panicked (answered 500)",
                "PURGE /c: handler timeout (answered 503)",
            ]
        );
    }

    #[test]
    fn panic_messages_of_str_and_string_payloads() {
        let p: Box<dyn Any + Send> = Box::new("a");
        assert_eq!(panic_message(&*p), Some("a"));
        let p: Box<dyn Any + Send> = Box::new(String::from("b"));
        assert_eq!(panic_message(&*p), Some("b"));
        let p: Box<dyn Any + Send> = Box::new(7);
        assert_eq!(panic_message(&*p), None);
    }
}
