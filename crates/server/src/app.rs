//! The application: routes, handlers, the fallback and the configuration, shared read-only by
//! all workers. How a request is dispatched to them is [`crate::exchange`]'s business.

use std::sync::Arc;

use brisk_router::Router;

use crate::app_error::ErrorLog;
use crate::config::Config;
use crate::request::Request;
use crate::response::Response;
use crate::upload::UploadStart;

/// A request handler: runs on the worker thread, fills the response.
pub(crate) type Handler = dyn Fn(&mut Request<'_>, &mut Response) + Send + Sync + 'static;

/// Everything a worker needs to answer requests; shared read-only by all workers.
pub(crate) struct App {
    pub(crate) router: Router<usize>,
    pub(crate) handlers: Vec<Arc<Handler>>,
    /// For each handler, the start of its streaming body if it is an upload route.
    pub(crate) uploads: Vec<Option<Arc<UploadStart>>>,
    pub(crate) fallback: Option<Arc<Handler>>,
    /// With the fallback: the start of a streamed body for the requests it takes whose body
    /// does not arrive with the head.
    pub(crate) fallback_upload: Option<Arc<UploadStart>>,
    /// For each handler, the names of its route's params (an upload's sink keeps their
    /// values from its start).
    pub(crate) param_names: Vec<Box<[Box<str>]>>,
    /// The error hook, with the routes' names.
    pub(crate) errors: Arc<ErrorLog>,
    pub(crate) config: Config,
    /// The metrics listener's index among the bound addresses and its application.
    pub(crate) ops: Option<(usize, Arc<App>)>,
    /// The access log's thread, if the log is on.
    pub(crate) logs: Option<Arc<crate::access_log::Writer>>,
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

impl App {
    /// Whether some request body may go to a sink (an upload route, or the fallback's).
    pub(crate) fn has_uploads(&self) -> bool {
        self.fallback_upload.is_some() || self.uploads.iter().any(Option::is_some)
    }
}

/// The handler an upload route runs when its body is already whole (it arrived with the head,
/// or the protocol buffered it): start, one piece, finish.
pub(crate) fn buffered(start: Arc<UploadStart>) -> Arc<Handler> {
    Arc::new(move |req: &mut Request<'_>, res: &mut Response| {
        let mut sink = match start(req) {
            Ok(s) => s,
            Err(code) => return res.set_error(code),
        };
        let body = req.body();
        if !body.is_empty() {
            if let Err(code) = sink.data(body) {
                return res.set_error(code);
            }
        }
        // As when streamed: the pieces went to `data`.
        req.body = &[];
        sink.finish(req, res);
    })
}
