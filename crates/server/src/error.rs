//! The server's error type.

use std::fmt;

/// Why a server could not be built or started.
///
/// # Examples
///
/// ```
/// use brisk_server::{Method, Server};
///
/// let err = Server::builder()
///     .route(Method::Get, "/a/{x}", |_, _| {})
///     .route(Method::Get, "/a/{y}", |_, _| {})
///     .start()
///     .unwrap_err();
/// assert!(err.to_string().starts_with("route GET /a/{y}:"));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A route could not be added (conflict or invalid pattern).
    Route {
        /// The method and pattern, e.g. `GET /users/{id}`.
        route: String,
        /// The router's explanation.
        source: brisk_router::InsertError,
    },
    /// A configuration value is out of range.
    Config(&'static str),
    /// The reactor failed to start (binding a socket, spawning a worker).
    Reactor(brisk_reactor::Error),
    /// A directory given to [`Builder::static_dir`](crate::Builder::static_dir) cannot be served.
    StaticDir {
        /// The directory as given.
        dir: std::path::PathBuf,
        /// Why: it does not exist, is not a directory, or cannot be read.
        source: std::io::Error,
    },
    /// The access log's thread could not start (or its file could not be opened).
    AccessLog(std::io::Error),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Route { route, source } => write!(f, "route {route}: {source}"),
            Error::Config(what) => write!(f, "invalid configuration: {what}"),
            Error::Reactor(e) => write!(f, "cannot start: {e}"),
            Error::StaticDir { dir, source } => {
                write!(f, "cannot serve directory {}: {source}", dir.display())
            }
            Error::AccessLog(e) => write!(f, "cannot start the access log: {e}"),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Route { source, .. } => Some(source),
            Error::Config(_) => None,
            Error::Reactor(e) => Some(e),
            Error::StaticDir { source, .. } => Some(source),
            Error::AccessLog(e) => Some(e),
        }
    }
}
